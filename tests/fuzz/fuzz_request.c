/*
 * fuzz_request.c: libFuzzer target for request framing plus dispatch.
 *
 * The input is a byte stream as a client would send it: its first byte
 * says how it arrives (0: whole; n: n bytes a read), the rest is fed
 * through frame.c and msgpack-c exactly as server.c does, and every
 * message goes to rpc.c's real handlers through a stand-in connection
 * (this file implements server.h's conn_* for it). Filesystem methods
 * run as real jobs on libuv's thread pool against a real daemon state
 * (index, inotify, trash, policy) on a temporary tree, and the loop
 * runs until each is answered. Then every reply packed must read back
 * as msgpack-RPC responses, one per request, with no bytes left over.
 *
 * Built with clang -fsanitize=fuzzer,address,undefined by make fuzz
 * (tests/fuzz/fuzz.mk); tests/fuzz/replay.c gives it a main() that runs
 * files, for make check's replay of tests/fuzz/corpus/fuzz_request/ and
 * tests/fuzz/regress/fuzz_request/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <msgpack.h>
#include <uv.h>

#include "config.h"
#include "frame.h"
#include "fsutil.h"
#include "hycod.h"
#include "log.h"
#include "rpc.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_JOBS	4	/* per connection: holds are exercised */
#define WIPE_DIRS	4000	/* directories before the tree is emptied */

/* -- the stand-in connection (server.h) ------------------------------- */

struct conn {
	int		 refs;
	unsigned	 work;
	bool		 open;
	unsigned	 requests;	/* answers expected */
	msgpack_sbuffer	 out;
	msgpack_packer	 pk;
};

/* A reload sets the server's limits: there is no server here. */
void
server_set_limits(struct server *s, unsigned max_clients, size_t max_request)
{
	(void)s;
	(void)max_clients;
	(void)max_request;
}

void
server_limit_work(struct server *s, unsigned per_conn, unsigned total)
{
	(void)s;
	(void)per_conn;
	(void)total;
}

void
server_busy_poll(struct server *s, unsigned us)
{
	(void)s;
	(void)us;
}

uint64_t
server_busy_poll_total(const struct server *s)
{
	(void)s;
	return 0;
}

/* Root: every class of method passes daemon.access, admin audited. */
static const struct peer_cred root_peer = { .known = true, .pid = 1 };

const struct peer_cred *
conn_peer(const struct conn *c)
{
	(void)c;
	return &root_peer;
}

/* No rounds here: 0, so each request checks the inotify queue. */
uint64_t
conn_round(const struct conn *c)
{
	(void)c;
	return 0;
}

size_t
conn_queued(const struct conn *c)
{
	return c->out.size;
}

int
conn_write(struct conn *c, const char *buf, size_t len)
{
	return msgpack_sbuffer_write(&c->out, buf, len);
}

void
conn_close(struct conn *c)
{
	c->open = false;
}

void
conn_abort(struct conn *c)
{
	c->open = false;
}

msgpack_packer *
conn_packer(struct conn *c)
{
	return &c->pk;
}

void
conn_flush(struct conn *c)
{
	(void)c;	/* replies stay in out, read back at the end */
}

bool
conn_is_open(const struct conn *c)
{
	return c->open;
}

void
conn_ref(struct conn *c)
{
	c->refs++;
}

void
conn_unref(struct conn *c)
{
	if (--c->refs < 0)
		abort();
}

bool
conn_may_work(const struct conn *c)
{
	return c->work < MAX_JOBS;
}

void
conn_work_begin(struct conn *c)
{
	conn_ref(c);
	c->work++;
}

void
conn_work_end(struct conn *c)
{
	c->work--;
	conn_unref(c);
}

/* -- the daemon ---------------------------------------------------------- */

static struct hycod d;
static bool ready;
static char root[64];

/* The temporary tree goes with the process (not after a crash). */
static void
remove_tree(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_request: could not remove %s\n", root);
}

