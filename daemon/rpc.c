/*
 * rpc.c: the method table and what every request goes through: its
 * decoding, access check, argument checks, statistics and error
 * replies. The handlers are in rpc_cache.c (the tree: cycle
 * directories, removals, disk-check) and rpc_status.c (what the
 * daemon knows: ping, summary, stats, metrics, events, config).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "early.h"
#include "frame.h"
#include "rpc_int.h"

/* -- replies ------------------------------------------------------------ */

msgpack_packer *
reply_result(struct reply *r)
{
	static msgpack_packer notify_pk;	/* loop thread only */
	msgpack_packer *pk;

	r->packed = true;
	if (r->notify) {
		msgpack_sbuffer_clear(&r->d->notify_out);
		msgpack_packer_init(&notify_pk, &r->d->notify_out,
		    msgpack_sbuffer_write);
		return &notify_pk;
	}
	pk = conn_packer(r->conn);
	rpc_pack_result(pk, r->msgid);
	return pk;
}

void
reply_error(struct reply *r, enum rpc_error code, const char *fmt, ...)
{
	char msg[JOB_ERRMSG_MAX];
	va_list ap;

	r->d->rpc.errors[code]++;
	stats_error(&r->d->stats, r->method, code);
	if (!r->notify) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		rpc_pack_error(conn_packer(r->conn), r->msgid, code, msg);
	}
	if (r->t0 != 0)
		stats_latency(&r->d->stats, r->method, uv_hrtime() - r->t0);
}

/* Out of memory, or work the thread pool refused, is the daemon's own. */
enum rpc_error
errno_code(int err)
{
	if (err == ENOMEM)
		return RPC_EINTERNAL;
	return err == ENOSPC || err == EDQUOT ? RPC_ENOSPC : RPC_EIO;
}

const struct disk_fs *
root_disk(struct reply *r, bool all)
{
	struct disk *dk = &r->d->disk;
	uint64_t now = r->t0 != 0 ? r->t0 : uv_hrtime();
	int f = disk_of_role(dk, DISK_ROLE_CACHE_ROOT);
	const struct disk_fs *fs;
	int err;

	if (all)
		disk_refresh_at(dk, now, DISK_SUMMARY_MAX_AGE_MS);
	fs = f < 0 ? NULL : disk_refresh_one_at(dk, (size_t)f, now,
	    DISK_SUMMARY_MAX_AGE_MS);
	if (fs != NULL && fs->error == 0)
		return fs;
	err = fs == NULL ? ENOENT : fs->error;
	reply_error(r, errno_code(err), "statvfs %s: %s",
	    r->d->cfg.layout.cache_root, strerror(err));
	return NULL;
}

/* -- arguments ---------------------------------------------------------- */

int
arg_cycle(struct reply *r, const msgpack_object_map *args, long *cycle)
{
	const msgpack_object *o = rpc_args_get(args, "cycle");
	int64_t v;

	if (o == NULL) {
		reply_error(r, RPC_EINVAL, "cycle is required");
		return -1;
	}
	if (rpc_obj_int(o, &v) == -1 || v < 0 || v > HYCO_CYCLE_MAX) {
		reply_error(r, RPC_EINVAL, "cycle must be an integer from 0 "
		    "to %ld", HYCO_CYCLE_MAX);
		return -1;
	}
	*cycle = (long)v;
	return 0;
}

int
arg_kind(struct reply *r, const msgpack_object_map *args, bool required,
    bool allow_all, int *kind)
{
	const msgpack_object *o = rpc_args_get(args, "kind");

	if (o == NULL) {
		if (!required)
			return 0;
		reply_error(r, RPC_EINVAL, "kind is required");
		return -1;
	}
	if (o->type != MSGPACK_OBJECT_STR ||
	    (*kind = layout_parse_kind(o->via.str.ptr, o->via.str.size,
	    allow_all)) == -1) {
		reply_error(r, RPC_EINVAL, "kind must be \"synthetic\"%s",
		    allow_all ? ", \"physical\" or \"all\"" : " or \"physical\"");
		return -1;
	}
	return 0;
}

