/*
 * ctl_watch.c: hycoctl watch: subscribe to the daemon's events and
 * print each as it comes, one a line (--json: one JSON object a line).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "hyco.h"
#include "json.h"

#define WATCH_TYPES_MAX	32	/* names in --events */

int
ctl_watch_args(struct opts *o)
{
	if (o->events != NULL && (o->events[0] == '\0' ||
	    strlen(o->events) > 1024))
		return ctl_usage_error("--events takes event types separated by "
		    "commas, not '%s'", o->events);
	return 0;
}

/* A string value that reads back as one word, or NULL to quote it. */
static int
plain(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '"' || s[i] == '\\' ||
		    s[i] == '=' || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* One event as a line: time, type, then key=value in the daemon's order. */
static void
print_event(const hyco_value *ev)
{
	const char *type = "?";
	size_t len = 1;
	double t = 0;
	char when[64] = "?";

	type = hyco_value_str(hyco_map_get(ev, "type"), &len);
	if (type == NULL) {
		type = "?";
		len = 1;
	}
	if (hyco_value_float(hyco_map_get(ev, "time"), &t) == 0) {
		time_t secs = (time_t)t;
		struct tm tm;
		if (gmtime_r(&secs, &tm) != NULL) {
			size_t n = strftime(when, sizeof(when),
			    "%Y-%m-%dT%H:%M:%S", &tm);
			snprintf(when + n, sizeof(when) - n, ".%03dZ",
			    (int)((t - (double)secs) * 1000));
		}
	}
	printf("%s %.*s", when, (int)len, type);
	for (size_t i = 0; i < hyco_map_len(ev); i++) {
		const hyco_value *k = hyco_map_key(ev, i), *v = hyco_map_val(ev, i);
		const char *ks = hyco_value_str(k, &len), *vs;
		size_t vlen;
		int64_t iv;
		uint64_t uv;
		double dv;
		int b;
		if (ks == NULL || (len == 4 && (memcmp(ks, "type", 4) == 0 ||
		    memcmp(ks, "time", 4) == 0)))
			continue;
		printf(" %.*s=", (int)len, ks);
		if (hyco_value_uint(v, &uv) == 0)
			printf("%llu", (unsigned long long)uv);
		else if (hyco_value_int(v, &iv) == 0)
			printf("%lld", (long long)iv);
		else if (hyco_value_type(v) == HYCO_TYPE_FLOAT &&
		    hyco_value_float(v, &dv) == 0)
			printf("%.3f", dv);
		else if (hyco_value_bool(v, &b) == 0)
			printf("%s", b ? "true" : "false");
		else if ((vs = hyco_value_str(v, &vlen)) != NULL &&
		    plain(vs, vlen))
			printf("%.*s", (int)vlen, vs);
		else
			json_print(stdout, v);	/* quoted, escaped: one line */
	}
	putchar('\n');
}

/*
 * Subscribe, then print each event as it comes, flushed at once, until
 * the daemon stops (exit 0 after its shutdown event), drops us (1) or
 * goes away (3).
 */
int
ctl_watch_stream(hyco_client *c, const struct opts *o)
{
	const char *types[WATCH_TYPES_MAX + 1];
	char buf[1025], *save, *tok;
	const hyco_value *ev;
	size_t n = 0;
	int rc, show_shutdown = 1;

	if (o->events != NULL) {
		snprintf(buf, sizeof(buf), "%s", o->events);
		for (tok = strtok_r(buf, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			if (n == WATCH_TYPES_MAX) {
				fprintf(stderr, "hycoctl: --events: at most %d "
				    "types\n", WATCH_TYPES_MAX);
				return EXIT_REFUSED;
			}
			types[n++] = tok;
		}
		/* Asked for or not, shutdown says the end is no failure. */
		show_shutdown = 0;
		for (size_t i = 0; i < n; i++)
			show_shutdown |= strcmp(types[i], "shutdown") == 0;
		if (!show_shutdown)
			types[n++] = "shutdown";
	}
	if ((rc = hyco_subscribe(c, types, n)) != HYCO_OK)
		return ctl_status_exit(c, rc);
	for (;;) {
		const char *type;
		size_t len;
		int shutdown;
		if ((rc = hyco_next_event(c, -1, &ev)) != HYCO_OK)
			return ctl_status_exit(c, rc);
		type = hyco_value_str(hyco_map_get(ev, "type"), &len);
		shutdown = type != NULL && len == 8 &&
		    memcmp(type, "shutdown", 8) == 0;
		if (shutdown && !show_shutdown)
			return 0;
		if (o->json) {
			json_print(stdout, ev);
			putchar('\n');
		} else
			print_event(ev);
		if (fflush(stdout) == EOF)
			return EXIT_REFUSED;	/* main says why */
		if (shutdown)
			return 0;
		if (type != NULL && len == 7 && memcmp(type, "dropped", 7) == 0) {
			fprintf(stderr, "hycoctl: hycod dropped this watch: it "
			    "read too slowly\n");
			return EXIT_REFUSED;
		}
	}
}