static void
on_ready(void *arg)
{
	ready = true;
	rpc_scan_ready(arg);
}

static void
run_until_idle(struct conn *c)
{
	while (c->work > 0)
		uv_run(d.loop, UV_RUN_ONCE);
	uv_run(d.loop, UV_RUN_NOWAIT);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct cfg_errors errs = { 0 };
	char conf[128];
	const char *files[1] = { conf };
	FILE *f;

	(void)argc;
	(void)argv;
	log_init("fuzz_request", LOG_LEVEL_ERROR);
	snprintf(root, sizeof(root), "/dev/shm/hyco-fuzz-XXXXXX");
	if (mkdtemp(root) == NULL) {
		snprintf(root, sizeof(root), "/tmp/hyco-fuzz-XXXXXX");
		if (mkdtemp(root) == NULL)
			abort();
	}
	atexit(remove_tree);
	snprintf(conf, sizeof(conf), "%s/c.yaml", root);
	if ((f = fopen(conf, "w")) == NULL)
		abort();
	fprintf(f, "paths:\n  cache_root: %s/cache\ndaemon:\n  log_level: "
	    "error\nretention:\n  check_interval_s: 3600\n", root);
	fclose(f);
	if (config_load(&d.cfg, files, 1, NULL, 0, &errs) == -1) {
		cfg_errors_print(&errs, stderr);
		abort();
	}
	log_setlevel(d.cfg.log_level);
	/* reload reads the same file again. */
	d.src = (struct reload_source){ files, 1, NULL, 0, NULL };
	d.loop = uv_default_loop();
	d.start_ns = uv_hrtime();
	stats_init(&d.stats, d.cfg.metrics_max_datasets);
	rpc_start(&d);
	events_start(&d.events, d.loop, d.cfg.events_max_queued);
	access_init(&d.access, &d.cfg.access);
	if (fsutil_create_roots(&d.cfg.layout, d.cfg.dir_mode) == -1 ||
	    trash_open(&d.trash, d.loop, d.cfg.trash_dir, &d.cfg.layout) == -1)
		abort();
	struct watch_opts wo = {
		.max_watches = d.cfg.max_watches,
		.rescan_interval_s = d.cfg.rescan_interval_s,
		.scan_threads = 1,
	};
	if (watch_start(&d.watch, d.loop, &d.cfg.layout, &wo, on_ready, &d)
	    == -1)
		abort();
	if (disk_start(&d.disk, d.loop, &d.cfg.alerts, &d.cfg.layout,
	    &d.trash) == -1)
		abort();
	policy_start(&d.policy, d.loop, &d.cfg.layout, &d.cfg.retention,
	    &d.watch, &d.trash, &d.disk);
	d.policy.events = &d.events;
	while (!ready)
		uv_run(d.loop, UV_RUN_ONCE);
	return 0;
}

/* One message to rpc.c, as server.c hands it; false: connection closes. */
static bool
dispatch(struct conn *c, const msgpack_object *o)
{
	int rc;

	while ((rc = rpc_server_ops.message(&d, c, o)) == SERVER_HOLD) {
		if (c->work == 0)
			abort();	/* held with nothing to wait for */
		run_until_idle(c);
	}
	return rc == 0;
}