int
arg_dataset(struct reply *r, const msgpack_object_map *args, char *out)
{
	const msgpack_object *o = rpc_args_get(args, "dataset");
	const char *why;

	if (o == NULL) {
		strcpy(out, r->d->cfg.layout.default_dataset);
		return 0;
	}
	if (o->type != MSGPACK_OBJECT_STR) {
		reply_error(r, RPC_EINVAL, "dataset must be a string");
		return -1;
	}
	if (!layout_valid_dataset(o->via.str.ptr, o->via.str.size, &why)) {
		reply_error(r, RPC_EINVAL, "%s", why);
		return -1;
	}
	memcpy(out, o->via.str.ptr, o->via.str.size);
	out[o->via.str.size] = '\0';
	return 0;
}

int
arg_wait(struct reply *r, const msgpack_object_map *args, bool *wait)
{
	const msgpack_object *o = rpc_args_get(args, "wait");

	*wait = false;
	if (o == NULL)
		return 0;
	if (o->type != MSGPACK_OBJECT_BOOLEAN) {
		reply_error(r, RPC_EINVAL, "wait must be true or false");
		return -1;
	}
	*wait = o->via.boolean;
	return 0;
}

/* -- jobs --------------------------------------------------------------- */

struct job *
new_job(struct reply *r, enum job_type type)
{
	struct job *j = job_new(r, type, answer_job);

	if (j == NULL)
		reply_error(r, RPC_EINTERNAL, "out of memory");
	return j;
}

/* Run j; when it cannot run, answer and drop it now. */
void
start_job(struct job *j)
{
	if (job_start(j) == -1) {
		reply_error(&j->r, RPC_EINTERNAL, "cannot queue work");
		job_free(j);
	}
}

/*
 * A request whose answer is made of the index, during the start-up
 * scan: answered once the scan is in (rpc_scan_ready); refused now when
 * too many wait already.
 */
void
park(struct reply *r)
{
	if (early_park(&r->d->early, r->conn, r->msg) == -1)
		reply_error(r, RPC_EINTERNAL, "too many requests wait for the "
		    "start-up scan (at most %d); ask again", EARLY_MAX);
}

static const char *const no_args[] = { NULL };
static const char *const summary_args[] = { "wait", NULL };
static const char *const cycle_dir_args[] = { "kind", "cycle", "dataset",
	NULL };
static const char *const cleanup_cycle_args[] = { "cycle", "kind", "wait",
	NULL };
static const char *const cleanup_generated_args[] = { "wait", NULL };
static const char *const prune_args[] = { "dry_run", NULL };
static const char *const clean_args[] = { "target", "dataset", "confirm",
	"wait", NULL };
static const char *const disk_check_args[] = { "required_bytes",
	"required_gb", NULL };
static const char *const subscribe_args[] = { "events", NULL };

static const struct method {
	const char		*name;
	void			(*fn)(struct reply *, const msgpack_object_map *);
	const char *const	*args;
} methods[] = {
	{ "ping", m_ping, no_args },
	{ "get-cycle-dir", m_get_cycle_dir, cycle_dir_args },
	{ "cleanup-cycle", m_cleanup_cycle, cleanup_cycle_args },
	{ "cleanup-generated", m_cleanup_generated, cleanup_generated_args },
	{ "summary", m_summary, summary_args },
	{ "disk-check", m_disk_check, disk_check_args },
	{ "prune", m_prune, prune_args },
	{ "clean", m_clean, clean_args },
	{ "subscribe", m_subscribe, subscribe_args },
	{ "unsubscribe", m_unsubscribe, no_args },
	{ "stats", m_stats, no_args },
	{ "metrics", m_metrics, no_args },
	{ "reload", m_reload, no_args },
	{ "config", m_config, no_args },
};

