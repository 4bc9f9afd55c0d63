/*
 * server_accept.c: the listening socket: bind or adopt it, accept
 * connections with their peer's credentials, close it and them.
 */
#include "server.h"
#include "server_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define LISTEN_BACKLOG	1024

/*
 * The peer's credentials from the kernel, once, at accept: later calls
 * are checked against them (access.c). A peer whose credentials cannot
 * be read keeps known false, and policy treats it as nobody.
 */
static void
read_peer(struct conn *c)
{
	struct peer_cred *p = &c->peer;
	struct ucred uc;
	socklen_t len = sizeof(uc);
	gid_t small[64];
	uv_os_fd_t fd;

	if (uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1) {
		log_warn("read_peer: SO_PEERCRED");
		return;
	}
	p->known = true;
	p->pid = uc.pid;
	p->uid = uc.uid;
	p->gid = uc.gid;
	/* Most peers have a few groups; ERANGE says how many more. */
	len = sizeof(small);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, small, &len) == 0) {
		if (len > 0) {
			if ((p->groups = malloc(len)) == NULL)
				return;
			memcpy(p->groups, small, len);
		}
		p->ngroups = len / sizeof(gid_t);
		p->groups_known = true;
		return;
	}
	if (errno != ERANGE) {
		log_debug("read_peer: SO_PEERGROUPS: %s", strerror(errno));
		return;
	}
	if (len / sizeof(gid_t) > PEER_GROUPS_MAX) {
		log_warnx("read_peer: pid %d has %zu groups, more than the %d "
		    "kept: its groups are not used", (int)uc.pid,
		    (size_t)len / sizeof(gid_t), PEER_GROUPS_MAX);
		return;
	}
	if ((p->groups = malloc(len)) == NULL)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, p->groups, &len) == -1) {
		log_debug("read_peer: SO_PEERGROUPS: %s", strerror(errno));
		free(p->groups);
		p->groups = NULL;
		return;
	}
	p->ngroups = len / sizeof(gid_t);
	p->groups_known = true;
}

static void
on_connection(uv_stream_t *listener, int status)
{
	struct server *s = listener->data;
	struct conn *c;
	int r;

	if (status < 0) {
		log_warnx("on_connection: %s", uv_strerror(status));
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("on_connection: calloc");
		return;
	}
	c->srv = s;
	c->refs = 1;
	frame_init(&c->frame, s->max_request);
	msgpack_sbuffer_init(&c->out);
	msgpack_packer_init(&c->pk, &c->out, msgpack_sbuffer_write);
	uv_pipe_init(s->loop, &c->pipe, 0);
	c->pipe.data = c;
	if ((r = uv_accept(listener, (uv_stream_t *)&c->pipe)) < 0) {
		log_warnx("on_connection: uv_accept: %s", uv_strerror(r));
		c->closing = true;
		uv_close((uv_handle_t *)&c->pipe, conn_on_close);
		return;
	}
	s->stats.accepted++;
	s->stats.active++;
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	if (s->stats.active > s->max_clients) {
		if (s->stats.refused_max_clients++ % 1000 == 0)
			log_warnx("on_connection: max_clients (%u) reached, "
			    "refusing connections (%llu so far)", s->max_clients,
			    (unsigned long long)s->stats.refused_max_clients);
		conn_close_now(c);
		return;
	}
	read_peer(c);
	conn_update_reading(c);
}

/* Replace a stale socket file; refuse a live socket or a non-socket. */
static int
check_socket_path(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, r;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("server_listen: lstat: %s", path);
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_warnx("server_listen: %s exists and is not a socket", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("server_listen: socket");
		return -1;
	}
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (r == 0) {
		log_warnx("server_listen: %s: another hycod is listening there",
		    path);
		return -1;
	}
	if (errno != ECONNREFUSED) {
		log_warn("server_listen: connect: %s", path);
		return -1;
	}
	log_info("server_listen: removing stale socket %s", path);
	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("server_listen: unlink: %s", path);
		return -1;
	}
	return 0;
}

/* The loop's handles besides the listener, made once it listens. */
static void
init_handles(struct server *s, uv_loop_t *loop)
{
	uv_idle_init(loop, &s->resume);
	s->resume.data = s;
	uv_idle_init(loop, &s->spin);
	s->spin.data = s;
	uv_check_init(loop, &s->round_check);
	s->round_check.data = s;
	s->round = 1;
}

