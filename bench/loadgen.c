/*
 * loadgen.c: a closed-loop load client for hycod and, as its reference,
 * redis-server, over Unix sockets, from one thread with epoll.
 *
 *   loadgen [-c CLIENTS] [-P PIPELINE] [-t SECONDS] [-w WARMUP]
 *       [-r ROUNDS] [-l LABEL] [-H] A B
 *
 * A and B are PROTO:SOCKET:METHOD[:ARGS], PROTO being msgpack (msgpack-
 * RPC, ARGS as key=value,key=value: integers where they read as one,
 * true and false, else strings) or resp (Redis, METHOD a command such
 * as PING, ARGS its arguments as a,b: GET:k). CLIENTS connections
 * each send PIPELINE requests in one write and wait for all their
 * replies before sending the next ones.
 * A then B then A... ROUNDS times each, every run SECONDS long after
 * WARMUP; a reply counts when it arrives inside the SECONDS, and its
 * latency is from the write of its batch to its arrival.
 *
 * Prints one Markdown table row (-H: the header first): LABEL, clients,
 * pipeline, B's and A's requests per second, their ratio B/A (and its
 * range over the rounds), p50, p99 and p99.9 latency of each in
 * microseconds, and how busy loadgen itself was while it drove each
 * (its CPU time over the counted seconds): near 100%, the row measures
 * the client, and a ratio cannot rise much above 100 / that figure.
 * Exit 1 when a reply is an error or a run fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS	1024
#define MAX_PIPELINE	10000
#define MAX_REQUEST	512		/* bytes of one encoded request */
#define IN_MIN		(64 * 1024)	/* read buffer; grows for big replies */
#define IN_MAX		(64 * 1024 * 1024)
#define DRAIN_NS	(10 * 1000000000ull) /* replies still due after the run */
#define SUB_BITS	6		/* histogram: 64 buckets per doubling */
#define NBUCKETS	((64 - SUB_BITS + 1) << SUB_BITS)

enum proto { MSGPACK, RESP };

struct target {
	enum proto	 proto;
	const char	*path;
	const char	*method;
	char		*batch;		/* PIPELINE requests, encoded */
	size_t		 batchlen;
};

struct hist {
	uint64_t	b[NBUCKETS];
	uint64_t	n;
};

struct conn {
	int		 fd;
	unsigned char	*in;
	size_t		 inlen, incap;
	size_t		 outoff;	/* bytes of the batch written */
	long		 due;		/* replies still to come */
	uint64_t	 sent;		/* when the batch was written */
	bool		 polling_out;	/* EPOLLOUT asked for */
	bool		 stopped;	/* no batch after this one */
};

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t
now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* -- latency histogram (log-linear, under 1.6% error) ------------------- */

static unsigned
bucket(uint64_t v)
{
	if (v < (1u << SUB_BITS))
		return (unsigned)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v);	/* e >= SUB_BITS */
	return ((e - SUB_BITS + 1) << SUB_BITS) |
	    (unsigned)((v >> (e - SUB_BITS)) & ((1u << SUB_BITS) - 1));
}

/* The largest value bucket i holds. */
static uint64_t
bucket_top(unsigned i)
{
	if (i < (1u << SUB_BITS))
		return i;
	unsigned e = (i >> SUB_BITS) + SUB_BITS - 1;
	uint64_t sub = i & ((1u << SUB_BITS) - 1);
	return ((((uint64_t)1 << SUB_BITS) | sub) << (e - SUB_BITS)) +
	    (((uint64_t)1 << (e - SUB_BITS)) - 1);
}

static double
percentile_us(const struct hist *h, double q)
{
	uint64_t want = (uint64_t)(q * (double)h->n), seen = 0;

	if (h->n == 0)
		return 0;
	if (want >= h->n)
		want = h->n - 1;
	for (unsigned i = 0; i < NBUCKETS; i++) {
		seen += h->b[i];
		if (seen > want)
			return (double)bucket_top(i) / 1000.0;
	}
	return 0;
}

