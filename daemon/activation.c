/* activation.c: take the listening socket systemd passed, and check it. */
#include "activation.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include "log.h"

int
activation_socket(char *path, size_t size)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	int n, fd = SD_LISTEN_FDS_START, r;

	path[0] = '\0';
	if ((n = sd_listen_fds(1)) == 0)
		return 0;
	if (n < 0) {
		log_warnx("activation: sd_listen_fds: %s", strerror(-n));
		return -1;
	}
	if (n != 1) {
		log_warnx("activation: systemd passed %d sockets; hycod serves "
		    "exactly one (ListenStream= once in hycod.socket)", n);
		return -1;
	}
	if ((r = sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0)) <= 0) {
		if (r < 0)
			log_warnx("activation: descriptor %d: %s", fd,
			    strerror(-r));
		else
			log_warnx("activation: descriptor %d is not a "
			    "listening Unix stream socket (ListenStream= with "
			    "a path, no Accept=)", fd);
		return -1;
	}
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	memset(&sun, 0, sizeof(sun));
	if (getsockname(fd, (struct sockaddr *)&sun, &len) == 0 &&
	    len > offsetof(struct sockaddr_un, sun_path)) {
		/* An abstract socket starts with NUL: shown with '@'. */
		if (sun.sun_path[0] == '\0')
			snprintf(path, size, "@%.*s", (int)(len -
			    offsetof(struct sockaddr_un, sun_path) - 1),
			    sun.sun_path + 1);
		else
			snprintf(path, size, "%.*s", (int)sizeof(sun.sun_path),
			    sun.sun_path);
	}
	return fd;
}