#define NMETHODS	(sizeof(methods) / sizeof(methods[0]))
/* Stats slots: methods[i] is 1 + i, so a zeroed reply counts as none. */
#define SLOT(i)		((int)(i) + 1)

const char *
rpc_method_name(size_t i)
{
	return i < NMETHODS ? methods[i].name :
	    NULL;
}

/* -- server callbacks --------------------------------------------------- */

/*
 * When the request answered last ended (uv_hrtime), while more of the
 * same connection's input follow it: the next one's start, one clock
 * read saved per request (a tenth of a pipelined ping's cost). 0: read
 * the clock.
 * Loop thread only.
 */
static uint64_t chain_ns;

/*
 * daemon.access: whether this peer may call m (access.h). Admin calls
 * are audited, allowed or not; a refusal is answered permission_denied.
 */
static bool
permitted(struct reply *r, const struct method *m,
    const msgpack_object_map *args)
{
	enum access_class class = access_class_of(m->name, strlen(m->name));
	const struct peer_cred *p = conn_peer(r->conn);
	bool ok = access_allowed(&r->d->access, class, p);

	if (class == ACCESS_ADMIN)
		access_audit(m->name, ok, p, args);
	if (ok)
		return true;
	log_debug("rpc: %s refused to uid %u: not in daemon.access.%s",
	    m->name, (unsigned)p->uid, access_class_names[class]);
	reply_error(r, RPC_EPERM, "%s needs %s access (daemon.access.%s); "
	    "uid %lld gid %lld is not allowed", m->name,
	    access_class_names[class], access_class_names[class],
	    p->known ? (long long)p->uid : -1LL,
	    p->known ? (long long)p->gid : -1LL);
	return false;
}

static const struct method *
find_method(const char *name, size_t len)
{
	for (size_t i = 0; i < NMETHODS; i++)
		if (strlen(methods[i].name) == len &&
		    memcmp(methods[i].name, name, len) == 0)
			return &methods[i];
	return NULL;
}

/*
 * Methods whose handler may start a job (job.h): they take a work slot.
 * A get-cycle-dir the index answers needs none, but is not known to be
 * one before its handler runs.
 */
static bool
makes_job(const struct method *m)
{
	return m->fn == m_get_cycle_dir || m->fn == m_cleanup_cycle ||
	    m->fn == m_cleanup_generated || m->fn == m_clean;
}

static int
handle_message(void *ctx, struct conn *c, const msgpack_object *msg)
{
	struct hycod *d = ctx;
	struct rpc_request req;
	struct reply r = { .d = d, .conn = c, .t0 = chain_ns != 0 ? chain_ns :
	    uv_hrtime(), .round = conn_round(c), .msg = msg };
	const struct method *m;
	const char *why;
	char buf[160];
	uint64_t t1;
	int rc;

	chain_ns = 0;

	if ((rc = rpc_decode_request(msg, &req, &why)) == RPC_DECODE_CLOSE) {
		log_debug("rpc: %s, closing connection", why);
		return -1;
	}
	/*
	 * At daemon.max_jobs_per_client or daemon.max_jobs: not failed,
	 * kept; the server reads this connection no further until a job
	 * ends, then hands this request again.
	 */
	m = find_method(req.method, req.method_len);
	if (rc == RPC_DECODE_OK && m != NULL && makes_job(m) &&
	    !conn_may_work(c))
		return SERVER_HOLD;
	r.msgid = req.msgid;
	r.notify = req.type == RPC_NOTIFY;
	r.method = m != NULL ? SLOT(m - methods) : 0;
	r.seq = ++d->rpc.requests;
	stats_request(&d->stats, r.method);
	if (rc == RPC_DECODE_BADPARAMS) {
		reply_error(&r, RPC_EINVAL, "%s", why);
		return 0;
	}
	if (m == NULL) {
		reply_error(&r, RPC_EMETHOD, "unknown method '%.*s'",
		    (int)(req.method_len > 64 ? 64 : req.method_len),
		    req.method);
		return 0;
	}
	if (!permitted(&r, m, req.args))
		return 0;
	if (rpc_args_check(req.args, m->args, buf, sizeof(buf)) == -1)
		reply_error(&r, RPC_EINVAL, "%s: %s", m->name, buf);
	else
		m->fn(&r, req.args);
	/* Answered now (errors time themselves); a job times its answer. */
	if (r.packed) {
		t1 = uv_hrtime();
		stats_latency(&d->stats, r.method, t1 - r.t0);
		chain_ns = t1;
	}
	return 0;
}

