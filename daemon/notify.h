/*
 * notify.h: telling systemd how hycod is, through libsystemd's
 * sd_notify(3): READY=1 once the socket is served, STATUS= with the
 * headline figures (refreshed every NOTIFY_STATUS_MS), RELOADING=1 and
 * READY=1 around a reload, STOPPING=1 at shutdown, and WATCHDOG=1 from
 * the event loop at half of WatchdogSec= (sd_watchdog_enabled(3)), so a
 * loop that is stuck stops the pings and systemd restarts the daemon.
 *
 * Without $NOTIFY_SOCKET (not started by systemd, or Type=simple)
 * nothing is sent, no timer runs and the daemon behaves as before.
 *
 * Loop thread only.
 */
#ifndef HYCO_NOTIFY_H
#define HYCO_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#define NOTIFY_STATUS_MS	5000	/* STATUS= refreshed this often */
#define NOTIFY_STATUS_MAX	256	/* bytes of a STATUS= line */

struct hycod;

struct notify {
	struct hycod	*d;
	bool		 enabled;	/* $NOTIFY_SOCKET was set */
	bool		 started;	/* timers initialized */
	bool		 closing;
	uint64_t	 watchdog_us;	/* WatchdogSec=; 0: no watchdog */
	uv_timer_t	 watchdog;	/* WATCHDOG=1 every watchdog_us / 2 */
	uv_timer_t	 status;	/* STATUS= every NOTIFY_STATUS_MS */
	uint64_t	 sent;		/* messages systemd took */
};

/*
 * Read $NOTIFY_SOCKET and the watchdog's $WATCHDOG_USEC (taken out of
 * the environment, so hooks the daemon runs do not inherit it) and
 * start the timers. Nothing to do (and 0) outside systemd.
 */
int	notify_start(struct notify *n, uv_loop_t *loop, struct hycod *d);
/* READY=1 with a fresh STATUS=: the socket accepts and is answered. */
void	notify_ready(struct notify *n);
/* RELOADING=1, before a reload reads its files. */
void	notify_reloading(struct notify *n);
/* STOPPING=1; stops the timers. */
void	notify_stopping(struct notify *n);
/* STATUS= now (the start-up scan is in, a reload is done). */
void	notify_status(struct notify *n);
/* The headline figures as STATUS= shows them, into buf. */
void	notify_status_text(struct hycod *d, char *buf, size_t size);

#endif