/* -- msgpack: requests out, replies measured ---------------------------- */

static size_t
put_str(char *p, const char *s, size_t len)
{
	size_t n = 0;

	if (len < 32) {
		p[n++] = (char)(0xa0 | len);
	} else {
		p[n++] = (char)0xd9;
		p[n++] = (char)len;
	}
	memcpy(p + n, s, len);
	return n + len;
}

static size_t
put_u64(char *p, uint64_t v)
{
	if (v < 128) {
		p[0] = (char)v;
		return 1;
	}
	p[0] = (char)0xcf;
	for (int i = 0; i < 8; i++)
		p[1 + i] = (char)(v >> (56 - 8 * i));
	return 9;
}

/* [0, msgid, method, [] or [{args}]]; -1 when it does not fit. */
static int
pack_request(char *p, size_t cap, uint32_t msgid, const char *method,
    const char *args)
{
	char kv[MAX_REQUEST], *save, *tok;
	size_t n = 0;
	int nargs = 0;

	if (strlen(method) > 255 || (args && strlen(args) >= sizeof(kv)) ||
	    cap < MAX_REQUEST)
		return -1;
	p[n++] = (char)0x94;
	p[n++] = 0;
	p[n++] = (char)0xce;
	for (int i = 0; i < 4; i++)
		p[n++] = (char)(msgid >> (24 - 8 * i));
	n += put_str(p + n, method, strlen(method));
	if (args == NULL || *args == '\0') {
		p[n++] = (char)0x90;
		return (int)n;
	}
	for (const char *c = args; *c; c++)
		nargs += *c == ',';
	if (++nargs > 15)
		return -1;
	p[n++] = (char)0x91;
	p[n++] = (char)(0x80 | nargs);
	snprintf(kv, sizeof(kv), "%s", args);
	for (tok = strtok_r(kv, ",", &save); tok; tok = strtok_r(NULL, ",",
	    &save)) {
		char *eq = strchr(tok, '='), *end;
		if (eq == NULL || n + 2 * strlen(tok) + 16 > cap)
			return -1;
		*eq++ = '\0';
		n += put_str(p + n, tok, strlen(tok));
		unsigned long long v = strtoull(eq, &end, 10);
		if (*eq != '\0' && *end == '\0' && *eq != '-')
			n += put_u64(p + n, v);
		else if (strcmp(eq, "true") == 0 || strcmp(eq, "false") == 0)
			p[n++] = (char)(eq[0] == 't' ? 0xc3 : 0xc2);
		else
			n += put_str(p + n, eq, strlen(eq));
	}
	return (int)n;
}

static int
be(const unsigned char *p, size_t avail, size_t width, uint64_t *v)
{
	if (avail < width)
		return -1;
	*v = 0;
	for (size_t i = 0; i < width; i++)
		*v = *v << 8 | p[i];
	return 0;
}

/*
 * Length of the msgpack value at p (n bytes): > 0, 0 when incomplete,
 * -1 when it is not msgpack. Values are skipped, never decoded.
 */