/*
 * The next request is another connection's, or comes after a wait:
 * its start is its own.
 */
static void
handle_batch_end(void *ctx)
{
	(void)ctx;
	chain_ns = 0;
}

static void
handle_too_large(void *ctx, struct conn *c, const char *start, size_t len)
{
	struct hycod *d = ctx;
	struct reply r = { .d = d, .conn = c };
	uint32_t msgid;

	log_debug("rpc: request of %zu+ bytes over the %zu limit, or nested "
	    "over %d levels", len, d->cfg.max_request_bytes, FRAME_DEPTH_MAX);
	if (rpc_peek_msgid(start, len, &msgid) == -1) {
		d->rpc.errors[RPC_ETOOLARGE]++;
		stats_error(&d->stats, STATS_UNKNOWN, RPC_ETOOLARGE);
		return;
	}
	r.msgid = msgid;
	reply_error(&r, RPC_ETOOLARGE, "request is larger than "
	    "daemon.max_request_bytes (%zu), counting the sizes it declares, "
	    "or nests deeper than %d levels", d->cfg.max_request_bytes,
	    FRAME_DEPTH_MAX);
}

/* Its leases end with the connection, and its subscription. */
static void
handle_closed(void *ctx, struct conn *c)
{
	struct hycod *d = ctx;

	policy_release(&d->policy, c);
	events_closed(&d->events, c);
}

/*
 * A request that waited for the start-up scan, now: counted when it
 * came, its arguments checked then too.
 */
static void
run_parked(void *ctx, struct conn *c, const msgpack_object *msg)
{
	struct hycod *d = ctx;
	struct rpc_request req;
	struct reply r = { .d = d, .conn = c, .msg = msg, .t0 = uv_hrtime(),
	    .seq = d->rpc.requests };
	const char *why;

	if (rpc_decode_request(msg, &req, &why) != RPC_DECODE_OK)
		return;
	r.msgid = req.msgid;
	r.notify = req.type == RPC_NOTIFY;
	for (size_t i = 0; i < NMETHODS; i++)
		if (strlen(methods[i].name) == req.method_len &&
		    memcmp(methods[i].name, req.method, req.method_len) == 0) {
			r.method = SLOT(i);
			methods[i].fn(&r, req.args);
			/* Timed from now: its wait for the scan is not its cost. */
			if (r.packed)
				stats_latency(&d->stats, r.method,
				    uv_hrtime() - r.t0);
			return;
		}
}

void
rpc_scan_ready(struct hycod *d)
{
	early_release(&d->early, run_parked, d);
}

const struct server_ops rpc_server_ops = {
	.message = handle_message,
	.too_large = handle_too_large,
	.closed = handle_closed,
	.batch_end = handle_batch_end,
};

void
rpc_start(struct hycod *d)
{
	for (size_t i = 0; i < NMETHODS; i++)
		if (stats_method_add(&d->stats, methods[i].name) != SLOT(i))
			fatalx("rpc_start: more methods than STATS_METHODS_MAX");
}

void
rpc_free(struct hycod *d)
{
	msgpack_sbuffer_destroy(&d->notify_out);
	rpc_summary_free(d);
}
