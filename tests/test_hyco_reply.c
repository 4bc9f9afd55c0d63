/*
 * test_hyco_reply.c: libhyco reads replies within its bounds. A
 * stand-in daemon (a thread on a socket of its own) answers each call
 * with crafted bytes: allocation bombs, deep nesting and a declared
 * length over the reply limit are refused at once, with no memory
 * reserved for them; a good reply that trickles in a byte at a time,
 * notifications first, is read whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <msgpack.h>

#include "hyco.h"
#include "proto.h"
#include "testutil.h"

static char	*dir, sockpath[PATH_MAX];
static int	 lfd;

/* What the stand-in answers the next call with, and how. */
static struct {
	const char	*bytes;
	size_t		 len;
	int		 trickle;	/* one byte per send */
	int		 msgid_at;	/* patch the request's msgid here (-1: no) */
} script;

static void *
serve(void *arg)
{
	char req[512], *out = malloc(script.len);
	int fd;

	(void)arg;
	if ((fd = accept(lfd, NULL, NULL)) == -1 || out == NULL)
		abort();
	memcpy(out, script.bytes, script.len);
	/* The request: [0, msgid (fixint or uint32), ...]; echo its msgid. */
	ssize_t n = read(fd, req, sizeof(req));
	if (n >= 3 && script.msgid_at >= 0)
		out[script.msgid_at] = req[2];
	for (size_t off = 0; off < script.len;) {
		size_t k = script.trickle ? 1 : script.len - off;
		ssize_t w = send(fd, out + off, k, MSG_NOSIGNAL);
		if (w <= 0)
			break;	/* the client gave up on it: that is the point */
		off += (size_t)w;
	}
	/* Held open: the client must not be waiting for more. */
	shutdown(fd, SHUT_WR);
	while (read(fd, req, sizeof(req)) > 0)
		;
	close(fd);
	free(out);
	return NULL;
}

/* VmSize of this process, in kB. */
static long
vmsize_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmSize: %ld", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb;
}

/* One ping answered by the script; hyco_ping's status. */
static int
call(const char *bytes, size_t len, int trickle, int msgid_at,
    struct hyco_ping *p, hyco_client **cp)
{
	hyco_client *c = hyco_new(sockpath);
	pthread_t t;
	int rc;

	script.bytes = bytes;
	script.len = len;
	script.trickle = trickle;
	script.msgid_at = msgid_at;
	assert_int_equal(pthread_create(&t, NULL, serve, NULL), 0);
	hyco_set_timeouts(c, 5000, 5000);
	rc = hyco_ping(c, p);
	if (cp != NULL)
		*cp = c;
	else
		hyco_free(c);
	pthread_join(t, NULL);
	return rc;
}

static int
setup(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	(void)state;
	dir = tu_tmpdir();
	snprintf(sockpath, sizeof(sockpath), "%s/s.sock", dir);
	strcpy(sun.sun_path, sockpath);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(lfd, 4) == -1)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	close(lfd);
	tu_rmrf(dir);
	free(dir);
	return 0;
}

/* The bombs, as replies: refused, nothing reserved. */
static void
test_hyco_reply_bombs(void **state)
{
	char nested[76], flat[10] = { (char)0xdd, (char)0x94, 0x01, 0x03,
	    0x2c, 0, 0, 0, 0, 0 };
	struct hyco_ping p;
	hyco_client *c;
	long before;

	(void)state;
	for (int i = 0; i < 15; i++)
		memcpy(nested + 5 * i, "\xdd\x08\x00\x00\x00", 5);
	nested[75] = 0;
	/* Once first, so that the thread stack glibc keeps is counted. */
	assert_int_equal(call(flat, sizeof(flat), 0, -1, &p, NULL), HYCO_EPROTO);
	before = vmsize_kb();
	for (int round = 0; round < 20; round++) {
		assert_int_equal(call(round % 2 ? nested : flat, round % 2 ?
		    sizeof(nested) : sizeof(flat), 0, -1, &p, &c), HYCO_EPROTO);
		assert_string_equal(hyco_error_code(c), "protocol");
		assert_non_null(strstr(hyco_error_message(c), "larger than"));
		hyco_free(c);
	}
	/* Unpacked, each would reserve gigabytes (63 GB for nested). */
	assert_true(vmsize_kb() - before < 16 * 1024);
}

/* Deeper than FRAME_DEPTH_MAX: refused though tiny. */
static void
test_hyco_reply_too_deep(void **state)
{
	char deep[21];
	struct hyco_ping p;
	hyco_client *c;

	(void)state;
	/* 20 levels: within msgpack-c's own 32, over ours. */
	memset(deep, 0x91, sizeof(deep));
	deep[20] = 0;
	assert_int_equal(call(deep, sizeof(deep), 0, -1, &p, &c), HYCO_EPROTO);
	assert_non_null(strstr(hyco_error_message(c), "nested over 16"));
	hyco_free(c);
}

/* A string declared longer than the reply limit: refused at its header. */
static void
test_hyco_reply_declared_too_long(void **state)
{
	/* [1, id, nil, "<100 MB>"], of which only the header is sent. */
	const char big[] = "\x94\x01\x00\xc0\xdb\x06\x00\x00\x00" "abc";
	struct hyco_ping p;

	(void)state;
	assert_int_equal(call(big, sizeof(big) - 1, 0, 2, &p, NULL),
	    HYCO_EPROTO);
}

/* A good reply, a byte at a time after two notifications: read whole. */
static void
test_hyco_reply_trickle(void **state)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct rpc_container m;
	struct hyco_ping p;
	size_t at;

	(void)state;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	for (int i = 0; i < 2; i++) {
		msgpack_pack_array(&pk, 3);
		msgpack_pack_uint8(&pk, RPC_NOTIFY);
		rpc_pack_cstr(&pk, "note");
		msgpack_pack_array(&pk, 0);
	}
	at = sb.size + 2;	/* the msgid: [1, <fixint>, ... */
	msgpack_pack_array(&pk, 4);
	msgpack_pack_uint8(&pk, RPC_RESPONSE);
	msgpack_pack_uint8(&pk, 0);
	msgpack_pack_nil(&pk);
	rpc_map_begin(&m, &pk);
	rpc_map_key(&m, "version");
	rpc_pack_cstr(&pk, "9.9.9");
	rpc_map_key(&m, "pid");
	msgpack_pack_int(&pk, 4242);
	rpc_map_key(&m, "uptime_s");
	msgpack_pack_double(&pk, 1.5);
	rpc_map_key(&m, "connections");
	msgpack_pack_uint32(&pk, 1);
	rpc_map_key(&m, "requests");
	msgpack_pack_uint64(&pk, 123456789012ull);
	rpc_map_key(&m, "cache_root");
	rpc_pack_cstr(&pk, "/cache");
	rpc_map_end(&m);
	assert_int_equal(call(sb.data, sb.size, 1, (int)at, &p, NULL), HYCO_OK);
	assert_int_equal(p.pid, 4242);
	assert_int_equal(p.requests, 123456789012ull);
	msgpack_sbuffer_destroy(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hyco_reply_bombs),
		cmocka_unit_test(test_hyco_reply_too_deep),
		cmocka_unit_test(test_hyco_reply_declared_too_long),
		cmocka_unit_test(test_hyco_reply_trickle),
	};
	return cmocka_run_group_tests_name("hyco_reply", tests, setup, teardown);
}
