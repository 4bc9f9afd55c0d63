/* reload.c: the config read again, checked whole, swapped in key by key. */
#include "reload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "hycod.h"
#include "log.h"
#include "notify.h"

/*
 * Keys a running daemon keeps until it restarts. The roots are the
 * tops of the index and its inotify watches, the filesystems the disk
 * monitor samples and where the per-filesystem trashes are; the socket
 * is bound (or passed by systemd) once, with its mode; the trash holds
 * items being deleted and open descriptors. Everything else applies
 * live: limits and levels are read at each use, timers are restarted,
 * the scan options are copied into each scan job as it starts.
 */
static const char *const restart_only[] = {
	"paths.cache_root",
	"paths.tensor_cache_dir",
	"paths.generated_cache_dir",
	"paths.eval_cache_dir",
	"trainer.synthetic_pred_cache",
	"trainer.physical_pred_cache",
	"daemon.socket",
	"daemon.socket_mode",
	"retention.trash_dir",
	/* Read once at start: the stats' dataset slots, the textfile timer. */
	"metrics.textfile",
	"metrics.interval_s",
	"metrics.max_datasets",
};

#define VALUE_MAX	(PATH_MAX + 64)

bool
reload_restart_only(const char *key)
{
	for (size_t i = 0; i < sizeof(restart_only) / sizeof(restart_only[0]);
	    i++)
		if (strcmp(restart_only[i], key) == 0)
			return true;
	return false;
}

int
reload_read(const struct reload_source *src, struct hyco_config *cfg,
    int flags, struct cfg_errors *e, struct cfg_errors *warn)
{
	struct hyco_config c;
	char cwd[PATH_MAX];

	if (config_load_flags(&c, src->files, src->nfiles, src->overrides,
	    src->noverrides, flags, e, warn) == -1)
		return -1;
	if (src->socket != NULL && (getcwd(cwd, sizeof(cwd)) == NULL ||
	    layout_absolute(cwd, src->socket, c.socket, sizeof(c.socket))
	    == -1)) {
		cfg_errorf(e, NULL, 0, "--socket: cannot make %s absolute",
		    src->socket);
		config_free(&c);
		return -1;
	}
	*cfg = c;
	return 0;
}

/* -- values as text ------------------------------------------------------ */

static const char *const level_names[] = { "debug", "info", "warn", "error" };

/* The value of key k in c, as the config would say it, into buf. */
static void
format_value(const struct config_key *k, const struct hyco_config *c,
    char *buf, size_t size)
{
	const char *field = (const char *)c + k->off;
	size_t len = 0;
	long l;
	int i;
	double x;
	struct mark m;

	switch (k->type) {
	case CONFIG_INT:
	case CONFIG_MODE:
	case CONFIG_LEVEL:
		if (k->size == sizeof(long)) {
			memcpy(&l, field, sizeof(l));
		} else {
			memcpy(&i, field, sizeof(i));
			l = i;
		}
		if (k->type == CONFIG_MODE)
			snprintf(buf, size, "0%lo", (unsigned long)l);
		else if (k->type == CONFIG_LEVEL)
			snprintf(buf, size, "%s", l >= 0 && l < 4 ?
			    level_names[l] : "?");
		else
			snprintf(buf, size, "%ld", l);
		break;
	case CONFIG_FLOAT:
		memcpy(&x, field, sizeof(x));
		snprintf(buf, size, "%.15g", x);
		break;
	case CONFIG_MARK:
		memcpy(&m, field, sizeof(m));
		snprintf(buf, size, m.pct ? "%.15g%%" : "%.15g", m.value);
		break;
	case CONFIG_CATS:
		buf[0] = '\0';
		for (int cat = 0; cat < CAT_COUNT; cat++)
			if (((const bool *)field)[cat])
				len += (size_t)snprintf(buf + len, len < size ?
				    size - len : 0, "%s%s", len ? "," : "",
				    layout_category_names[cat]);
		break;
	case CONFIG_ARGV: {
		const char *const *argv = (const char *const *)(const void *)
		    field;
		if (argv[0] == NULL) {
			snprintf(buf, size, "null");
			break;
		}
		len = (size_t)snprintf(buf, size, "[");
		for (int w = 0; argv[w] != NULL && len < size; w++)
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
			    w ? ", " : "", argv[w]);
		if (len < size)
			snprintf(buf + len, size - len, "]");
		break;
	}
	case CONFIG_ACCESS: {
		/* The entries as written; their resolved ids are compared too. */
		const struct cfg_node *n = cfg_get(c->tree, k->key), *w;
		if (n == NULL || (n->type == CFG_SCALAR && n->value == NULL)) {
			snprintf(buf, size, "null");
			break;
		}
		if (n->type == CFG_SCALAR) {
			snprintf(buf, size, "%s", n->value);
			break;
		}
		len = (size_t)snprintf(buf, size, "[");
		for (w = n->child; w != NULL && len < size; w = w->next)
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
			    w != n->child ? ", " : "", w->value ? w->value : "");
		if (len < size)
			snprintf(buf + len, size - len, "]");
		break;
	}
	default:	/* strings: paths, dataset names */
		snprintf(buf, size, "%.*s", (int)k->size, field);
		break;
	}
}

