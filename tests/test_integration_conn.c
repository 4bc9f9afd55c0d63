/*
 * test_integration_conn.c: the real bin/hycod's connections, each case
 * with a daemon and tree of its own (integration.h): pipelining, bad
 * and partial input over raw sockets, clients that do not read, many
 * clients, restarts, max_clients, SIGTERM.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hyco.h"
#include "integration.h"
#include "proto.h"

/* -- connection behaviour ------------------------------------------------- */

static void
test_integration_pipelined(void **state)
{
	enum { N = 2000 };
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked up;
	static char in[N * 256];
	size_t got = 0, off = 0;
	int fd = raw_connect(), seen = 0;

	(void)state;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	for (int i = 0; i < N; i++)
		rpc_pack_request(&pk, (uint32_t)i + 1, "ping", false);
	raw_send(fd, sb.data, sb.size);	/* one write, N requests */
	msgpack_unpacked_init(&up);
	while (seen < N) {
		size_t start = off;
		msgpack_unpack_return r = msgpack_unpack_next(&up, in, got, &off);
		if (r == MSGPACK_UNPACK_SUCCESS || r == MSGPACK_UNPACK_EXTRA_BYTES) {
			uint32_t id;
			const msgpack_object *err, *res;
			assert_int_equal(rpc_decode_response(&up.data, &id, &err,
			    &res), 0);
			assert_null(err);
			assert_int_equal(id, (uint32_t)seen + 1);	/* in order */
			seen++;
			continue;
		}
		assert_int_equal(r, MSGPACK_UNPACK_CONTINUE);
		/* A partial message may move off: parse it again whole. */
		off = start;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		assert_true(poll(&p, 1, 5000) == 1);
		ssize_t n = read(fd, in + got, sizeof(in) - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
	close(fd);
}

static void
test_integration_too_large(void **state)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked up;
	static char big[100 * 1024], in[4096];
	size_t off = 0;
	int fd = raw_connect();

	(void)state;
	memset(big, 'x', sizeof(big));
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	rpc_pack_request(&pk, 4242, "get-cycle-dir", true);
	msgpack_pack_map(&pk, 1);
	rpc_pack_cstr(&pk, "dataset");
	rpc_pack_strn(&pk, big, sizeof(big));
	send(fd, sb.data, sb.size, MSG_NOSIGNAL);	/* may be cut short */
	ssize_t n = raw_read_until_eof(fd, in, sizeof(in), 5000);
	assert_true(n > 0);
	msgpack_unpacked_init(&up);
	assert_int_equal(msgpack_unpack_next(&up, in, (size_t)n, &off),
	    MSGPACK_UNPACK_SUCCESS);
	uint32_t id;
	const msgpack_object *err, *res;
	assert_int_equal(rpc_decode_response(&up.data, &id, &err, &res), 0);
	assert_int_equal(id, 4242);
	assert_true(rpc_obj_is_str(rpc_map_get(err, "code"), "too_large"));
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
	close(fd);
	assert_alive();
}

static void
test_integration_garbage_closes(void **state)
{
#define IN(s) { s, sizeof(s) - 1 }
	const struct { const char *bytes; size_t len; } inputs[] = {
		IN("\xc1"),			/* never-used msgpack byte */
		IN("\x93\x05\xa4ping\x90"),	/* array, wrong type */
		IN("\xa5hello"),		/* a string, not an array */
		IN("\x94\x00\xa1x\xa4ping\x90"),	/* msgid is a string */
	};
#undef IN
	char in[256];

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		int fd = raw_connect();
		raw_send(fd, inputs[i].bytes, inputs[i].len);
		assert_int_equal(raw_read_until_eof(fd, in, sizeof(in), 5000), 0);
		close(fd);
	}
	assert_alive();
}

