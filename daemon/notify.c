/* notify.c: sd_notify(3) for Type=notify: ready, status, reload, watchdog. */
#include "notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "hycod.h"
#include "log.h"
#include "tally.h"

/* "85.5 GB": figures for people, powers of 1000 as df -H shows them. */
static void
human(char *buf, size_t size, uint64_t v)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB",
	    "PB", "EB" };
	double x = (double)v;
	int u = 0;

	while (x >= 1000 && u < 6) {
		x /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%llu B", (unsigned long long)v);
	else
		snprintf(buf, size, "%.1f %s", x, units[u]);
}

void
notify_status_text(struct hycod *d, char *buf, size_t size)
{
	const struct disk_fs *fs = NULL;
	struct tally t = { 0 };
	uint64_t bytes = 0, files = 0;
	char free_text[32] = "?", used[32];
	int f;

	/* The figures may be a status period old; no extra statvfs. */
	if ((f = disk_of_role(&d->disk, DISK_ROLE_CACHE_ROOT)) >= 0)
		fs = disk_refresh_one(&d->disk, (size_t)f, NOTIFY_STATUS_MS);
	if (fs != NULL && fs->error == 0)
		human(free_text, sizeof(free_text), fs->du.avail_bytes);
	if (!d->watch.ready) {
		snprintf(buf, size, "scanning the cache tree (%.1f s so far), "
		    "serving; %s free on %s",
		    (double)(uv_hrtime() - d->start_ns) / 1e9, free_text,
		    d->cfg.layout.cache_root);
		return;
	}
	if (watch_tally(&d->watch, &t) == 0)
		for (int c = 0; c < CAT_COUNT; c++) {
			bytes += t.bytes[c];
			files += t.files[c];
		}
	tally_free(&t);
	human(used, sizeof(used), bytes);
	snprintf(buf, size, "%llu files, %s, %s; %s free on %s",
	    (unsigned long long)files, used, watch_exact(&d->watch) ?
	    "exact" : "not exact", free_text, d->cfg.layout.cache_root);
}

/* One message to systemd; a failure is logged once, never fatal. */
static void
tell(struct notify *n, const char *state)
{
	static bool warned;
	int r;

	if (!n->enabled)
		return;
	if ((r = sd_notify(0, state)) > 0) {
		n->sent++;
		return;
	}
	if (!warned) {
		warned = true;
		log_warnx("notify: sd_notify: %s", r < 0 ? strerror(-r) :
		    "no NOTIFY_SOCKET");
	}
}

void
notify_status(struct notify *n)
{
	char text[NOTIFY_STATUS_MAX], msg[NOTIFY_STATUS_MAX + 16];

	if (!n->enabled || n->closing)
		return;
	notify_status_text(n->d, text, sizeof(text));
	snprintf(msg, sizeof(msg), "STATUS=%s", text);
	tell(n, msg);
}

static void
on_status(uv_timer_t *h)
{
	notify_status(h->data);
}

/* From the loop itself: a loop that is stuck sends nothing. */
static void
on_watchdog(uv_timer_t *h)
{
	tell(h->data, "WATCHDOG=1");
}

int
notify_start(struct notify *n, uv_loop_t *loop, struct hycod *d)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	uint64_t us = 0;
	int r;

	memset(n, 0, sizeof(*n));
	n->d = d;
	n->enabled = sock != NULL && sock[0] != '\0';
	if (!n->enabled)
		return 0;
	/*
	 * > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is
	 * this process. Unset: hooks the daemon runs must not inherit it.
	 */
	if ((r = sd_watchdog_enabled(1, &us)) < 0)
		log_warnx("notify: sd_watchdog_enabled: %s", strerror(-r));
	else if (r > 0)
		n->watchdog_us = us;
	uv_timer_init(loop, &n->watchdog);
	uv_timer_init(loop, &n->status);
	n->watchdog.data = n->status.data = n;
	n->started = true;
	if (n->watchdog_us > 0) {
		/* Half the timeout, as sd_watchdog_enabled(3) advises. */
		uint64_t ms = n->watchdog_us / 2000;
		if (ms == 0)
			ms = 1;
		uv_timer_start(&n->watchdog, on_watchdog, ms, ms);
		log_info("notify: watchdog every %llu ms (WatchdogSec=%.3f s)",
		    (unsigned long long)ms, (double)n->watchdog_us / 1e6);
	}
	uv_timer_start(&n->status, on_status, NOTIFY_STATUS_MS,
	    NOTIFY_STATUS_MS);
	return 0;
}

void
notify_ready(struct notify *n)
{
	char text[NOTIFY_STATUS_MAX], msg[NOTIFY_STATUS_MAX + 32];

	if (!n->enabled || n->closing)
		return;
	notify_status_text(n->d, text, sizeof(text));
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", text);
	tell(n, msg);
	/* A watchdog ping now: the first period starts with READY. */
	if (n->watchdog_us > 0)
		tell(n, "WATCHDOG=1");
}

void
notify_reloading(struct notify *n)
{
	struct timespec ts;
	char msg[96];

	if (!n->enabled || n->closing)
		return;
	/* MONOTONIC_USEC: what Type=notify-reload (systemd 253+) expects. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
	tell(n, msg);
}

void
notify_stopping(struct notify *n)
{
	if (!n->enabled || n->closing)
		return;
	tell(n, "STOPPING=1\nSTATUS=stopping");
	n->closing = true;
	if (n->started) {
		uv_close((uv_handle_t *)&n->watchdog, NULL);
		uv_close((uv_handle_t *)&n->status, NULL);
	}
}
