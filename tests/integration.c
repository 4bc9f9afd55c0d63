/*
 * integration.c: the fixture of the integration cases (integration.h)
 * and their main: pick the cases asked for, shuffle them if asked, run.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hyco.h"
#include "integration.h"
#include "testutil.h"

char	*dir;
char	 cache[PATH_MAX / 2];
char	 sock[PATH_MAX];
pid_t	 daemon_pid = -1;

/* -- daemon control ----------------------------------------------------- */

pid_t
spawn(const char *extra)
{
	char root[PATH_MAX + 32], conf[PATH_MAX], log[PATH_MAX + 16];
	char more[1024], *save, *tok;
	const char *argv[16];
	int n = 0;
	pid_t pid;

	snprintf(root, sizeof(root), "paths.cache_root=%s", cache);
	snprintf(conf, sizeof(conf), "%s/conf/config.yaml", getenv("TOP"));
	snprintf(log, sizeof(log), "%s/hycod.log", dir);
	argv[n++] = getenv("HYCOD");
	argv[n++] = "-c";
	argv[n++] = conf;
	argv[n++] = root;
	argv[n++] = "daemon.log_level=debug";
	snprintf(more, sizeof(more), "%s", extra != NULL ? extra : "");
	for (tok = strtok_r(more, " ", &save); tok != NULL && n < 15;
	    tok = strtok_r(NULL, " ", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	if ((pid = fork()) == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, 2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	return pid;
}

int
wait_ready(pid_t pid)
{
	hyco_client *c = hyco_new(sock);
	struct hyco_ping p;
	int status;

	for (int i = 0; i < 500; i++) {
		if (hyco_ping(c, &p) == HYCO_OK && p.pid == pid) {
			hyco_free(c);
			return 0;
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		usleep(10000);
	}
	hyco_free(c);
	return -1;
}

void
start_daemon(const char *extra)
{
	daemon_pid = spawn(extra);
	assert_int_equal(wait_ready(daemon_pid), 0);
}

int
stop_daemon(int sig)
{
	int status;

	kill(daemon_pid, sig);
	assert_int_equal(waitpid(daemon_pid, &status, 0), daemon_pid);
	daemon_pid = -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Detach whatever a case mounted under the tree, so it can be removed. */
static void
unmount_under(const char *top)
{
	char line[PATH_MAX * 2], mnt[PATH_MAX];
	size_t len = strlen(top);
	FILE *f = fopen("/proc/self/mounts", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%*s %4095s", mnt) == 1 &&
		    strncmp(mnt, top, len) == 0 && mnt[len] == '/')
			umount2(mnt, MNT_DETACH);
	if (f != NULL)
		fclose(f);
}

/* A fresh tree and a daemon of its own for every case. */
int
test_daemon_setup(void **state)
{
	(void)state;
	if ((dir = tu_tmpdir()) == NULL)
		return -1;
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	snprintf(sock, sizeof(sock), "%s/hycod.sock", cache);
	daemon_pid = spawn(NULL);
	return wait_ready(daemon_pid);
}

/*
 * Stop the case's daemon (unless the case did) and remove its tree. A
 * daemon that does not exit 0 on SIGTERM (a crash, a leak found by
 * the sanitizers) fails the case.
 */
int
test_daemon_teardown(void **state)
{
	int status = 0, rc = 0;

	(void)state;
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGTERM);
		if (waitpid(daemon_pid, &status, 0) != daemon_pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "teardown: hycod status 0x%x; its log "
			    "is %s/hycod.log (kept)\n", status, dir);
			rc = -1;
		}
		daemon_pid = -1;
	}
	unmount_under(dir);
	if (rc == 0)
		tu_rmrf(dir);
	free(dir);
	dir = NULL;
	return rc;
}

/* -- raw socket helpers -------------------------------------------------- */

int
raw_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sun.sun_path, sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

void
raw_send(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		assert_true(n > 0);
		p += n;
		len -= (size_t)n;
	}
}

ssize_t
raw_read_until_eof(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t got = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
		ssize_t n = read(fd, buf + got, cap - got);
		if (n <= 0)
			return (ssize_t)got;
		got += (size_t)n;
		if (got == cap)
			return (ssize_t)got;
	}
}

void
assert_alive(void)
{
	hyco_client *c = hyco_new(sock);
	struct hyco_ping p;

	assert_int_equal(hyco_ping(c, &p), HYCO_OK);
	assert_int_equal(p.pid, daemon_pid);
	hyco_free(c);
}


uint64_t
fill_cycle(const char *kind, long cycle, const char *ds, int nfiles)
{
	char name[PATH_MAX];
	uint64_t total = 0;

	for (int i = 0; i < nfiles; i++) {
		size_t size = (size_t)(i * 37 + 1);
		snprintf(name, sizeof(name), "generated/%s_preds/cycle_%03ld/%s/"
		    "gen_%06d.pt", kind, cycle, ds, i);
		tu_file(cache, name, size);
		total += size;
	}
	return total;
}

/* Does name match one of the patterns ("ping": test_integration_ping)? */
static int
selected(const char *name, char **patterns, int n)
{
	char full[256];

	for (int i = 0; i < n; i++) {
		snprintf(full, sizeof(full), "%s%s", strncmp(patterns[i],
		    "test_", 5) == 0 ? "" : "test_integration_", patterns[i]);
		if (fnmatch(full, name, 0) == 0)
			return 1;
	}
	return n == 0;
}

int
main(int argc, char **argv)
{
	const struct {
		const struct CMUnitTest	*cases;
		size_t			 n;
	} files[] = {
		{ integration_method_cases, integration_method_ncases },
		{ integration_conn_cases, integration_conn_ncases },
		{ integration_obs_cases, integration_obs_ncases },
		{ integration_hot_cases, integration_hot_ncases },
	};
	struct CMUnitTest *run;
	size_t n = 0, total = 0;
	unsigned seed = 0, seed0 = 0;
	int shuffle = 0, opt, rc;

	while ((opt = getopt(argc, argv, "s:")) != -1) {
		if (opt != 's') {
			fprintf(stderr, "usage: %s [-s SEED] [PATTERN]...\n",
			    argv[0]);
			return 2;
		}
		seed = seed0 = (unsigned)strtoul(optarg, NULL, 10);
		shuffle = 1;
	}
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++)
		total += files[f].n;
	if ((run = calloc(total, sizeof(*run))) == NULL)
		return 1;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++)
		for (size_t i = 0; i < files[f].n; i++)
			if (selected(files[f].cases[i].name, argv + optind,
			    argc - optind))
				run[n++] = files[f].cases[i];
	if (n == 0) {
		fprintf(stderr, "integration: no case matches\n");
		free(run);
		return 1;
	}
	/* Fisher-Yates: the cases must not depend on their order. */
	for (size_t i = n - 1; shuffle && i > 0; i--) {
		size_t j = (size_t)rand_r(&seed) % (i + 1);
		struct CMUnitTest t = run[i];
		run[i] = run[j];
		run[j] = t;
	}
	if (shuffle)
		printf("integration: %zu cases, shuffled with seed %u\n", n,
		    seed0);
	signal(SIGPIPE, SIG_IGN);
	/* What cmocka_run_group_tests_name expands to, for a count of ours. */
	rc = _cmocka_run_group_tests("integration", run, n, NULL, NULL);
	free(run);
	return rc;
}