/* Connections open now, as summary counts them (itself included). */
static uint64_t
open_connections(void)
{
	hyco_client *c = hyco_new(sock);
	struct hyco_summary s;
	uint64_t n;

	assert_int_equal(hyco_summary(c, &s), HYCO_OK);
	n = s.connections;
	hyco_summary_free(&s);
	hyco_free(c);
	return n;
}

static uint64_t
paused_reads(void)
{
	hyco_client *c = hyco_new(sock);
	struct hyco_summary s;
	uint64_t n;

	assert_int_equal(hyco_summary(c, &s), HYCO_OK);
	n = s.paused_reads;
	hyco_summary_free(&s);
	hyco_free(c);
	return n;
}

/*
 * Half a request: the daemon keeps the connection open and waits (no
 * EOF, no reply: the socket stays unreadable, and summary counts it),
 * and the request completes once the rest arrives.
 */
static void
test_integration_half_request(void **state)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked up;
	char in[64 * 1024];
	size_t got = 0, off = 0;

	(void)state;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	rpc_pack_request(&pk, 77, "summary", false);
	/* One sends half and leaves, one sends half and stays. */
	int gone = raw_connect(), stays = raw_connect();
	raw_send(gone, sb.data, sb.size / 2);
	close(gone);
	raw_send(stays, sb.data, sb.size / 2);
	assert_alive();
	/* Only stays and the asking client are left open. */
	for (int i = 0; i < 100 && open_connections() != 2; i++)
		usleep(10000);
	assert_int_equal(open_connections(), 2);
	/* Nothing to read: a closed connection would read as EOF. */
	struct pollfd p = { .fd = stays, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 300), 0);
	/* The rest arrives later: the request completes normally. */
	raw_send(stays, sb.data + sb.size / 2, sb.size - sb.size / 2);
	msgpack_unpacked_init(&up);
	for (;;) {
		assert_int_equal(poll(&p, 1, 5000), 1);
		ssize_t n = read(stays, in + got, sizeof(in) - got);
		assert_true(n > 0);
		got += (size_t)n;
		if (msgpack_unpack_next(&up, in, got, &off) ==
		    MSGPACK_UNPACK_SUCCESS)
			break;
	}
	uint32_t id;
	const msgpack_object *err, *res;
	assert_int_equal(rpc_decode_response(&up.data, &id, &err, &res), 0);
	assert_int_equal(id, 77);
	assert_null(err);
	assert_non_null(rpc_map_get(res, "total"));
	msgpack_unpacked_destroy(&up);
	close(stays);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * A client that sends without reading: once 1 MiB of its replies wait,
 * its requests are no longer read (paused_reads counts it), and others
 * are served meanwhile.
 */
static void
test_integration_non_reader(void **state)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int fd = raw_connect();
	uint64_t before = paused_reads();
	struct timespec t0, t1;

	(void)state;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	for (int i = 0; i < 100000; i++)
		rpc_pack_request(&pk, (uint32_t)i, "ping", false);
	/* Send without ever reading; stop when the daemon stops reading. */
	fcntl(fd, F_SETFL, O_NONBLOCK);
	size_t off = 0;
	for (int spins = 0; off < sb.size && spins < 200; spins++) {
		ssize_t n = send(fd, sb.data + off, sb.size - off, MSG_NOSIGNAL);
		if (n > 0)
			off += (size_t)n;
		else
			usleep(2000);
	}
	/* It stopped taking bytes: not all of them went. */
	assert_true(off < sb.size);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_alive();		/* others are still served */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	assert_true(paused_reads() > before);
	close(fd);
	msgpack_sbuffer_destroy(&sb);
	assert_alive();
}

#define CLIENTS 200
static int client_ok[CLIENTS];

