/*
 * fuzz_reply.c: libhyco on whatever a daemon might send. A client makes
 * up to four calls (typed ones: client/calls.c's tables through
 * decode.c; or the generic hyco_call) and reads its replies from the
 * input, through the real read path of client/hyco.c: the socket calls
 * are wrapped (-Wl,--wrap=socket,connect,send,recv,poll) and recv hands
 * out the input in chunks of a size the input picks. Every result that
 * comes back is then walked with the hyco_value accessors, checked
 * against each other, and printed by hycoctl's json_print, whose output
 * must be valid JSON (RFC 8259, checked here byte by byte).
 *
 * Input: byte 0: bits 0-1 calls - 1, bits 2-4 the recv chunk size;
 * then one byte per call: bits 0-3 which call (below), bit 4 for
 * summary: a caller built against the struct as first published, for
 * get-cycle-dir: a path buffer of 16 bytes; then
 * the bytes the daemon sends, all replies in a row (msgid n for the
 * n-th call).
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hyco_internal.h"
#include "json.h"

enum call {
	C_PING, C_CYCLE_DIR, C_CLEANUP_CYCLE, C_CLEANUP_GENERATED, C_CLEAN,
	C_SUMMARY, C_DISK_CHECK, C_PRUNE, C_GENERIC, C_COUNT
};

/* The stand-in daemon: the input's bytes, handed out once. */
static struct {
	const uint8_t	*p;
	size_t		 n;
	size_t		 chunk;		/* recv hands out at most this */
	bool		 connected;	/* a reconnect is refused */
} peer;

int	__real_socket(int domain, int type, int protocol);
int	__wrap_socket(int domain, int type, int protocol);
int	__wrap_connect(int fd, const struct sockaddr *sa, socklen_t len);
ssize_t	__wrap_send(int fd, const void *buf, size_t len, int flags);
ssize_t	__wrap_recv(int fd, void *buf, size_t len, int flags);
int	__wrap_poll(struct pollfd *fds, nfds_t n, int timeout);

/* A real descriptor, so that close() in the library is real too. */
int
__wrap_socket(int domain, int type, int protocol)
{
	return __real_socket(domain, type, protocol);
}

int
__wrap_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	(void)fd;
	(void)sa;
	(void)len;
	if (peer.connected) {
		errno = ECONNREFUSED;
		return -1;
	}
	peer.connected = true;
	return 0;
}

ssize_t
__wrap_send(int fd, const void *buf, size_t len, int flags)
{
	(void)fd;
	(void)buf;
	(void)flags;
	return (ssize_t)len;
}

ssize_t
__wrap_recv(int fd, void *buf, size_t len, int flags)
{
	(void)fd;
	(void)flags;
	if (len > peer.chunk)
		len = peer.chunk;
	if (len > peer.n)
		len = peer.n;
	memcpy(buf, peer.p, len);
	peer.p += len;
	peer.n -= len;
	return (ssize_t)len;	/* 0: the daemon closed the connection */
}

/*
 * Waiting for a reply: readable (data or EOF). Between calls (timeout
 * 0): nothing pending, as when the daemon answers each request only
 * once it has it.
 */
int
__wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	if (timeout == 0 || n == 0)
		return 0;
	fds[0].revents = POLLIN;
	return 1;
}

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz_reply: %s:%d: %s\n", __FILE__,	\
		    __LINE__, #cond);					\
		abort();						\
	}								\
} while (0)

/* -- a strict JSON checker (RFC 8259) ----------------------------------- */

struct jp {
	const unsigned char	*s, *end;
	int			 depth;
};

static void
ws(struct jp *j)
{
	while (j->s < j->end && (*j->s == ' ' || *j->s == '\t' ||
	    *j->s == '\n' || *j->s == '\r'))
		j->s++;
}

static bool
lit(struct jp *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->s) < n || memcmp(j->s, w, n) != 0)
		return false;
	j->s += n;
	return true;
}

static bool
digits(struct jp *j)
{
	const unsigned char *s = j->s;

	while (j->s < j->end && *j->s >= '0' && *j->s <= '9')
		j->s++;
	return j->s > s;
}

static bool
number(struct jp *j)
{
	if (j->s < j->end && *j->s == '-')
		j->s++;
	if (j->s < j->end && *j->s == '0')
		j->s++;
	else if (j->s >= j->end || *j->s < '1' || *j->s > '9' || !digits(j))
		return false;
	if (j->s < j->end && *j->s == '.' && (j->s++, !digits(j)))
		return false;
	if (j->s < j->end && (*j->s == 'e' || *j->s == 'E')) {
		j->s++;
		if (j->s < j->end && (*j->s == '+' || *j->s == '-'))
			j->s++;
		if (!digits(j))
			return false;
	}
	return true;
}