/* The replies must be msgpack-RPC responses, whole, nothing else. */
static void
check_replies(const struct conn *c)
{
	struct frame f;
	msgpack_unpacked up;
	size_t off = 0;
	unsigned n = 0;

	frame_init(&f, 64u << 20);
	msgpack_unpacked_init(&up);
	while (off < c->out.size) {
		uint32_t id;
		const msgpack_object *err, *res;
		size_t used = 0;
		if (frame_walk(&f, c->out.data + off, c->out.size - off) !=
		    FRAME_DONE || msgpack_unpack_next(&up, c->out.data + off,
		    f.pos, &used) != MSGPACK_UNPACK_SUCCESS || used != f.pos)
			abort();
		/* An event for a subscriber: [2, "event", [map]], not a reply. */
		if (up.data.type == MSGPACK_OBJECT_ARRAY &&
		    up.data.via.array.size == 3 &&
		    up.data.via.array.ptr[0].type ==
		    MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    up.data.via.array.ptr[0].via.u64 == RPC_NOTIFY) {
			off += f.pos;
			frame_next(&f);
			continue;
		}
		if (rpc_decode_response(&up.data, &id, &err, &res) == -1)
			abort();
		/* An error is a map of a code and a message, result nil. */
		if (err != NULL && (rpc_map_get(err, "code") == NULL ||
		    res->type != MSGPACK_OBJECT_NIL))
			abort();
		off += f.pos;
		frame_next(&f);
		n++;
	}
	msgpack_unpacked_destroy(&up);
	/* One each, but a request over the limit may go unanswered. */
	if (n > c->requests)
		abort();
}

/* Empty the tree now and then, so that it does not grow without end. */
static void
wipe(void)
{
	struct conn c = { .refs = 1, .open = true };
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked up;
	size_t off = 0;

	if (d.watch.ix.watched < WIPE_DIRS)
		return;
	msgpack_sbuffer_init(&c.out);
	msgpack_packer_init(&c.pk, &c.out, msgpack_sbuffer_write);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	rpc_pack_request(&pk, 1, "clean", true);
	msgpack_pack_map(&pk, 3);
	rpc_pack_cstr(&pk, "target");
	rpc_pack_cstr(&pk, "all");
	rpc_pack_cstr(&pk, "confirm");
	msgpack_pack_true(&pk);
	rpc_pack_cstr(&pk, "wait");
	msgpack_pack_true(&pk);
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, sb.data, sb.size, &off) !=
	    MSGPACK_UNPACK_SUCCESS || !dispatch(&c, &up.data))
		abort();
	run_until_idle(&c);
	rpc_server_ops.closed(&d, &c);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
	msgpack_sbuffer_destroy(&c.out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conn c = { .refs = 1, .open = true };
	size_t chunk, have, start = 0;
	struct frame f;
	msgpack_unpacked up;
	const char *in;

	if (size == 0)
		return 0;
	chunk = data[0] == 0 ? size : data[0];
	in = (const char *)data + 1;
	size--;
	msgpack_sbuffer_init(&c.out);
	msgpack_packer_init(&c.pk, &c.out, msgpack_sbuffer_write);
	msgpack_unpacked_init(&up);
	frame_init(&f, d.cfg.max_request_bytes);
	/* Bytes arrive chunk at a time; each message is handled whole. */
	for (have = 0; have < size && c.open;) {
		have = have + chunk < size ? have + chunk : size;
		while (c.open && start < have) {
			enum frame_status fs = frame_walk(&f, in + start,
			    have - start);
			size_t used = 0;
			if (fs == FRAME_MORE)
				break;
			if (fs == FRAME_TOO_LARGE || fs == FRAME_TOO_DEEP) {
				rpc_server_ops.too_large(&d, &c, in + start,
				    have - start);
				c.requests++;
				c.open = false;
				break;
			}
			if (fs == FRAME_BAD || msgpack_unpack_next(&up,
			    in + start, f.pos, &used) != MSGPACK_UNPACK_SUCCESS ||
			    used != f.pos) {
				c.open = false;
				break;
			}
			c.requests++;
			if (!dispatch(&c, &up.data))
				c.open = false;
			start += f.pos;
			frame_next(&f);
		}
	}
	/* Replies to jobs still out are packed while it is open. */
	run_until_idle(&c);
	c.open = false;
	rpc_server_ops.closed(&d, &c);
	check_replies(&c);
	if (c.refs != 1 || c.work != 0)
		abort();	/* a job kept the connection */
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&c.out);
	wipe();
	return 0;
}
