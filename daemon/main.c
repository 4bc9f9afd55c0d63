/* main.c: hycod start-up, signals and shut-down. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
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
	    "[KEY=VALUE]...\n"
	    "  -c, --config FILE   config file; repeat to layer (later wins)\n"
	    "      --socket PATH   listen here instead of daemon.socket\n"
	    "      --print-config  print the resolved config and exit\n"
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
	server_close(&d->server);
	watch_close(&d->watch);
	trash_close(&d->trash);
	policy_close(&d->policy);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->sigint, NULL);
}

/* The first scan is in: only now are summaries exact, so listen. */
static void
on_ready(void *arg)
{
	struct hycod *d = arg;

	if (server_listen(&d->server, d->loop, d->cfg.socket,
	    d->cfg.socket_mode, d->cfg.max_clients, d->cfg.max_request_bytes,
	    &rpc_server_ops, d) == -1)
		fatalx("cannot listen on %s", d->cfg.socket);
	log_info("hycod %s ready on %s (pid %d), cache %s", HYCO_VERSION,
	    d->cfg.socket, (int)getpid(), d->cfg.layout.cache_root);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "print-config", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *files[MAX_CONFIG_FILES], *overrides[MAX_OVERRIDES];
	const char *socket_arg = NULL;
	struct cfg_errors errs = { 0 }, warns = { 0 };
	struct hycod d;
	int nfiles = 0, noverrides = 0, print = 0, ch, rc;

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
	rc = config_load_flags(&d.cfg, files, nfiles, overrides, noverrides,
	    print ? CONFIG_STRICT : 0, &errs, &warns);
	/* --print-config's warnings go to stderr as its errors do. */
	for (int i = 0; i < warns.count; i++)
		if (print)
			fprintf(stderr, "%s\n", warns.msg[i]);
		else
			log_warnx("config: %s", warns.msg[i]);
	cfg_errors_clear(&warns);
	if (rc == -1) {
		cfg_errors_print(&errs, stderr);
		fprintf(stderr, "hycod: %d config error%s\n", errs.count,
		    errs.count == 1 ? "" : "s");
		cfg_errors_clear(&errs);
		return 1;
	}
	if (socket_arg != NULL) {
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof(cwd)) == NULL ||
		    layout_absolute(cwd, socket_arg, d.cfg.socket,
		    sizeof(d.cfg.socket)) == -1)
			fatalx("--socket: cannot make %s absolute", socket_arg);
	}
	if (print) {
		rc = cfg_print(stdout, d.cfg.tree, &errs);
		cfg_errors_print(&errs, stderr);
		cfg_errors_clear(&errs);
		config_free(&d.cfg);
		return rc == 0 ? 0 : 1;
	}
	log_setlevel(d.cfg.log_level);

	/* A client that goes away mid-write must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	d.loop = uv_default_loop();
	d.start_ns = uv_hrtime();
	if (fsutil_create_roots(&d.cfg.layout) == -1)
		fatalx("cannot create the cache tree under %s",
		    d.cfg.layout.cache_root);
	if (trash_open(&d.trash, d.loop, d.cfg.trash_dir, &d.cfg.layout) == -1)
		fatalx("cannot use the trash %s", d.cfg.trash_dir);
	struct watch_opts wo = {
		.max_watches = d.cfg.max_watches,
		.rescan_interval_s = d.cfg.rescan_interval_s,
		.scan_threads = d.cfg.scan_threads,
	};
	if (watch_start(&d.watch, d.loop, &d.cfg.layout, &wo, on_ready, &d)
	    == -1)
		fatalx("cannot watch the cache tree");
	policy_start(&d.policy, d.loop, &d.cfg.layout, &d.cfg.retention,
	    &d.watch, &d.trash);
	uv_signal_init(d.loop, &d.sigterm);
	uv_signal_init(d.loop, &d.sigint);
	d.sigterm.data = d.sigint.data = &d;
	uv_signal_start(&d.sigterm, on_signal, SIGTERM);
	uv_signal_start(&d.sigint, on_signal, SIGINT);

	uv_run(d.loop, UV_RUN_DEFAULT);

	if ((rc = uv_loop_close(d.loop)) != 0)
		log_warnx("uv_loop_close: %s", uv_strerror(rc));
	log_info("stopped after %llu requests",
	    (unsigned long long)d.rpc.requests);
	rpc_free(&d);
	config_free(&d.cfg);
	return 0;
}