/* One well-formed UTF-8 sequence (Unicode table 3-7) at j->s. */
static bool
utf8(struct jp *j)
{
	const unsigned char *s = j->s;
	size_t n, left = (size_t)(j->end - s);
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return false;
	lo = s[0] == 0xe0 ? 0xa0 : s[0] == 0xf0 ? 0x90 : 0x80;
	hi = s[0] == 0xed ? 0x9f : s[0] == 0xf4 ? 0x8f : 0xbf;
	if (left < n || s[1] < lo || s[1] > hi)
		return false;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return false;
	j->s += n;
	return true;
}

static bool
string(struct jp *j)
{
	if (j->s >= j->end || *j->s++ != '"')
		return false;
	while (j->s < j->end && *j->s != '"') {
		unsigned char c = *j->s;
		if (c < 0x20)
			return false;
		if (c >= 0x80) {
			if (!utf8(j))
				return false;
			continue;
		}
		j->s++;
		if (c != '\\')
			continue;
		if (j->s >= j->end)
			return false;
		c = *j->s++;
		if (c == 'u') {
			for (int i = 0; i < 4; i++, j->s++)
				if (j->s >= j->end || !((*j->s >= '0' &&
				    *j->s <= '9') || (*j->s >= 'a' &&
				    *j->s <= 'f') || (*j->s >= 'A' &&
				    *j->s <= 'F')))
					return false;
		} else if (strchr("\"\\/bfnrt", c) == NULL || c == '\0')
			return false;
	}
	return j->s < j->end && *j->s++ == '"';
}

static bool
value(struct jp *j)
{
	bool map;

	ws(j);
	if (j->s >= j->end)
		return false;
	if (*j->s == '"')
		return string(j);
	if (*j->s != '{' && *j->s != '[')
		return lit(j, "true") || lit(j, "false") || lit(j, "null") ||
		    number(j);
	map = *j->s++ == '{';
	if (++j->depth > 64)
		return false;
	ws(j);
	if (j->s < j->end && *j->s == (map ? '}' : ']')) {
		j->s++;
		j->depth--;
		return true;
	}
	for (;;) {
		if (map) {
			ws(j);
			if (!string(j))
				return false;
			ws(j);
			if (j->s >= j->end || *j->s++ != ':')
				return false;
		}
		if (!value(j))
			return false;
		ws(j);
		if (j->s >= j->end)
			return false;
		if (*j->s == ',') {
			j->s++;
			continue;
		}
		if (*j->s++ != (map ? '}' : ']'))
			return false;
		j->depth--;
		return true;
	}
}

static void
check_json(const hyco_value *v)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct jp j;

	CHECK(out != NULL);
	CHECK(json_print(out, v) == 0);
	fclose(out);
	j = (struct jp){ (const unsigned char *)text,
	    (const unsigned char *)text + len, 0 };
	if (!value(&j) || (ws(&j), j.s != j.end)) {
		fprintf(stderr, "fuzz_reply: invalid JSON at byte %zu: %s\n",
		    (size_t)(j.s - (const unsigned char *)text), text);
		abort();
	}
	free(text);
}

/* -- the accessors, against each other ---------------------------------- */

static void
walk(const hyco_value *v)
{
	enum hyco_type t = hyco_value_type(v);
	size_t len, n;
	uint64_t u;
	int64_t i;
	double d;
	int b;

	CHECK(v != NULL && t != HYCO_TYPE_NONE);
	CHECK((hyco_value_bool(v, &b) == 0) == (t == HYCO_TYPE_BOOL));
	CHECK((hyco_value_float(v, &d) == 0) == (t == HYCO_TYPE_INT ||
	    t == HYCO_TYPE_FLOAT));
	if (t == HYCO_TYPE_INT)
		CHECK(hyco_value_uint(v, &u) == 0 || hyco_value_int(v, &i) == 0);
	else
		CHECK(hyco_value_uint(v, &u) == -1 &&
		    hyco_value_int(v, &i) == -1);
	CHECK((hyco_value_str(v, &len) != NULL) == (t == HYCO_TYPE_STR));
	CHECK((hyco_value_bin(v, &len) != NULL) == (t == HYCO_TYPE_BIN));
	n = hyco_array_len(v);
	CHECK(t == HYCO_TYPE_ARRAY || n == 0);
	for (size_t k = 0; k < n; k++)
		walk(hyco_array_at(v, k));
	CHECK(hyco_array_at(v, n) == NULL);
	n = hyco_map_len(v);
	CHECK(t == HYCO_TYPE_MAP || n == 0);
	for (size_t k = 0; k < n; k++) {
		const char *key = hyco_value_str(hyco_map_key(v, k), &len);
		walk(hyco_map_key(v, k));
		walk(hyco_map_val(v, k));
		if (key == NULL || memchr(key, '\0', len) != NULL)
			continue;
		/* By name: the first pair with this key. */
		char *name = strndup(key, len);
		size_t first = 0;
		CHECK(name != NULL);
		while (first < k) {
			size_t l;
			const char *s = hyco_value_str(hyco_map_key(v, first), &l);
			if (s != NULL && l == len && memcmp(s, key, len) == 0)
				break;
			first++;
		}
		CHECK(hyco_map_get(v, name) == hyco_map_val(v, first));
		free(name);
	}
	CHECK(hyco_map_key(v, n) == NULL && hyco_map_val(v, n) == NULL);
}

