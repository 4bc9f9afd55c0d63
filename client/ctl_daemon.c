/*
 * ctl_daemon.c: hycoctl's commands about the daemon itself: ping,
 * reload and config.
 */
#include <stdio.h>

#include "config_yaml.h"
#include "ctl.h"
#include "hyco.h"

/* -- ping ----------------------------------------------------------------- */

int
ctl_ping_call(hyco_client *c, const struct opts *o, union result *r)
{
	(void)o;
	return hyco_ping(c, &r->ping);
}

void
ctl_ping_print(const struct opts *o, const union result *r)
{
	(void)o;
	printf("hycod %s pid %ld up %.1f s\n", r->ping.version, r->ping.pid,
	    r->ping.uptime_s);
}

/* -- reload --------------------------------------------------------------- */

int
ctl_reload_call(hyco_client *c, const struct opts *o, union result *r)
{
	(void)o;
	return hyco_reload(c, &r->reload);
}

/* What changed, what waits for a restart; or why nothing did (stderr). */
void
ctl_reload_print(const struct opts *o, const union result *r)
{
	const struct hyco_reload *rl = &r->reload;

	(void)o;
	if (!rl->ok) {
		for (size_t i = 0; i < rl->nerrors; i++)
			fprintf(stderr, "%s\n", rl->errors[i]);
		fprintf(stderr, "hycoctl: reload refused: %zu error%s in the "
		    "config; the one in force is unchanged\n", rl->nerrors,
		    rl->nerrors == 1 ? "" : "s");
		return;
	}
	printf("reloaded: %zu changed, %zu need a restart\n", rl->nchanged,
	    rl->nrefused);
	for (size_t i = 0; i < rl->nchanged; i++)
		printf("  %s: %s -> %s\n", rl->changed[i]->key,
		    rl->changed[i]->from, rl->changed[i]->to);
	for (size_t i = 0; i < rl->nrefused; i++)
		printf("  %s: %s -> %s (needs a restart; %s until then)\n",
		    rl->refused[i]->key, rl->refused[i]->from,
		    rl->refused[i]->to, rl->refused[i]->from);
}

int
ctl_reload_status(const union result *r)
{
	return r->reload.ok ? 0 : 1;
}

void
ctl_reload_done(union result *r)
{
	hyco_reload_free(&r->reload);
}

/* -- config --------------------------------------------------------------- */

int
ctl_config_call(hyco_client *c, const struct opts *o, union result *r)
{
	(void)o;
	return hyco_call(c, "config", NULL, 0, &r->value);
}

void
ctl_config_print(const struct opts *o, const union result *r)
{
	(void)o;
	(void)config_yaml_print(stdout, hyco_map_get(r->value, "config"));
}
