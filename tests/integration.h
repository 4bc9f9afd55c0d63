/*
 * integration.h: what the integration cases share (integration.c): the
 * daemon each case gets, raw socket helpers, and the case tables.
 *
 * Every case starts from the same known state: its own daemon on its
 * own empty tree (test_daemon_setup), stopped with SIGTERM and checked
 * to exit 0 afterwards (test_daemon_teardown). So any case runs alone
 * and in any order:
 *	test_integration [-s SEED] [PATTERN]...
 * runs the cases whose names match a PATTERN (fnmatch; "ping" stands
 * for "test_integration_ping"), in an order shuffled by SEED if given.
 * make check T='PATTERN...' [SHUFFLE=SEED] runs it so. $HYCOD names the
 * daemon's binary, $TOP the source tree (for conf/config.yaml).
 */
#ifndef HYCO_INTEGRATION_H
#define HYCO_INTEGRATION_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <sys/types.h>

/* The case's daemon and tree, set up afresh for each case. */
extern char	*dir;			/* temporary tree */
extern char	 cache[PATH_MAX / 2];	/* dir/cache */
extern char	 sock[PATH_MAX];	/* dir/cache/hycod.sock */
extern pid_t	 daemon_pid;

/*
 * Start hycod on the case's tree, extra NULL or KEY=VALUE overrides
 * separated by spaces.
 */
pid_t	spawn(const char *extra);
/* Wait until the daemon answers ping; 0 on success. */
int	wait_ready(pid_t pid);
void	start_daemon(const char *extra);
/* Signal the daemon and return its exit status (-1 if killed). */
int	stop_daemon(int sig);
int	test_daemon_setup(void **state);
int	test_daemon_teardown(void **state);

int	raw_connect(void);
void	raw_send(int fd, const void *buf, size_t len);
/* Read until EOF or timeout; returns bytes read, -1 on timeout. */
ssize_t	raw_read_until_eof(int fd, char *buf, size_t cap, int timeout_ms);
/* The case's daemon answers ping, with its pid. */
void	assert_alive(void);
/* Fill a cycle directory with files; returns the bytes written. */
uint64_t fill_cycle(const char *kind, long cycle, const char *ds, int nfiles);

/* A case: the test with the fixture every case has. */
#define CASE(f)	cmocka_unit_test_setup_teardown(f, test_daemon_setup, \
	test_daemon_teardown)

/* The cases of each file. */
extern const struct CMUnitTest integration_method_cases[];
extern const size_t integration_method_ncases;
extern const struct CMUnitTest integration_conn_cases[];
extern const size_t integration_conn_ncases;
extern const struct CMUnitTest integration_obs_cases[];
extern const size_t integration_obs_ncases;
extern const struct CMUnitTest integration_hot_cases[];
extern const size_t integration_hot_ncases;

#endif