/* A NULL-terminated array of exactly n pointers. */
static void
check_array(void **a, size_t n)
{
	if (n == 0 && a == NULL)
		return;
	CHECK(a != NULL);
	for (size_t k = 0; k < n; k++)
		CHECK(a[k] != NULL);
	CHECK(a[n] == NULL);
}

/* -- the calls ---------------------------------------------------------- */

static int
call(hyco_client *c, uint8_t sel)
{
	static const size_t old_size = HYCO__END(struct hyco_summary, pruning);
	char path[4096];
	size_t pathsz = sel & 0x10 ? 16 : sizeof(path);
	int rc, created;

	switch (sel % 16 % C_COUNT) {
	case C_PING: {
		struct hyco_ping *r = malloc(sizeof(*r));
		CHECK(r != NULL);
		rc = hyco_ping(c, r);
		if (rc == HYCO_OK)
			CHECK(memchr(r->version, '\0', sizeof(r->version)));
		free(r);
		return rc;
	}
	case C_CYCLE_DIR:
		rc = hyco_get_cycle_dir(c, "synthetic", 3, NULL, path, pathsz,
		    &created);
		if (rc == HYCO_OK)
			CHECK(strlen(path) < pathsz && (created == 0 ||
			    created == 1));
		return rc;
	case C_CLEANUP_CYCLE:
	case C_CLEANUP_GENERATED:
	case C_CLEAN: {
		struct hyco_cleanup *r = malloc(sizeof(*r));
		CHECK(r != NULL);
		rc = sel % 16 % C_COUNT == C_CLEANUP_CYCLE ?
		    hyco_cleanup_cycle_sized(c, 3, NULL, HYCO_WAIT, r,
		    sizeof(*r)) : sel % 16 % C_COUNT == C_CLEAN ?
		    hyco_clean(c, "all", NULL, HYCO_CONFIRM, r) :
		    hyco_cleanup_generated_sized(c, 0, r, sizeof(*r));
		if (rc == HYCO_OK)
			check_array((void **)r->removed, r->nremoved);
		hyco_cleanup_free(r);
		free(r);
		return rc;
	}
	case C_SUMMARY: {
		/* An older caller's struct is shorter: ASan sees overruns. */
		size_t size = sel & 0x10 ? old_size : sizeof(struct hyco_summary);
		struct hyco_summary *r = malloc(size);
		CHECK(r != NULL);
		rc = hyco_summary_sized(c, r, size);
		if (rc == HYCO_OK) {
			check_array((void **)r->datasets, r->ndatasets);
			check_array((void **)r->cycles, r->ncycles);
			check_array((void **)r->rescanning, r->nrescanning);
		}
		hyco_summary_free_sized(r, size);
		free(r);
		return rc;
	}
	case C_DISK_CHECK: {
		struct hyco_disk_check *r = malloc(sizeof(*r));
		CHECK(r != NULL);
		rc = hyco_disk_check(c, 1000, r);
		if (rc == HYCO_OK)
			CHECK(memchr(r->path, '\0', sizeof(r->path)));
		free(r);
		return rc;
	}
	case C_PRUNE: {
		struct hyco_prune *r = malloc(sizeof(*r));
		CHECK(r != NULL);
		rc = hyco_prune(c, HYCO_DRY_RUN, r);
		if (rc == HYCO_OK)
			check_array((void **)r->items, r->nitems);
		hyco_prune_free(r);
		free(r);
		return rc;
	}
	default: {
		const struct hyco_arg a = { .name = "x", .type = HYCO_ARG_STR,
		    .s = "y" };
		const hyco_value *v;
		rc = hyco_call(c, "stats", &a, 1, &v);
		if (rc == HYCO_OK)
			CHECK(v == hyco_result(c));
		return rc;
	}
	}
}

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[8] = { SIZE_MAX, 1, 2, 3, 7, 64, 1000,
	    4096 };
	hyco_client *c;
	size_t ncalls;

	if (size < 1)
		return 0;
	ncalls = (data[0] & 3) + 1;
	if (size < 1 + ncalls)
		return 0;
	peer.p = data + 1 + ncalls;
	peer.n = size - 1 - ncalls;
	peer.chunk = chunks[(data[0] >> 2) & 7];
	peer.connected = false;
	CHECK((c = hyco_new("/fuzz/hycod.sock")) != NULL);
	for (size_t k = 0; k < ncalls; k++) {
		int rc = call(c, data[1 + k]);
		const hyco_value *r = hyco_result(c);
		CHECK(rc <= HYCO_OK && rc >= HYCO_ENOMEM);
		CHECK(strlen(hyco_error_code(c)) < 32);
		if (rc != HYCO_OK) {
			/* The daemon's own code may be anything, "" too. */
			CHECK(r == NULL && (rc == HYCO_EREFUSED ||
			    hyco_error_code(c)[0] != '\0'));
			continue;
		}
		walk(r);
		check_json(r);
	}
	hyco_free(c);
	return 0;
}