/* Whether key k has the same value in a and b. */
static bool
same_value(const struct config_key *k, const struct hyco_config *a,
    const struct hyco_config *b)
{
	char x[VALUE_MAX], y[VALUE_MAX];
	struct mark ma, mb;
	double da, db;

	/* Numbers as numbers; padding and formatting never count. */
	if (k->type == CONFIG_FLOAT) {
		memcpy(&da, (const char *)a + k->off, sizeof(da));
		memcpy(&db, (const char *)b + k->off, sizeof(db));
		return da == db;
	}
	if (k->type == CONFIG_MARK) {
		memcpy(&ma, (const char *)a + k->off, sizeof(ma));
		memcpy(&mb, (const char *)b + k->off, sizeof(mb));
		return ma.pct == mb.pct && ma.value == mb.value;
	}
	/* A name may now resolve to another id: both must agree. */
	if (k->type == CONFIG_ACCESS && memcmp((const char *)a + k->off,
	    (const char *)b + k->off, k->size) != 0)
		return false;
	format_value(k, a, x, sizeof(x));
	format_value(k, b, y, sizeof(y));
	return strcmp(x, y) == 0;
}

static int
list_add(struct reload_list *l, const struct config_key *k,
    const struct hyco_config *from, const struct hyco_config *to)
{
	char x[VALUE_MAX], y[VALUE_MAX];
	struct reload_change *c;

	if (array_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)) == -1)
		return -1;
	format_value(k, from, x, sizeof(x));
	format_value(k, to, y, sizeof(y));
	c = &l->v[l->n];
	c->key = k->key;
	if ((c->from = strdup(x)) == NULL || (c->to = strdup(y)) == NULL) {
		free(c->from);
		return -1;
	}
	l->n++;
	return 0;
}

static void
list_free(struct reload_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].from);
		free(l->v[i].to);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void
reload_report_free(struct reload_report *rep)
{
	list_free(&rep->changed);
	list_free(&rep->refused);
	cfg_errors_clear(&rep->errors);
}

/* -- the swap ------------------------------------------------------------ */

/*
 * The tree says what is in force (the config method and --print-config
 * show it): a refused key gets its old node back, text, file and line.
 */
static void
keep_old_node(struct cfg_node *tree, struct cfg_node *old, const char *key)
{
	struct cfg_node *o = cfg_get(old, key);

	if (o != NULL && o->type == CFG_SCALAR)
		(void)cfg_set(tree, key, o->value, o->vtype == CFG_TYPE_STR,
		    o->file, o->line);
}

/*
 * Compare every key of the table; copy the new value of each that may
 * change live into cur (in place: whatever points into cur stays
 * valid), keep the old one of each that may not. Pointers into the
 * tree (alerts.command) are copied whether changed or not, since the
 * old tree goes. Out of memory for the report: -1, nothing copied.
 */
static int
swap_in(struct hyco_config *cur, struct hyco_config *next,
    struct reload_report *rep)
{
	const struct config_key *keys;
	size_t nkeys;
	struct cfg_node *old;