static ssize_t
mp_len(const unsigned char *p, size_t n)
{
	uint64_t need = 1, len;
	size_t pos = 0;

	while (need > 0) {
		size_t hdr = 0, skip = 0;
		unsigned char b;

		if (pos >= n)
			return 0;
		b = p[pos++];
		need--;
		if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 ||
		    b == 0xc3)
			continue;
		if (b >= 0x80 && b <= 0x8f) {
			need += 2u * (b & 0x0f);
			continue;
		}
		if (b >= 0x90 && b <= 0x9f) {
			need += b & 0x0f;
			continue;
		}
		if (b >= 0xa0 && b <= 0xbf) {
			skip = b & 0x1f;
		} else {
			switch (b) {
			case 0xc4: case 0xd9: hdr = 1; break;	/* bin, str */
			case 0xc5: case 0xda: hdr = 2; break;
			case 0xc6: case 0xdb: hdr = 4; break;
			case 0xc7: hdr = 1; skip = 1; break;	/* ext */
			case 0xc8: hdr = 2; skip = 1; break;
			case 0xc9: hdr = 4; skip = 1; break;
			case 0xca: case 0xce: case 0xd2: skip = 4; break;
			case 0xcb: case 0xcf: case 0xd3: skip = 8; break;
			case 0xcc: case 0xd0: skip = 1; break;
			case 0xcd: case 0xd1: skip = 2; break;
			case 0xd4: skip = 2; break;		/* fixext */
			case 0xd5: skip = 3; break;
			case 0xd6: skip = 5; break;
			case 0xd7: skip = 9; break;
			case 0xd8: skip = 17; break;
			case 0xdc: case 0xdd: case 0xde: case 0xdf:
				if (be(p + pos, n - pos, b & 1 ? 4 : 2, &len) == -1)
					return 0;
				pos += b & 1 ? 4 : 2;
				need += b >= 0xde ? 2 * len : len;
				continue;
			default:
				return -1;			/* 0xc1 */
			}
		}
		if (hdr > 0) {
			if (be(p + pos, n - pos, hdr, &len) == -1)
				return 0;
			pos += hdr;
			skip += (size_t)len;
		}
		if (n - pos < skip)
			return 0;
		pos += skip;
	}
	return (ssize_t)pos;
}

/*
 * Length of the RESP reply at buf: a line (+OK, -ERR, ...), or a bulk
 * string ($LEN CR LF, LEN bytes, CR LF); 0 when incomplete, -1 when it
 * is not RESP. An error, or a nil ($-1: GET of no key), sets *err.
 */
static ssize_t
resp_len(const unsigned char *buf, size_t n, bool *err)
{
	const unsigned char *nl = memchr(buf, '\n', n);
	size_t head, len = 0;

	if (nl == NULL)
		return 0;
	head = (size_t)(nl - buf) + 1;
	*err = buf[0] != '+' && buf[0] != '$';
	if (buf[0] != '$')
		return (ssize_t)head;
	if (head < 4 || buf[head - 2] != '\r')
		return -1;
	if (buf[1] == '-') {
		*err = true;
		return (ssize_t)head;
	}
	for (size_t i = 1; i < head - 2; i++) {
		if (buf[i] < '0' || buf[i] > '9' || len > IN_MAX)
			return -1;
		len = len * 10 + (size_t)(buf[i] - '0');
	}
	if (n - head < len + 2)
		return 0;
	if (buf[head + len] != '\r' || buf[head + len + 1] != '\n')
		return -1;
	return (ssize_t)(head + len + 2);
}

/* One reply's length in buf (0: incomplete, -1: garbage); *err if an error. */
static ssize_t
reply_len(enum proto proto, const unsigned char *buf, size_t n, bool *err)
{
	if (proto == RESP)
		return resp_len(buf, n, err);
	ssize_t len = mp_len(buf, n);
	if (len <= 0)
		return len;
	/* [1, msgid, nil, result]: msgid is a uint32, so error is at 2..7. */
	size_t at = buf[2] <= 0x7f ? 3 : buf[2] == 0xcc ? 4 : buf[2] == 0xcd ?
	    5 : 7;
	*err = (size_t)len <= at || buf[0] != 0x94 || buf[1] != 1 ||
	    buf[at] != 0xc0;
	return len;
}

/* -- one run ------------------------------------------------------------ */

struct run {
	const struct target	*t;
	long			 pipeline;
	uint64_t		 start, end;	/* the window counted */
	struct hist		*h;
	uint64_t		 count, errors;
	int			 ep;
	/* loadgen's own CPU time, at the first wake-up past start and end */
	uint64_t		 cpu[2], at[2];
};

/* Note loadgen's CPU time when the counted window opens and closes. */
static void
mark_cpu(struct run *r, uint64_t now)
{
	int i = r->at[0] == 0 ? 0 : 1;

	if (r->at[1] == 0 && now >= (i == 0 ? r->start : r->end)) {
		r->cpu[i] = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
		r->at[i] = now;
	}
}

