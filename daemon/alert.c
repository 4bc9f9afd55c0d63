/* alert.c: alerts.command run for a filesystem's level changes. */
#include "alert.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

extern char **environ;

static void start(struct alert_hook *h);

static bool
has_command(const struct alert_hook *h)
{
	return h->cfg->command[0] != NULL;
}

void
alert_init(struct alert_hook *h, uv_loop_t *loop, const struct alerts *cfg,
    const char *name, const char *initial)
{
	memset(h, 0, sizeof(*h));
	h->loop = loop;
	h->cfg = cfg;
	h->name = name;
	h->told = initial;
	uv_timer_init(loop, &h->timer);
	h->timer.data = h;
}

/* Copy a change in; vars that do not fit are cut at a whole variable. */
static void
set_change(struct alert_change *c, const char *level, const char *vars,
    size_t len)
{
	size_t n = 0;

	c->level = level;
	/* Whole "NAME=value\0" strings only, and room for the final NUL. */
	while (n < len && vars[n] != '\0') {
		size_t l = strnlen(vars + n, len - n) + 1;
		if (n + l + 1 > sizeof(c->vars))
			break;
		memcpy(c->vars + n, vars + n, l);
		n += l;
	}
	c->vars[n++] = '\0';
	c->len = n;
}

void
alert_notify(struct alert_hook *h, const char *level, const char *vars,
    size_t len)
{
	if (!has_command(h) || h->closing)
		return;
	/* A change not told yet is replaced: only the latest goes out. */
	set_change(&h->next, level, vars, len);
	h->pending = true;
	h->skipped++;
	if (!h->running)
		start(h);
}

/* -- the running command ---------------------------------------------- */

static void
on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	static char scratch[256];	/* loop thread only */

	(void)handle;
	(void)suggested;
	*buf = uv_buf_init(scratch, sizeof(scratch));
}

static void maybe_finish(struct alert_hook *h);
static void on_timer(uv_timer_t *t);

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct alert_hook *h = s->data;

	if (nread > 0) {
		size_t room = sizeof(h->errbuf) - h->errlen;
		size_t n = (size_t)nread < room ? (size_t)nread : room;
		memcpy(h->errbuf + h->errlen, buf->base, n);
		h->errlen += n;
		return;
	}
	if (nread < 0) {	/* EOF, or an error: either way, done */
		uv_read_stop(s);
		h->eof = true;
		maybe_finish(h);
	}
}

static void
on_exited(uv_process_t *p, int64_t status, int signo)
{
	struct alert_hook *h = p->data;

	h->exited = true;
	h->status = status;
	h->signal = signo;
	uv_timer_stop(&h->timer);
	/*
	 * Its stderr may still hold bytes, or be held open by a child that
	 * left its process group: wait for EOF, but not for long.
	 */
	if (!h->eof)
		uv_timer_start(&h->timer, on_timer, ALERT_EOF_GRACE_MS, 0);
	maybe_finish(h);
}

/*
 * One timer, three meanings by state: the command ran too long (send
 * SIGTERM), it outlived the grace after that (SIGKILL), or it exited
 * and its stderr never reached EOF (stop waiting).
 */
static void
on_timer(uv_timer_t *t)
{
	struct alert_hook *h = t->data;
	int pgid = h->proc.pid;

	if (h->exited) {
		h->eof = true;
		maybe_finish(h);
		return;
	}
	if (!h->timed_out) {
		h->timed_out = true;
		if (!h->closing)
			h->stats.timeouts++;
		/* Its own session: the group is the command and its children. */
		if (kill(-pgid, SIGTERM) == -1 && errno != ESRCH)
			log_warn("alert: kill %d", -pgid);
		uv_timer_start(&h->timer, on_timer, ALERT_KILL_GRACE_MS, 0);
		return;
	}
	if (kill(-pgid, SIGKILL) == -1 && errno != ESRCH)
		log_warn("alert: kill %d", -pgid);
}

/* Its stderr as one line of the log: printable, trimmed. */
static void
stderr_text(struct alert_hook *h, char *out, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < h->errlen && n + 1 < size; i++) {
		unsigned char ch = (unsigned char)h->errbuf[i];
		out[n++] = ch == '\n' ? '|' : isprint(ch) ? (char)ch : ' ';
	}
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '|'))
		n--;
	out[n] = '\0';
}

static void
on_closed(uv_handle_t *handle)
{
	struct alert_hook *h = handle->data;

	if (--h->open > 0)
		return;
	h->running = false;
	if (h->closing)
		uv_close((uv_handle_t *)&h->timer, NULL);
	else if (h->pending)
		start(h);
}