	keys = config_keys(&nkeys);
	for (size_t i = 0; i < nkeys; i++) {
		const struct config_key *k = &keys[i];
		if (k->off == CONFIG_NO_FIELD || same_value(k, cur, next))
			continue;
		if (list_add(reload_restart_only(k->key) ? &rep->refused :
		    &rep->changed, k, cur, next) == -1)
			return -1;
	}
	for (size_t i = 0; i < nkeys; i++) {
		const struct config_key *k = &keys[i];
		if (k->off == CONFIG_NO_FIELD)
			continue;
		if (reload_restart_only(k->key))
			keep_old_node(next->tree, cur->tree, k->key);
		else
			memcpy((char *)cur + k->off, (char *)next + k->off,
			    k->size);
	}
	old = cur->tree;
	cur->tree = next->tree;
	next->tree = old;
	return 0;
}

/* Tell each module that reads the config to apply it now. */
static void
apply(struct hycod *d)
{
	const struct hyco_config *c = &d->cfg;
	struct watch_opts wo = {
		.max_watches = c->max_watches,
		.rescan_interval_s = c->rescan_interval_s,
		.scan_threads = c->scan_threads,
	};

	log_setlevel(c->log_level);
	server_set_limits(&d->server, c->max_clients, c->max_request_bytes);
	server_limit_work(&d->server, c->max_jobs_per_client, c->max_jobs);
	server_busy_poll(&d->server, (unsigned)c->busy_poll_us);
	watch_set_opts(&d->watch, &wo);
	disk_retune(&d->disk);
	/* Retention and watermarks: a pass now, on the new settings. */
	policy_retune(&d->policy);
	/* The lists were resolved (names to ids) when the config was read. */
	access_replace(&d->access, &c->access);
	d->events.max_queued = c->events_max_queued;
}

void
reload_run(struct hycod *d, const char *why, struct reload_report *rep)
{
	struct hyco_config next;
	struct cfg_errors warns = { 0 };
	int rc;

	memset(rep, 0, sizeof(*rep));
	notify_reloading(&d->notify);
	log_info("reload (%s): reading the config again", why);
	rc = reload_read(&d->src, &next, 0, &rep->errors, &warns);

	for (int i = 0; i < warns.count; i++)
		log_warnx("reload: %s", warns.msg[i]);
	cfg_errors_clear(&warns);
	if (rc == -1) {
		for (int i = 0; i < rep->errors.count; i++)
			log_warnx("reload: %s", rep->errors.msg[i]);
		log_warnx("reload: %d error%s: the config in force is unchanged",
		    rep->errors.count, rep->errors.count == 1 ? "" : "s");
		events_reload(&d->events, false, rep->errors.count > 0 ?
		    rep->errors.msg[0] : "config errors");
		notify_ready(&d->notify);
		return;
	}
	if (swap_in(&d->cfg, &next, rep) == -1) {
		cfg_errorf(&rep->errors, NULL, 0, "reload: out of memory");
		log_warnx("reload: out of memory: the config in force is "
		    "unchanged");
		list_free(&rep->changed);
		list_free(&rep->refused);
		config_free(&next);
		events_reload(&d->events, false, "out of memory");
		notify_ready(&d->notify);
		return;
	}
	config_free(&next);	/* the old tree, swapped out */
	rep->ok = true;
	for (size_t i = 0; i < rep->changed.n; i++)
		log_info("reload: %s: %s -> %s", rep->changed.v[i].key,
		    rep->changed.v[i].from, rep->changed.v[i].to);
	for (size_t i = 0; i < rep->refused.n; i++)
		log_warnx("reload: %s: %s -> %s needs a restart; %s stays in "
		    "force until then", rep->refused.v[i].key,
		    rep->refused.v[i].from, rep->refused.v[i].to,
		    rep->refused.v[i].from);
	apply(d);
	log_info("reload: done, %zu key%s changed, %zu need%s a restart",
	    rep->changed.n, rep->changed.n == 1 ? "" : "s", rep->refused.n,
	    rep->refused.n == 1 ? "s" : "");
	{
		char msg[128];
		snprintf(msg, sizeof(msg), "%zu key%s changed, %zu refused "
		    "(restart needed)", rep->changed.n, rep->changed.n == 1 ?
		    "" : "s", rep->refused.n);
		events_reload(&d->events, true, msg);
	}
	notify_ready(&d->notify);
}