/* Ask for EPOLLOUT or stop asking: only on a change, not per batch. */
static int
poll_out(struct run *r, struct conn *c, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0),
	    .data.ptr = c };

	if (c->polling_out == on)
		return 0;
	c->polling_out = on;
	return epoll_ctl(r->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static int
send_batch(struct run *r, struct conn *c, uint64_t now)
{
	if (c->outoff == 0) {
		c->sent = now;
		c->due = r->pipeline;
	}
	while (c->outoff < r->t->batchlen) {
		ssize_t w = write(c->fd, r->t->batch + c->outoff,
		    r->t->batchlen - c->outoff);
		if (w == -1 && errno == EAGAIN)
			return poll_out(r, c, true);
		if (w <= 0) {
			perror("loadgen: write");
			return -1;
		}
		c->outoff += (size_t)w;
	}
	return poll_out(r, c, false);
}

/* Read what c has; count its replies. -1 on a failure, 1 when c is done. */
static int
on_readable(struct run *r, struct conn *c)
{
	ssize_t got;
	size_t off = 0;

	if (c->inlen == c->incap) {
		size_t cap = c->incap * 2;
		unsigned char *p = cap <= IN_MAX ? realloc(c->in, cap) : NULL;
		if (p == NULL) {
			fprintf(stderr, "loadgen: a reply past %d bytes\n", IN_MAX);
			return -1;
		}
		c->in = p;
		c->incap = cap;
	}
	got = read(c->fd, c->in + c->inlen, c->incap - c->inlen);
	if (got == -1 && errno == EAGAIN)
		return 0;
	if (got <= 0) {
		fprintf(stderr, "loadgen: %s: %s\n", r->t->path, got == 0 ?
		    "connection closed" : strerror(errno));
		return -1;
	}
	c->inlen += (size_t)got;
	uint64_t now = now_ns();
	for (;;) {
		bool err = false;
		ssize_t len = reply_len(r->t->proto, c->in + off,
		    c->inlen - off, &err);
		if (len == 0)
			break;
		if (len < 0) {
			fprintf(stderr, "loadgen: %s: a reply that is not %s\n",
			    r->t->path, r->t->proto == RESP ? "RESP" : "msgpack");
			return -1;
		}
		off += (size_t)len;
		r->errors += err;
		if (c->due-- <= 0) {
			fprintf(stderr, "loadgen: %s: a reply not asked for\n",
			    r->t->path);
			return -1;
		}
		if (now >= r->start && now < r->end) {
			r->h->b[bucket(now - c->sent)]++;
			r->h->n++;
			r->count++;
		}
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
	if (c->due > 0)
		return 0;
	if (now >= r->end) {
		c->stopped = true;
		return 1;
	}
	c->outoff = 0;
	return send_batch(r, c, now);
}

static int
connect_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd == -1 || strlen(path) >= sizeof(sun.sun_path)) {
		perror("loadgen: socket");
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "loadgen: connect: %s: %s\n", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/*
 * Run t for warm + secs; its replies inside secs go to h, loadgen's CPU
 * time and the time it was measured over to busy[0] and busy[1]. -1 on
 * failure.
 */
static int
run_once(const struct target *t, int clients, long pipeline, double warm,
    double secs, struct hist *h, uint64_t *count, uint64_t *errors,
    uint64_t busy[2])
{
	struct conn *cs = calloc((size_t)clients, sizeof(*cs));
	struct epoll_event evs[64];
	struct run r = { .t = t, .pipeline = pipeline, .h = h };
	int active = 0, rc = -1;
	uint64_t t0;

	if (cs == NULL || (r.ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		free(cs);
		return -1;
	}
	for (int i = 0; i < clients; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &cs[i] };
		cs[i].fd = -1;
		if ((cs[i].fd = connect_unix(t->path)) == -1 ||
		    (cs[i].in = malloc(IN_MIN)) == NULL ||
		    epoll_ctl(r.ep, EPOLL_CTL_ADD, cs[i].fd, &ev) == -1)
			goto out;
		cs[i].incap = IN_MIN;
	}
	t0 = now_ns();
	r.start = t0 + (uint64_t)(warm * 1e9);
	r.end = r.start + (uint64_t)(secs * 1e9);
	for (int i = 0; i < clients; i++, active++)
		if (send_batch(&r, &cs[i], t0) == -1)
			goto out;
	while (active > 0) {
		int n = epoll_wait(r.ep, evs, 64, 1000);
		uint64_t now = now_ns();
		if (n == -1 && errno != EINTR)
			goto out;
		mark_cpu(&r, now);
		if (now > r.end + DRAIN_NS) {
			fprintf(stderr, "loadgen: %s: replies still due %llu s "
			    "after the run\n", t->path, DRAIN_NS / 1000000000ull);
			goto out;
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			int k = 0;
			if (c->stopped)
				continue;
			if ((evs[i].events & EPOLLOUT) && c->outoff <
			    t->batchlen && send_batch(&r, c, now_ns()) == -1)
				goto out;
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				k = on_readable(&r, c);
			if (k == -1)
				goto out;
			active -= k;
		}
	}
	*count += r.count;
	*errors += r.errors;
	if (r.at[1] != 0) {
		busy[0] += r.cpu[1] - r.cpu[0];
		busy[1] += r.at[1] - r.at[0];
	}
	rc = 0;
out:
	for (int i = 0; i < clients; i++) {
		if (cs[i].fd >= 0)
			close(cs[i].fd);
		free(cs[i].in);
	}
	free(cs);
	close(r.ep);
	return rc;
}

/* -- command line ------------------------------------------------------- */

/* A RESP array of method and args (a,b,...); -1 when it does not fit. */
static int
pack_command(char *p, size_t cap, const char *method, const char *args)
{
	const char *word[16];
	size_t wlen[16], nw = 0, n;
	int k;

	word[nw] = method;
	wlen[nw++] = strlen(method);
	for (const char *a = args; a != NULL && *a != '\0'; nw++) {
		const char *comma = strchr(a, ',');
		if (nw == 16)
			return -1;
		word[nw] = a;
		wlen[nw] = comma ? (size_t)(comma - a) : strlen(a);
		a = comma ? comma + 1 : NULL;
	}
	if ((k = snprintf(p, cap, "*%zu\r\n", nw)) < 0 || (size_t)k >= cap)
		return -1;
	n = (size_t)k;
	for (size_t i = 0; i < nw; i++) {
		k = snprintf(p + n, cap - n, "$%zu\r\n%.*s\r\n", wlen[i],
		    (int)wlen[i], word[i]);
		if (k < 0 || (size_t)k >= cap - n)
			return -1;
		n += (size_t)k;
	}
	return (int)n;
}

static int
parse_target(char *spec, long pipeline, struct target *t)
{
	char *proto = spec, *path, *method, *args, req[MAX_REQUEST];
	int len;

	if ((path = strchr(proto, ':')) == NULL ||
	    (method = strchr(path + 1, ':')) == NULL)
		return -1;
	*path++ = '\0';
	*method++ = '\0';
	if ((args = strchr(method, ':')) != NULL)
		*args++ = '\0';
	if (strcmp(proto, "msgpack") == 0)
		t->proto = MSGPACK;
	else if (strcmp(proto, "resp") == 0)
		t->proto = RESP;
	else
		return -1;
	t->path = path;
	t->method = method;
	if ((t->batch = malloc((size_t)pipeline * MAX_REQUEST)) == NULL)
		return -1;
	t->batchlen = 0;
	for (long i = 0; i < pipeline; i++) {
		if (t->proto == RESP)
			len = pack_command(req, sizeof(req), method, args);
		else
			len = pack_request(req, sizeof(req), (uint32_t)i, method,
			    args);
		if (len < 0 || len >= (int)sizeof(req))
			return -1;
		memcpy(t->batch + t->batchlen, req, (size_t)len);
		t->batchlen += (size_t)len;
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen [-c clients] [-P pipeline] [-t seconds] "
	    "[-w warmup] [-r rounds] [-l label] [-H] A B\n"
	    "  A, B: msgpack:SOCKET:METHOD[:k=v,...] or "
	    "resp:SOCKET:COMMAND[:arg,...]\n");
	exit(1);
}

static void
rate_str(char *buf, size_t size, double rate)
{
	if (rate >= 1e6)
		snprintf(buf, size, "%.2f M", rate / 1e6);
	else
		snprintf(buf, size, "%.1f k", rate / 1e3);
}

int
main(int argc, char **argv)
{
	int clients = 1, rounds = 2, opt;
	long pipeline = 1;
	double secs = 1, warm = 0.2;
	const char *label = NULL;
	bool header = false;
	struct target t[2];
	static struct hist h[2];
	uint64_t count[2] = { 0, 0 }, errors[2] = { 0, 0 };
	uint64_t busy[2][2] = { { 0, 0 }, { 0, 0 } };	/* CPU, wall ns */
	double lo = 1e300, hi = 0;

	while ((opt = getopt(argc, argv, "c:P:t:w:r:l:H")) != -1) {
		switch (opt) {
		case 'c': clients = atoi(optarg); break;
		case 'P': pipeline = atol(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'w': warm = atof(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'l': label = optarg; break;
		case 'H': header = true; break;
		default: usage();
		}
	}
	if (argc - optind != 2 || clients < 1 || clients > MAX_CLIENTS ||
	    pipeline < 1 || pipeline > MAX_PIPELINE || secs <= 0 ||
	    warm < 0 || rounds < 1)
		usage();
	for (int i = 0; i < 2; i++)
		if (parse_target(argv[optind + i], pipeline, &t[i]) == -1) {
			fprintf(stderr, "loadgen: bad target: %s\n",
			    argv[optind + i]);
			usage();
		}
	for (int r = 0; r < rounds; r++) {
		uint64_t before[2] = { count[0], count[1] };
		for (int i = 0; i < 2; i++)
			if (run_once(&t[i], clients, pipeline, warm, secs, &h[i],
			    &count[i], &errors[i], busy[i]) == -1)
				return 1;
		double a = (double)(count[0] - before[0]);
		double b = (double)(count[1] - before[1]);
		if (a > 0 && b / a < lo)
			lo = b / a;
		if (a > 0 && b / a > hi)
			hi = b / a;
	}
	double rate[2], cpu[2];
	char rs[2][32];
	for (int i = 0; i < 2; i++) {
		rate[i] = (double)count[i] / (secs * rounds);
		rate_str(rs[i], sizeof(rs[i]), rate[i]);
		cpu[i] = busy[i][1] > 0 ?
		    100.0 * (double)busy[i][0] / (double)busy[i][1] : 0;
	}
	if (header)
		printf("| request | clients | pipeline | hycod req/s | Redis "
		    "req/s | ratio (rounds) | hycod p50 / p99 / p99.9 us | "
		    "Redis p50 / p99 / p99.9 us | loadgen busy: hycod / "
		    "Redis |\n"
		    "|---|---|---|---|---|---|---|---|---|\n");
	printf("| %s | %d | %ld | %s | %s | %.2f (%.2f-%.2f) | "
	    "%.0f / %.0f / %.0f | %.0f / %.0f / %.0f | %.0f%% / %.0f%% |\n",
	    label ? label : t[1].method, clients, pipeline, rs[1], rs[0],
	    rate[0] > 0 ? rate[1] / rate[0] : 0, lo > hi ? 0 : lo, hi,
	    percentile_us(&h[1], 0.5), percentile_us(&h[1], 0.99),
	    percentile_us(&h[1], 0.999), percentile_us(&h[0], 0.5),
	    percentile_us(&h[0], 0.99), percentile_us(&h[0], 0.999),
	    cpu[1], cpu[0]);
	fflush(stdout);
	for (int i = 0; i < 2; i++)
		if (errors[i] > 0) {
			fprintf(stderr, "loadgen: %s: %llu error replies\n",
			    t[i].method, (unsigned long long)errors[i]);
			return 1;
		}
	return 0;
}
