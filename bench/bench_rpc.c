/*
 * bench_rpc.c: requests per second and round-trip latency of one
 * method against hycod, pipelined (depth P) or one at a time.
 *   bench_rpc SOCKET METHOD TOTAL DEPTH
 * Prints: "<method> depth <P>: <N> req in <s> s = <rate> req/s, p50 <us> us, p99 <us> us"
 */
#include <msgpack.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked up;
	static char in[1 << 22];
	size_t got = 0, off = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: bench_rpc SOCKET METHOD TOTAL DEPTH\n");
		return 1;
	}
	const char *method = argv[2];
	long total = atol(argv[3]), depth = atol(argv[4]);
	long batches = total / depth;
	double *lat = calloc((size_t)batches, sizeof(double));
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strncpy(sun.sun_path, argv[1], sizeof(sun.sun_path) - 1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		perror("connect");
		return 1;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	for (long i = 0; i < depth; i++)
		rpc_pack_request(&pk, (uint32_t)i, method, false);
	msgpack_unpacked_init(&up);
	double t0 = now();
	for (long b = 0; b < batches; b++) {
		double s = now();
		if (write(fd, sb.data, sb.size) != (ssize_t)sb.size)
			return 1;
		for (long seen = 0; seen < depth;) {
			size_t start = off;
			msgpack_unpack_return r = msgpack_unpack_next(&up, in, got, &off);
			if (r == MSGPACK_UNPACK_SUCCESS || r == MSGPACK_UNPACK_EXTRA_BYTES) {
				seen++;
				continue;
			}
			if (r < 0) {
				fprintf(stderr, "bench_rpc: reply is not msgpack\n");
				return 1;
			}
			/* msgpack-c moves off even when the message is incomplete. */
			off = start;
			memmove(in, in + off, got - off);
			got -= off;
			off = 0;
			ssize_t n = read(fd, in + got, sizeof(in) - got);
			if (n <= 0)
				return 1;
			got += (size_t)n;
		}
		lat[b] = (now() - s) * 1e6;
	}
	double el = now() - t0;
	qsort(lat, (size_t)batches, sizeof(double), cmp);
	printf("%s depth %ld: %ld req in %.3f s = %.0f req/s, batch p50 %.1f us, "
	    "p99 %.1f us\n", method, depth, batches * depth, el,
	    (double)(batches * depth) / el, lat[batches / 2],
	    lat[(long)(batches * 0.99)]);
	return 0;
}