int
server_listen(struct server *s, uv_loop_t *loop, const char *path,
    unsigned mode, unsigned max_clients, size_t max_request,
    const struct server_ops *ops, void *ctx)
{
	char tmp[sizeof(s->path) + 16];
	mode_t old;
	int r;

	memset(s, 0, sizeof(*s));
	if (strlen(path) >= sizeof(s->path)) {
		log_warnx("server_listen: socket path is %zu bytes, the limit "
		    "is %zu: %s", strlen(path), sizeof(s->path) - 1, path);
		return -1;
	}
	strcpy(s->path, path);
	s->loop = loop;
	s->max_clients = max_clients;
	s->max_request = max_request;
	s->ops = ops;
	s->ctx = ctx;
	if (check_socket_path(path) == -1)
		return -1;
	/*
	 * Bound and listening under a temporary name, then renamed into
	 * place: a client that sees the socket file can connect, never
	 * "connection refused" between bind and listen. A path too long
	 * for the suffix is bound where it is.
	 */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid()) >=
	    sizeof(s->path))
		snprintf(tmp, sizeof(tmp), "%s", path);
	uv_pipe_init(loop, &s->listener, 0);
	s->listener.data = s;
	/* The socket is born with the right mode: no window after bind. */
	old = umask(~mode & 0777);
	r = uv_pipe_bind(&s->listener, tmp);
	umask(old);
	if (r == 0 && chmod(tmp, mode) == -1)
		r = uv_translate_sys_error(errno);
	if (r == 0)
		r = uv_listen((uv_stream_t *)&s->listener, LISTEN_BACKLOG,
		    on_connection);
	if (r == 0 && strcmp(tmp, path) != 0 && rename(tmp, path) == -1)
		r = uv_translate_sys_error(errno);
	if (r < 0) {
		log_warnx("server_listen: %s: %s", path, uv_strerror(r));
		uv_close((uv_handle_t *)&s->listener, NULL);
		unlink(tmp);
		return -1;
	}
	init_handles(s, loop);
	s->listening = true;
	s->owned = true;
	return 0;
}

int
server_open(struct server *s, uv_loop_t *loop, int fd, const char *path,
    unsigned max_clients, size_t max_request, const struct server_ops *ops,
    void *ctx)
{
	int r;

	memset(s, 0, sizeof(*s));
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->loop = loop;
	s->max_clients = max_clients;
	s->max_request = max_request;
	s->ops = ops;
	s->ctx = ctx;
	uv_pipe_init(loop, &s->listener, 0);
	s->listener.data = s;
	/*
	 * listen() again on a listening socket only sets its backlog;
	 * connections already waiting in it stay there, to be accepted.
	 */
	if ((r = uv_pipe_open(&s->listener, fd)) == 0)
		r = uv_listen((uv_stream_t *)&s->listener, LISTEN_BACKLOG,
		    on_connection);
	if (r < 0) {
		log_warnx("server_open: descriptor %d: %s", fd, uv_strerror(r));
		uv_close((uv_handle_t *)&s->listener, NULL);
		return -1;
	}
	init_handles(s, loop);
	s->listening = true;
	return 0;
}

void
server_set_limits(struct server *s, unsigned max_clients, size_t max_request)
{
	s->max_clients = max_clients;
	s->max_request = max_request;
}

void
server_close(struct server *s)
{
	struct conn *c;

	if (s->listening) {
		s->listening = false;
		uv_close((uv_handle_t *)&s->listener, NULL);
		uv_close((uv_handle_t *)&s->resume, NULL);
		uv_close((uv_handle_t *)&s->spin, NULL);
		uv_close((uv_handle_t *)&s->round_check, NULL);
		/* A socket systemd passed is systemd's: it stays. */
		if (s->owned && unlink(s->path) == -1 && errno != ENOENT)
			log_warn("server_close: unlink: %s", s->path);
	}
	while (s->conns != NULL)
		conn_close_now(s->conns);
	/* Nothing goes on now: drop the references the queues held. */
	for (int q = 0; q < SQ_COUNT; q++)
		while ((c = server_dequeue(s, (enum server_queue)q)) != NULL)
			conn_unref(c);
}
