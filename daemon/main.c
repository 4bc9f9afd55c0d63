/* main.c: hycod start-up, signals and shut-down. */
#include <getopt.h>
#include <math.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activation.h"
#include "config.h"
#include "fdlimit.h"
#include "fsutil.h"
#include "hycod.h"
#include "log.h"
#include "rpc.h"

#define MAX_CONFIG_FILES	16
#define MAX_OVERRIDES		64

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: hycod [-c FILE]... [--socket PATH] [--print-config] "
	    "[--print-keys] [KEY=VALUE]...\n"
	    "  -c, --config FILE   config file; repeat to layer (later wins)\n"
	    "      --socket PATH   listen here instead of daemon.socket\n"
	    "      --print-config  print the resolved config and exit\n"
	    "      --print-keys    list every config key hycod reads "
	    "(key, type, default,\n"
	    "                      allowed, doc; tab-separated) and exit\n"
	    "  KEY=VALUE           Hydra-style override (+KEY=VALUE adds, "
	    "~KEY deletes)\n"
	    "Default config: $HYCO_CONFIG, else ./conf/config.yaml, else %s\n",
	    CONFIG_SYSTEM_PATH);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct hycod *d = h->data;

	log_info("received %s, shutting down", strsignal(signum));
	/* Subscribers hear it before their connections close. */
	events_shutdown(&d->events, signum == SIGTERM ? "SIGTERM" :
	    signum == SIGINT ? "SIGINT" : "signal");
	events_close(&d->events);
	textfile_close(&d->textfile);
	notify_stopping(&d->notify);
	server_close(&d->server);
	early_free(&d->early);
	watch_close(&d->watch);
	trash_close(&d->trash);
	policy_close(&d->policy);
	disk_close(&d->disk);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->sigint, NULL);
	uv_close((uv_handle_t *)&d->sighup, NULL);
	uv_close((uv_handle_t *)&d->hup_timer, NULL);
	/*
	 * Closing the last SIGHUP handle gave the signal its default
	 * action back, which kills: a reload asked for while the daemon
	 * finishes its last deletion must not.
	 */
	signal(SIGHUP, SIG_IGN);
}

/*
 * SIGHUP (systemctl reload): read the config again; never fatal. A
 * storm of signals must not starve the clients: after a reload the
 * next waits as long as that one took, so reloading takes at most half
 * the loop's time, and the signals meanwhile make one reload.
 */
static void
sighup_reload(struct hycod *d)
{
	struct reload_report rep;
	uint64_t t0 = uv_hrtime();

	reload_run(d, "SIGHUP", &rep);
	reload_report_free(&rep);
	uv_update_time(d->loop);
	d->hup_next_ms = uv_now(d->loop) + (uv_hrtime() - t0) / 1000000 + 1;
}

static void
on_hup_timer(uv_timer_t *h)
{
	sighup_reload(h->data);
}

static void
on_sighup(uv_signal_t *h, int signum)
{
	struct hycod *d = h->data;
	uint64_t now = uv_now(d->loop);

	(void)signum;
	if (now >= d->hup_next_ms) {
		sighup_reload(d);
		return;
	}
	if (!uv_is_active((uv_handle_t *)&d->hup_timer))
		uv_timer_start(&d->hup_timer, on_hup_timer, d->hup_next_ms - now,
		    0);
}

static void
on_trash_deleted(void *arg, dev_t dev)
{
	disk_removed(arg, dev);
}

/*
 * Lock files the first scan found inside the roots: a daemon started
 * earlier on a tree inside ours holds one (lock.h). Before serving,
 * so that neither removes what the other tallies.
 * TODO: the trash directory is not scanned, so a tree inside it goes
 * unseen; and a daemon that serves during its first scan must hold
 * removals until this has run.
 */
static void
check_inner_locks(struct hycod *d)
{
	const struct index *ix = &d->watch.ix;
	char path[PATH_MAX];

	for (uint32_t id = 0; id < ix->nnodes; id++) {
		const struct ix_node *n = index_node(ix, id);
		if ((n->flags & (IX_FREE | IX_DIR)) != 0 ||
		    !lock_is_name(index_name(ix, id), n->nlen))
			continue;
		if (index_path(ix, id, path, sizeof(path)) == 0 &&
		    lock_check_file(&d->locks, path) == -1)
			fatalx("another hycod owns a tree inside this one; "
			    "not starting");
	}
}

/* Every method needs an access class: decided, never defaulted. */
static void
check_method_classes(void)
{
	const char *name;

	for (size_t i = 0; (name = rpc_method_name(i)) != NULL; i++)
		if (access_method_class(name, strlen(name)) < 0)
			fatalx("method '%s' has no access class: add it to "
			    "daemon/access.c", name);
}

/*
 * The first scan is in: summaries can be exact from now on. Answer the
 * requests that waited for it, and let the policy look at the tree.
 */