static void *
client_thread(void *arg)
{
	int i = (int)(intptr_t)arg;
	hyco_client *c = hyco_new(sock);
	struct hyco_summary s;
	struct hyco_ping p;
	char path[PATH_MAX];
	int ok = 1;

	for (int r = 0; r < 10 && ok; r++) {
		ok &= hyco_ping(c, &p) == HYCO_OK;
		ok &= hyco_get_cycle_dir(c, "synthetic", 100 + i % 7, "many", path,
		    sizeof(path), NULL) == HYCO_OK;
		if (r == 0) {
			ok &= hyco_summary(c, &s) == HYCO_OK;
			hyco_summary_free(&s);
		}
	}
	client_ok[i] = ok;
	hyco_free(c);
	return NULL;
}

static void
test_integration_200_clients(void **state)
{
	pthread_t t[CLIENTS];

	(void)state;
	for (int i = 0; i < CLIENTS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, client_thread,
		    (void *)(intptr_t)i), 0);
	for (int i = 0; i < CLIENTS; i++) {
		pthread_join(t[i], NULL);
		assert_true(client_ok[i]);
	}
}

/* -- lifecycle ------------------------------------------------------------ */

static void
test_integration_restart_stale_socket(void **state)
{
	hyco_client *c = hyco_new(sock);
	struct hyco_ping p;
	struct stat st;

	(void)state;
	assert_int_equal(hyco_ping(c, &p), HYCO_OK);
	assert_int_equal(stop_daemon(SIGKILL), -1);
	assert_int_equal(lstat(sock, &st), 0);		/* left behind */
	assert_true(S_ISSOCK(st.st_mode));
	start_daemon(NULL);				/* replaces it */
	/* The same client object reconnects by itself. */
	assert_int_equal(hyco_ping(c, &p), HYCO_OK);
	assert_int_equal(p.pid, daemon_pid);
	/* A second daemon on a live socket is refused. */
	pid_t second = spawn(NULL);
	int status;
	assert_int_equal(waitpid(second, &status, 0), second);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	assert_int_equal(hyco_ping(c, &p), HYCO_OK);
	assert_int_equal(p.pid, daemon_pid);
	hyco_free(c);
}

static void
test_integration_max_clients(void **state)
{
	int fds[3];
	char in[16];

	(void)state;
	assert_int_equal(stop_daemon(SIGTERM), 0);
	start_daemon("daemon.max_clients=3");
	for (int i = 0; i < 3; i++)
		fds[i] = raw_connect();
	usleep(100000);
	int extra = raw_connect();
	assert_int_equal(raw_read_until_eof(extra, in, sizeof(in), 5000), 0);
	close(extra);
	close(fds[0]);
	usleep(100000);
	assert_alive();
	close(fds[1]);
	close(fds[2]);
	assert_int_equal(stop_daemon(SIGTERM), 0);
	start_daemon(NULL);
}

static void
test_integration_sigterm_with_clients(void **state)
{
	hyco_client *c[20];
	struct hyco_ping p;
	struct stat st;
	int half = raw_connect();

	(void)state;
	raw_send(half, "\x94\x00", 2);
	for (int i = 0; i < 20; i++) {
		c[i] = hyco_new(sock);
		assert_int_equal(hyco_ping(c[i], &p), HYCO_OK);
	}
	assert_int_equal(stop_daemon(SIGTERM), 0);
	assert_int_equal(lstat(sock, &st), -1);		/* socket removed */
	for (int i = 0; i < 20; i++) {
		assert_int_equal(hyco_ping(c[i], &p), HYCO_ECONNECT);
		hyco_free(c[i]);
	}
	close(half);
}


const struct CMUnitTest integration_conn_cases[] = {
	CASE(test_integration_pipelined),
	CASE(test_integration_too_large),
	CASE(test_integration_garbage_closes),
	CASE(test_integration_half_request),
	CASE(test_integration_non_reader),
	CASE(test_integration_200_clients),
	CASE(test_integration_restart_stale_socket),
	CASE(test_integration_max_clients),
	CASE(test_integration_sigterm_with_clients),
};
const size_t integration_conn_ncases = sizeof(integration_conn_cases) / sizeof(integration_conn_cases[0]);
