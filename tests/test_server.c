/*
 * test_server.c: server.c's rounds, on a real loop and Unix socket.
 * What one poll reads is handled in one round, after every read of that
 * poll; the round moves on when handling follows a new read (conn_round,
 * server.h). A request read with its connection's end is still handled.
 * Busy polling counts the loop's idle wait, not the time from read to
 * read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>
#include <uv.h>

#include "server.h"
#include "testutil.h"

#define MAX_SEEN	16

/* The messages handed on: each one's round and connection. */
struct seen {
	uint64_t		 round[MAX_SEEN];
	const struct conn	*conn[MAX_SEEN];
	size_t			 n;
	long			 handle_ms;	/* each message takes this long */
};

struct fixture {
	char		*dir;
	char		 path[108];
	uv_loop_t	 loop;
	struct server	 srv;
	struct seen	 seen;
	int		 a, b;		/* two clients */
};

static int
on_message(void *ctx, struct conn *c, const msgpack_object *msg)
{
	struct seen *s = ctx;

	(void)msg;
	assert_true(s->n < MAX_SEEN);
	s->round[s->n] = conn_round(c);
	s->conn[s->n++] = c;
	if (s->handle_ms > 0)
		nanosleep(&(struct timespec){ .tv_nsec = s->handle_ms *
		    1000000 }, NULL);
	return 0;
}

static void
on_too_large(void *ctx, struct conn *c, const char *start, size_t len)
{
	(void)ctx;
	(void)c;
	(void)start;
	(void)len;
	fail_msg("a ping is not too large");
}

static const struct server_ops ops = {
	.message = on_message,
	.too_large = on_too_large,
};

static int
client(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	strcpy(sun.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* [0, 1, "ping", []]: a whole message in one write. */
static void
send_ping(int fd)
{
	static const char m[] = { (char)0x94, 0x00, 0x01, (char)0xa4, 'p',
	    'i', 'n', 'g', (char)0x90 };

	assert_int_equal(write(fd, m, sizeof(m)), (ssize_t)sizeof(m));
}

/* One turn of the loop, waiting for what was written: n messages more. */
static void
one_turn(struct fixture *f, size_t n)
{
	size_t before = f->seen.n;

	uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(f->seen.n, before + n);
}

static int
test_server_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_non_null(f->dir = tu_tmpdir());
	snprintf(f->path, sizeof(f->path), "%s/s.sock", f->dir);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(server_listen(&f->srv, &f->loop, f->path, 0600, 16,
	    65536, &ops, &f->seen), 0);
	f->a = client(f->path);
	f->b = client(f->path);
	for (int i = 0; i < 1000 && f->srv.stats.active < 2; i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(f->srv.stats.active, 2);
	*state = f;
	return 0;
}

static int
test_server_teardown(void **state)
{
	struct fixture *f = *state;

	if (f->a != -1)
		close(f->a);
	close(f->b);
	server_close(&f->srv);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/*
 * Two clients' messages read by one poll: one round for both, handled
 * after both reads. A later read on either: a later round.
 */
static void
test_server_rounds(void **state)
{
	struct fixture *f = *state;
	struct seen *s = &f->seen;

	send_ping(f->a);
	send_ping(f->b);
	one_turn(f, 2);
	assert_true(s->round[0] != 0);
	assert_int_equal(s->round[0], s->round[1]);
	assert_ptr_not_equal(s->conn[0], s->conn[1]);

	send_ping(f->a);
	one_turn(f, 1);
	assert_true(s->round[2] > s->round[1]);

	/* Two messages in one read, and the other client's: one round. */
	send_ping(f->b);
	send_ping(f->b);
	send_ping(f->a);
	one_turn(f, 3);
	assert_true(s->round[3] > s->round[2]);
	assert_int_equal(s->round[4], s->round[3]);
	assert_int_equal(s->round[5], s->round[3]);
}

/*
 * A client that sends and closes at once: the poll reads the request
 * and the end together, and the request is handled all the same.
 */
static void
test_server_request_then_close(void **state)
{
	struct fixture *f = *state;

	send_ping(f->a);
	send_ping(f->a);
	close(f->a);
	f->a = -1;
	one_turn(f, 2);
	assert_int_equal(f->srv.stats.active, 1);
}

static bool
spinning(struct fixture *f)
{
	return uv_is_active((uv_handle_t *)&f->srv.spin);
}

/* Turns of the loop until the spin stops; fails after 10 s. */
static void
until_spin_stops(struct fixture *f)
{
	time_t give_up = time(NULL) + 10;

	while (spinning(f)) {
		uv_run(&f->loop, UV_RUN_NOWAIT);
		assert_true(time(NULL) < give_up);
	}
}

/*
 * A window of 100 ms, messages that take 150 ms to handle: a read right
 * after a round spins though the reads are 150 ms apart, until 100 ms
 * after the round (250 ms from the read, where counting from the read
 * would stop at 150); a read once the window has passed does not spin,
 * nor any read with the window at 0.
 */
static void
test_server_busy_poll_idle_wait(void **state)
{
	struct fixture *f = *state;

	server_busy_poll(&f->srv, 100000);
	f->seen.handle_ms = 150;
	send_ping(f->a);
	one_turn(f, 1);
	assert_false(spinning(f));	/* the first read: no wait before it */

	send_ping(f->a);
	one_turn(f, 1);
	assert_true(spinning(f));
	until_spin_stops(f);
	assert_true(server_busy_poll_total(&f->srv) >= 240000000);

	send_ping(f->a);
	one_turn(f, 1);
	assert_false(spinning(f));

	/* 0: a spin under way stops, and none starts. */
	send_ping(f->a);
	one_turn(f, 1);
	assert_true(spinning(f));
	server_busy_poll(&f->srv, 0);
	assert_false(spinning(f));
	send_ping(f->a);
	one_turn(f, 1);
	assert_false(spinning(f));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_server_rounds,
		    test_server_setup, test_server_teardown),
		cmocka_unit_test_setup_teardown(test_server_request_then_close,
		    test_server_setup, test_server_teardown),
		cmocka_unit_test_setup_teardown(test_server_busy_poll_idle_wait,
		    test_server_setup, test_server_teardown),
	};

	return cmocka_run_group_tests_name("server", tests, NULL, NULL);
}