static void
on_ready(void *arg)
{
	struct hycod *d = arg;

	check_inner_locks(d);
	log_info("start-up scan in, %.3f s after start: serving every method",
	    (double)(uv_hrtime() - d->start_ns) / 1e9);
	rpc_scan_ready(d);
	policy_run(&d->policy);
	notify_status(&d->notify);
	/* The metrics file says what the index knows: from now on. */
	textfile_start(&d->textfile, d->loop, d, d->cfg.metrics_textfile,
	    d->cfg.metrics_interval_s);
}

/*
 * Serve the socket systemd passed (socket activation), else bind
 * daemon.socket. Either way it accepts from now on, before the
 * start-up scan: clients are answered while it runs (early.h).
 */
static void
serve(struct hycod *d)
{
	char passed[PATH_MAX];
	struct stat st;
	int fd;

	if ((fd = activation_socket(passed, sizeof(passed))) == -1)
		fatalx("cannot use the socket systemd passed");
	if (fd == 0) {
		if (server_listen(&d->server, d->loop, d->cfg.socket,
		    d->cfg.socket_mode, d->cfg.max_clients,
		    d->cfg.max_request_bytes, &rpc_server_ops, d) == -1)
			fatalx("cannot listen on %s", d->cfg.socket);
	} else {
		if (server_open(&d->server, d->loop, fd, passed,
		    d->cfg.max_clients, d->cfg.max_request_bytes,
		    &rpc_server_ops, d) == -1)
			fatalx("cannot serve the socket systemd passed");
		/*
		 * Clients that read the config look for daemon.socket. It
		 * stays as configured: a reload must not call the
		 * difference a change.
		 */
		if (strcmp(passed, d->cfg.socket) != 0)
			log_warnx("serving the socket systemd passed, %s; "
			    "daemon.socket says %s, where hycoctl and trainers "
			    "reading the config will look", passed[0] ? passed :
			    "(unnamed)", d->cfg.socket);
	}
	/*
	 * socket-group in daemon.access: whoever owns the socket file
	 * (systemd's SocketGroup= for a passed one); an unnamed socket
	 * has no file, and its group is the daemon's.
	 */
	if (fd > 0 ? fstat(fd, &st) == 0 : stat(d->server.path, &st) == 0)
		access_set_socket_gid(&d->access, st.st_gid);
	else
		access_set_socket_gid(&d->access, getegid());
	server_limit_work(&d->server, d->cfg.max_jobs_per_client,
	    d->cfg.max_jobs);
	server_busy_poll(&d->server, (unsigned)d->cfg.busy_poll_us);
}

/* The index's figures stopped or started being exact: tell subscribers. */
static void
on_exact(void *arg, bool exact, const char *why, double lost_s)
{
	struct hycod *d = arg;

	events_exact(&d->events, exact, why, lost_s);
}

/* A filesystem's alert level changed: subscribers hear of it. */
static void
on_disk_transition(void *arg, const struct disk_fs *fs, enum disk_level from,
    enum disk_level to)
{
	struct hycod *d = arg;