/* Exited and its stderr read (or given up on): log it, free the handles. */
static void
maybe_finish(struct alert_hook *h)
{
	char how[96], err[ALERT_STDERR_MAX + 1];
	bool failed;

	if (!h->exited || !h->eof)
		return;
	uv_timer_stop(&h->timer);
	if (h->signal != 0)
		snprintf(how, sizeof(how), "killed by signal %d%s", h->signal,
		    h->timed_out ? " after alerts.command_timeout_s" : "");
	else
		snprintf(how, sizeof(how), "exited %lld%s",
		    (long long)h->status, h->timed_out ? " after SIGTERM at "
		    "alerts.command_timeout_s" : "");
	failed = h->signal != 0 || h->status != 0 || h->timed_out;
	stderr_text(h, err, sizeof(err));
	if (failed) {
		h->stats.failures++;
		log_warnx("alert: %s for %s (%s, was %s): %s%s%s",
		    h->cfg->command[0], h->name, h->now.level, h->told_before,
		    how, err[0] ? "; stderr: " : "", err);
	} else
		log_info("alert: %s for %s (%s, was %s): %s%s%s",
		    h->cfg->command[0], h->name, h->now.level, h->told_before,
		    how, err[0] ? "; stderr: " : "", err);
	uv_close((uv_handle_t *)&h->proc, on_closed);
	uv_close((uv_handle_t *)&h->err, on_closed);
}

/*
 * The environment: the daemon's own, less any HYCO_ALERT_* it has, then
 * the change's variables, the levels and how many changes were folded
 * into this one. One allocation; NULL if out of memory.
 */
static char **
make_env(struct alert_hook *h, char *extra, size_t size)
{
	size_t n = 0, k = 0;
	char **env;

	for (char **e = environ; *e != NULL; e++)
		n++;
	for (const char *v = h->now.vars; *v != '\0'; v += strlen(v) + 1)
		n++;
	if ((env = calloc(n + 4, sizeof(*env))) == NULL)
		return NULL;
	for (char **e = environ; *e != NULL; e++)
		if (strncmp(*e, "HYCO_ALERT_", 11) != 0)
			env[k++] = *e;
	for (char *v = h->now.vars; *v != '\0'; v += strlen(v) + 1)
		env[k++] = v;
	/* Three more, in extra: NAME=value\0 each. */
	int a = snprintf(extra, size, "HYCO_ALERT_LEVEL=%s", h->now.level);
	int b = snprintf(extra + a + 1, size - (size_t)a - 1,
	    "HYCO_ALERT_PREVIOUS=%s", h->told);
	snprintf(extra + a + b + 2, size - (size_t)(a + b + 2),
	    "HYCO_ALERT_SKIPPED=%u", h->skipped - 1);
	env[k++] = extra;
	env[k++] = extra + a + 1;
	env[k++] = extra + a + b + 2;
	env[k] = NULL;
	return env;
}

/* Tell the latest change, unless the command already knows its level. */
static void
start(struct alert_hook *h)
{
	uv_process_options_t opt = { 0 };
	uv_stdio_container_t stdio[3];
	char extra[160];
	char **env;
	int r;

	h->pending = false;
	if (strcmp(h->next.level, h->told) == 0) {
		/* Away and back while it ran: nothing new to tell. */
		log_debug("alert: %s back at %s after %u changes: not run",
		    h->name, h->told, h->skipped);
		h->stats.coalesced += h->skipped;
		h->skipped = 0;
		return;
	}
	h->now = h->next;
	h->stats.coalesced += h->skipped - 1;
	if ((env = make_env(h, extra, sizeof(extra))) == NULL) {
		log_warnx("alert: %s for %s: out of memory", h->cfg->command[0],
		    h->name);
		h->stats.failures++;
		return;
	}
	h->exited = h->eof = h->timed_out = false;
	h->status = h->signal = 0;
	h->errlen = 0;
	uv_pipe_init(h->loop, &h->err, 0);
	h->err.data = h->proc.data = h;
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_IGNORE;
	stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[2].data.stream = (uv_stream_t *)&h->err;
	opt.exit_cb = on_exited;
	opt.file = h->cfg->command[0];
	opt.args = (char **)h->cfg->command;	/* execvp does not write it */
	opt.env = env;
	opt.stdio = stdio;
	opt.stdio_count = 3;
	/* A session of its own, so that a timeout kills its children too. */
	opt.flags = UV_PROCESS_DETACHED;
	r = uv_spawn(h->loop, &h->proc, &opt);
	h->proc.data = h;	/* initialized by uv_spawn, even when it fails */
	free(env);
	h->stats.runs++;
	h->open = 2;
	h->running = true;
	h->told_before = h->told;
	h->told = h->now.level;
	h->skipped = 0;
	if (r < 0) {
		/* Both handles are initialized: closed, as any failure. */
		log_warnx("alert: %s for %s (%s): cannot start: %s",
		    h->cfg->command[0], h->name, h->now.level, uv_strerror(r));
		h->stats.failures++;
		uv_close((uv_handle_t *)&h->proc, on_closed);
		uv_close((uv_handle_t *)&h->err, on_closed);
		return;
	}
	uv_read_start((uv_stream_t *)&h->err, on_alloc, on_read);
	uv_timer_start(&h->timer, on_timer,
	    (uint64_t)(h->cfg->command_timeout_s * 1000), 0);
}

void
alert_close(struct alert_hook *h)
{
	if (h->closing)
		return;
	h->closing = true;
	h->pending = false;
	if (!h->running) {
		uv_close((uv_handle_t *)&h->timer, NULL);
		return;
	}
	/* Asked to stop: SIGTERM now, as at a timeout, SIGKILL after. */
	if (!h->exited && !h->timed_out) {
		uv_timer_stop(&h->timer);
		on_timer(&h->timer);
	}
}
