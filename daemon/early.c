/* early.c: requests parked until the start-up scan is in. */
#include "early.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "log.h"

int
early_park(struct early *e, struct conn *c, const msgpack_object *msg)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct early_req *r;

	if (e->n >= EARLY_MAX || e->bytes >= EARLY_BYTES_MAX ||
	    array_grow((void **)&e->v, &e->cap, e->n + 1, sizeof(*e->v)) == -1) {
		if (e->refused++ == 0)
			log_warnx("early: %zu requests (%zu bytes) wait for the "
			    "start-up scan already; refusing more", e->n,
			    e->bytes);
		return -1;
	}
	/*
	 * The message lives in the connection's unpacker zone, reused for
	 * the next one: keep it packed, to unpack when its turn comes.
	 */
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (msgpack_pack_object(&pk, *msg) != 0 || sb.data == NULL) {
		msgpack_sbuffer_destroy(&sb);
		e->refused++;
		return -1;
	}
	r = &e->v[e->n++];
	r->conn = c;
	r->len = sb.size;
	r->buf = msgpack_sbuffer_release(&sb);
	e->bytes += r->len;
	e->parked++;
	conn_ref(c);		/* its reply must not land in freed memory */
	return 0;
}

void
early_release(struct early *e, early_fn fn, void *arg)
{
	struct early_req *v = e->v;
	size_t n = e->n;
	msgpack_unpacked u;

	/* Handlers may park nothing now, but detach first all the same. */
	e->v = NULL;
	e->n = e->cap = e->bytes = 0;
	if (n > 0)
		log_info("early: the start-up scan is in; answering %zu "
		    "requests that waited for it", n);
	msgpack_unpacked_init(&u);
	for (size_t i = 0; i < n; i++) {
		size_t off = 0;
		if (conn_is_open(v[i].conn) && msgpack_unpack_next(&u, v[i].buf,
		    v[i].len, &off) == MSGPACK_UNPACK_SUCCESS) {
			fn(arg, v[i].conn, &u.data);
			conn_flush(v[i].conn);
		}
		free(v[i].buf);
		conn_unref(v[i].conn);	/* taken in early_park */
	}
	msgpack_unpacked_destroy(&u);
	free(v);
}

void
early_free(struct early *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].buf);
		conn_unref(e->v[i].conn);
	}
	free(e->v);
	e->v = NULL;
	e->n = e->cap = e->bytes = 0;
}