	events_alert(&d->events, fs->path, fs->device, (int)from, (int)to,
	    &fs->du, fs->time_to_full_s >= 0 ? fs->time_to_full_s : NAN);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "print-config", no_argument, NULL, 'p' },
		{ "print-keys", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *files[MAX_CONFIG_FILES], *overrides[MAX_OVERRIDES];
	const char *socket_arg = NULL;
	struct cfg_errors errs = { 0 }, warns = { 0 };
	struct hycod d;
	int nfiles = 0, noverrides = 0, print = 0, ch, rc;

	/* Until the loop handles it (a reload), SIGHUP must not kill. */
	signal(SIGHUP, SIG_IGN);
	log_init("hycod", LOG_LEVEL_INFO);
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (nfiles == MAX_CONFIG_FILES)
				fatalx("at most %d config files", MAX_CONFIG_FILES);
			files[nfiles++] = optarg;
			break;
		case 's':
			socket_arg = optarg;
			break;
		case 'p':
			print = 1;
			break;
		case 'k':
			/* The source of hyco.yaml(5), made at build time. */
			config_keys_print(stdout);
			return fflush(stdout) == 0 ? 0 : 1;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("hycod %s\n", HYCO_VERSION);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (strchr(argv[i], '=') == NULL && argv[i][0] != '~') {
			fprintf(stderr, "hycod: unexpected argument '%s' "
			    "(overrides are KEY=VALUE)\n", argv[i]);
			usage(stderr);
			return 1;
		}
		if (noverrides == MAX_OVERRIDES)
			fatalx("at most %d overrides", MAX_OVERRIDES);
		overrides[noverrides++] = argv[i];
	}
	if (nfiles == 0)
		files[nfiles++] = config_default_path();

	memset(&d, 0, sizeof(d));
	/* Kept for reloads: the same files and overrides, read again. */
	d.src = (struct reload_source){ files, nfiles, overrides, noverrides,
	    socket_arg };
	rc = reload_read(&d.src, &d.cfg, print ? CONFIG_STRICT : 0, &errs,
	    &warns);
	/* --print-config's warnings go to stderr as its errors do. */
	for (int i = 0; i < warns.count; i++)
		if (print)
			fprintf(stderr, "%s\n", warns.msg[i]);
		else
			log_warnx("config: %s", warns.msg[i]);
	cfg_errors_clear(&warns);
	if (rc == -1) {
		char line[64];
		char *const lines[] = { line };
		log_lines(LOG_LEVEL_ERROR, errs.msg, errs.count);
		snprintf(line, sizeof(line), "hycod: %d config error%s",
		    errs.count, errs.count == 1 ? "" : "s");
		log_lines(LOG_LEVEL_ERROR, lines, 1);
		cfg_errors_clear(&errs);
		return 1;
	}
	if (print) {
		rc = cfg_print(stdout, d.cfg.tree, &errs);
		cfg_errors_print(&errs, stderr);
		cfg_errors_clear(&errs);
		config_free(&d.cfg);
		return rc == 0 ? 0 : 1;
	}
	log_setlevel(d.cfg.log_level);
	if (fdlimit_check(&d.cfg) == -1) {
		config_free(&d.cfg);
		return 1;
	}
	check_method_classes();
	access_init(&d.access, &d.cfg.access);

	/*
	 * The unit hands CAP_FOWNER over as an ambient capability, which
	 * every program hycod starts (alerts.command) would inherit. Keep
	 * it in this process only: clearing the ambient set leaves the
	 * effective and permitted sets as they are.
	 */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL)
		log_warn("prctl: PR_CAP_AMBIENT_CLEAR_ALL");
	/* A client that goes away mid-write must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	d.loop = uv_default_loop();
	/*
	 * Caught from here, handled once the loop runs, when every module
	 * is up: a SIGTERM after the socket exists (it does before the
	 * modules start) must not kill the daemon and leave the socket.
	 */
	uv_signal_init(d.loop, &d.sigterm);
	uv_signal_init(d.loop, &d.sigint);
	uv_signal_init(d.loop, &d.sighup);
	d.sigterm.data = d.sigint.data = d.sighup.data = &d;
	uv_signal_start(&d.sigterm, on_signal, SIGTERM);
	uv_signal_start(&d.sigint, on_signal, SIGINT);
	uv_signal_start(&d.sighup, on_sighup, SIGHUP);
	uv_timer_init(d.loop, &d.hup_timer);
	d.hup_timer.data = &d;
	d.start_ns = uv_hrtime();
	stats_init(&d.stats, d.cfg.metrics_max_datasets);
	rpc_start(&d);
	events_start(&d.events, d.loop, d.cfg.events_max_queued);
	if (fsutil_create_roots(&d.cfg.layout, d.cfg.dir_mode) == -1)
		fatalx("cannot create the cache tree under %s",
		    d.cfg.layout.cache_root);
	/* Before anything that touches the tree: the trash, the scan. */
	if (lock_acquire(&d.locks, &d.cfg.layout, d.cfg.trash_dir,
	    d.cfg.socket) == -1)
		fatalx("not starting: another hycod owns this cache tree or a "
		    "part of it (see above)");
	if (trash_open(&d.trash, d.loop, d.cfg.trash_dir, &d.cfg.layout) == -1)
		fatalx("cannot use the trash %s", d.cfg.trash_dir);
	serve(&d);
	struct watch_opts wo = {
		.max_watches = d.cfg.max_watches,
		.rescan_interval_s = d.cfg.rescan_interval_s,
		.scan_threads = d.cfg.scan_threads,
	};
	if (watch_start(&d.watch, d.loop, &d.cfg.layout, &wo, on_ready, &d)
	    == -1)
		fatalx("cannot watch the cache tree");
	if (disk_start(&d.disk, d.loop, &d.cfg.alerts, &d.cfg.layout, &d.trash)
	    == -1)
		fatalx("cannot find the filesystems of the cache tree");
	/* Space freed in a trash: sample its filesystem. */
	disk_on_transition(&d.disk, on_disk_transition, &d);
	d.trash.deleted = on_trash_deleted;
	d.trash.deleted_arg = &d.disk;
	policy_start(&d.policy, d.loop, &d.cfg.layout, &d.cfg.retention,
	    &d.watch, &d.trash, &d.disk);
	d.watch.on_exact = on_exact;
	d.watch.exact_arg = &d;
	d.policy.events = &d.events;
	notify_start(&d.notify, d.loop, &d);
	log_info("hycod %s serving on %s (pid %d), cache %s; scanning it",
	    HYCO_VERSION, d.server.path[0] ? d.server.path : "(unnamed)",
	    (int)getpid(), d.cfg.layout.cache_root);
	/* Serving: the socket accepts, and the loop answers from here. */
	notify_ready(&d.notify);

	uv_run(d.loop, UV_RUN_DEFAULT);

	if ((rc = uv_loop_close(d.loop)) != 0)
		log_warnx("uv_loop_close: %s", uv_strerror(rc));
	log_info("stopped after %llu requests",
	    (unsigned long long)d.rpc.requests);
	rpc_free(&d);
	stats_free(&d.stats);
	lock_release(&d.locks);
	config_free(&d.cfg);
	return 0;
}
