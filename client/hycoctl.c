/*
 * hycoctl.c: command-line client of hycod, built on libhyco: options,
 * usage, the table of commands, and running one.
 *
 * One table of commands drives everything: each row names the command,
 * its usage and help (which --help prints), the check of its arguments
 * (done before connecting), the typed libhyco call (which checks the
 * type of every reply field) and the text output. --json prints the
 * call's whole result instead (json.c). A command's functions live in
 * the ctl_*.c file named for what it shows (ctl.h lists them).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "ctl.h"
#include "hyco.h"
#include "json.h"
#include "log.h"
#include "owner.h"
#include "refresh.h"

#define WATCH_INTERVAL_S 2.0	/* summary --watch, without --interval */
#define HELP_COLUMN	40	/* where the help texts start */

struct command {
	const char	*name;
	const char	*usage;		/* after the name */
	const char	*help;
	int		 operand;	/* takes one word after the name */
	/* Check the arguments before connecting: 0, or -1 (said why). */
	int		(*args)(struct opts *o);
	/* The typed call: HYCO_OK or its status (NULL: watch). */
	int		(*call)(hyco_client *c, const struct opts *o,
			    union result *r);
	/* Print r as text. */
	void		(*print)(const struct opts *o, const union result *r);
	/* The exit status of a result (NULL: 0). */
	int		(*status)(const union result *r);
	/* Free r (NULL: nothing to free). */
	void		(*done)(union result *r);
};

static void usage(FILE *out);

int
ctl_usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "hycoctl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	usage(stderr);
	return -1;
}

static int
parse_long_arg(const char *s, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return errno != 0 || end == s || *end != '\0' ? -1 : 0;
}

/*
 * Find the socket: --socket, $HYCO_SOCKET, -c files, default config.
 * root gets the config's cache root when a config was read ("" when
 * the socket was given and no -c), for owner_check.
 */
static int
find_socket(const struct opts *o, char *out, size_t size, char *root,
    size_t rootsz)
{
	struct hyco_config cfg;
	struct cfg_errors errs = { 0 };
	const char *env = getenv("HYCO_SOCKET");
	const char *def = config_default_path();
	const char *const *files = o->files;
	int n = o->nfiles;

	root[0] = '\0';
	if ((o->socket != NULL || (env != NULL && env[0] != '\0')) &&
	    o->nfiles == 0) {
		snprintf(out, size, "%s", o->socket ? o->socket : env);
		return 0;
	}
	/* No config anywhere: the built-in defaults say where hycod is. */
	if (n == 0 && access(def, R_OK) == 0) {
		files = &def;
		n = 1;
	}
	if (config_load(&cfg, files, n, NULL, 0, &errs) == -1) {
		cfg_errors_print(&errs, stderr);
		cfg_errors_clear(&errs);
		fprintf(stderr, "hycoctl: cannot find the socket: config errors\n");
		return -1;
	}
	if (o->socket != NULL || (env != NULL && env[0] != '\0'))
		snprintf(out, size, "%s", o->socket ? o->socket : env);
	else
		snprintf(out, size, "%s", cfg.socket);
	snprintf(root, rootsz, "%s", cfg.layout.cache_root);
	config_free(&cfg);
	return 0;
}

int
ctl_status_exit(hyco_client *c, int rc)
{
	const char *code = hyco_error_code(c);

	if (rc == HYCO_OK)
		return 0;
	if (rc == HYCO_EREFUSED)
		fprintf(stderr, "hycoctl: %s: %s\n", code, hyco_error_message(c));
	else
		fprintf(stderr, "hycoctl: %s\n", hyco_error_message(c));
	return rc == HYCO_ECONNECT || rc == HYCO_ETIMEOUT ? EXIT_UNREACHABLE :
	    EXIT_REFUSED;
}

static const struct command commands[] = {
	{ "summary", "[--watch [--interval S]]",
	    "cache usage, alert level (-v: per dataset and cycle)\n"
	    "--watch: again every S seconds (2), until Ctrl-C",
	    0, NULL, ctl_summary_call, ctl_summary_print, NULL,
	    ctl_summary_done },
	{ "cycle-dir", "--kind K --cycle N [--dataset D]",
	    "create and print a cycle directory",
	    0, ctl_cycle_dir_args, ctl_cycle_dir_call, ctl_cycle_dir_print,
	    NULL, NULL },
	{ "cleanup", "--cycle N [--kind K]",
	    "remove a cycle's predictions (K: synthetic, physical, all)",
	    0, ctl_cleanup_args, ctl_cleanup_call, ctl_cleanup_print, NULL,
	    ctl_cleanup_done },
	{ "clean", "tensors|eval|generated|all [--dataset D] [--yes]",
	    "remove cached data (asks first unless --yes)\n"
	    "plain 'clean generated' empties both prediction caches, unasked",
	    1, ctl_clean_args, ctl_clean_call, ctl_cleanup_print, NULL,
	    ctl_cleanup_done },
	{ "prune", "[--dry-run]",
	    "run the retention policy now (--dry-run: only show)",
	    0, NULL, ctl_prune_call, ctl_prune_print, NULL, ctl_prune_done },
	{ "disk-check", "--required SIZE",
	    "exit 0 if SIZE (500M, 20G, 1.5T) is free, else 2",
	    0, ctl_disk_check_args, ctl_disk_check_call, ctl_disk_check_print,
	    ctl_disk_check_status, NULL },
	{ "ping", "", "daemon version, pid, uptime",
	    0, NULL, ctl_ping_call, ctl_ping_print, NULL, NULL },
	{ "reload", "", "read the config files again (as SIGHUP);\n"
	    "exit 1 if they have errors (the old config stays)",
	    0, NULL, ctl_reload_call, ctl_reload_print, ctl_reload_status,
	    ctl_reload_done },
	{ "check", "[--warn 15%] [--critical 5%] [--inodes]",
	    "Nagios plugin: free space of each filesystem; exit 0 OK,\n"
	    "1 WARNING, 2 CRITICAL, 3 UNKNOWN (default: hycod's levels)",
	    0, ctl_check_args, ctl_check_call, ctl_check_print,
	    ctl_check_status, ctl_check_done },
	{ "stats", "", "requests per method (latency), get-cycle-dir per "
	    "dataset, bytes per cycle",
	    0, NULL, ctl_stats_call, ctl_stats_print, NULL, ctl_stats_done },
	{ "metrics", "", "the metrics in Prometheus's text format",
	    0, NULL, ctl_metrics_call, ctl_metrics_print, NULL, NULL },
	{ "watch", "[--events TYPE,...]", "print events as they happen, one "
	    "a line\n(alert, cycle_created, cycle_removed, prune, exact_lost,\n"
	    "exact_regained, reload, shutdown; default all)",
	    0, ctl_watch_args, NULL, NULL, NULL, NULL },
	{ "config", "", "the daemon's resolved config, as YAML (--json: "
	    "with\nthe paths it uses and its working directory)",
	    0, NULL, ctl_config_call, ctl_config_print, NULL, NULL },
};
static const size_t ncommands = sizeof(commands) / sizeof(commands[0]);

static void
usage(FILE *out)
{
	fprintf(out, "usage: hycoctl [-c FILE] [--socket PATH] [--json] [-v] "
	    "COMMAND\ncommands:\n");
	for (size_t i = 0; i < ncommands; i++) {
		const struct command *cmd = &commands[i];
		int n = fprintf(out, "  %s%s%s", cmd->name, cmd->usage[0] ?
		    " " : "", cmd->usage);
		/* Each help line at its column; after a long usage, below it. */
		for (const char *help = cmd->help; ; n = 0) {
			const char *nl = strchr(help, '\n');
			int len = nl ? (int)(nl - help) : (int)strlen(help);
			if (n > HELP_COLUMN + 1) {
				fputc('\n', out);
				n = 0;
			}
			fprintf(out, "%*s %.*s\n", HELP_COLUMN + 2 - n, "", len,
			    help);
			if (nl == NULL)
				break;
			help = nl + 1;
		}
	}
	fprintf(out, "options, before or after the command:\n"
	    "  -c, --config FILE   the config naming the socket (repeat to "
	    "layer)\n"
	    "  --socket PATH       the socket; else $HYCO_SOCKET, else "
	    "daemon.socket of -c FILE\n"
	    "                      or of the default config\n"
	    "  --json              print the whole result as JSON\n"
	    "  -v, --verbose       summary: per dataset and cycle\n"
	    "  -y, --yes           clean: do not ask\n"
	    "  -n, --dry-run       prune: only show\n"
	    "  --warn X, --critical X  check: levels below X free, 15%% or 20G\n"
	    "  --inodes            check: free inodes too\n"
	    "  --watch, --interval S   summary: refresh every S seconds\n"
	    "  --events TYPE,...   watch: only these event types\n"
	    "  -h, --help          this text\n"
	    "Exit: 0 ok, 1 refused, 2 not enough space, 3 daemon unreachable;\n"
	    "check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN;\n"
	    "watch: 0 after the daemon's shutdown, 3 if it went away.\n");
}

enum { OPT_SOCKET = 256, OPT_JSON, OPT_KIND, OPT_DATASET, OPT_REQUIRED,
    OPT_CYCLE, OPT_WARN, OPT_CRITICAL, OPT_INODES, OPT_WATCH, OPT_INTERVAL,
    OPT_EVENTS };

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "verbose", no_argument, NULL, 'v' },
	{ "yes", no_argument, NULL, 'y' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "dataset", required_argument, NULL, OPT_DATASET },
	{ "required", required_argument, NULL, OPT_REQUIRED },
	{ "cycle", required_argument, NULL, OPT_CYCLE },
	{ "warn", required_argument, NULL, OPT_WARN },
	{ "critical", required_argument, NULL, OPT_CRITICAL },
	{ "inodes", no_argument, NULL, OPT_INODES },
	{ "watch", no_argument, NULL, OPT_WATCH },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "events", required_argument, NULL, OPT_EVENTS },
	{ NULL, 0, NULL, 0 },
};

/*
 * Options may stand before or after the command: getopt_long permutes
 * the operands to the end. Returns the command, or NULL (said why).
 */
static const struct command *
parse_args(int argc, char **argv, struct opts *o)
{
	const struct command *cmd = NULL;
	int ch;

	opterr = 0;	/* our messages, then the usage */
	while ((ch = getopt_long(argc, argv, ":c:vynh", long_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (o->nfiles == MAX_CONFIG_FILES) {
				ctl_usage_error("too many %s", "-c");
				return NULL;
			}
			o->files[o->nfiles++] = optarg;
			break;
		case OPT_SOCKET:
			o->socket = optarg;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'y':
			o->yes = 1;
			break;
		case 'n':
			o->dry_run = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_KIND:
			o->kind = optarg;
			break;
		case OPT_DATASET:
			o->dataset = optarg;
			break;
		case OPT_REQUIRED:
			o->required = optarg;
			break;
		case OPT_EVENTS:
			o->events = optarg;
			break;
		case OPT_CYCLE:
			if (parse_long_arg(optarg, &o->cycle) == -1) {
				ctl_usage_error("--cycle takes an integer, "
				    "not '%s'", optarg);
				return NULL;
			}
			o->have_cycle = 1;
			break;
		case OPT_WARN:
			o->warn = optarg;
			break;
		case OPT_CRITICAL:
			o->critical = optarg;
			break;
		case OPT_INODES:
			o->check.inodes = 1;
			break;
		case OPT_WATCH:
			o->watch = 1;
			break;
		case OPT_INTERVAL: {
			char *end;
			errno = 0;
			o->interval = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !(o->interval >= 0.1 && o->interval <= 86400)) {
				ctl_usage_error("--interval takes seconds from "
				    "0.1 to 86400, not '%s'", optarg);
				return NULL;
			}
			break;
		}
		case ':':
			ctl_usage_error("%s needs a value", argv[optind - 1]);
			return NULL;
		default:
			if (optopt != 0 && strncmp(argv[optind - 1], "--", 2) ==
			    0 && strchr(argv[optind - 1], '=') != NULL)
				ctl_usage_error("%s: the option takes no value",
				    argv[optind - 1]);
			else if (optopt > 0 && optopt < OPT_SOCKET) {
				char opt[3] = { '-', (char)optopt, '\0' };
				ctl_usage_error("unknown option %s", opt);
			} else
				ctl_usage_error("unknown option %s",
				    argv[optind - 1]);
			return NULL;
		}
	}
	if (optind == argc) {
		ctl_usage_error("%s", "no command given");
		return NULL;
	}
	for (size_t i = 0; i < ncommands && cmd == NULL; i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		ctl_usage_error("unknown command '%s'", argv[optind]);
		return NULL;
	}
	if ((o->watch || o->interval > 0) && strcmp(cmd->name, "summary") != 0) {
		ctl_usage_error("--watch and --interval are for summary, "
		    "not %s", cmd->name);
		return NULL;
	}
	if (o->interval > 0 && !o->watch) {
		ctl_usage_error("%s needs --watch", "--interval");
		return NULL;
	}
	if (cmd->operand && optind + 1 < argc)
		o->arg = argv[optind + 1];
	if (optind + 1 + cmd->operand < argc) {
		ctl_usage_error("unexpected argument '%s'", argv[optind + 1 +
		    cmd->operand]);
		return NULL;
	}
	return cmd;
}

/* Run cmd on the daemon: its output and exit status. */
static int
run(const struct command *cmd, hyco_client *c, const struct opts *o)
{
	union result r;
	int rc;

	/* No call: watch, which runs on and prints as events come. */
	if (cmd->call == NULL)
		return ctl_watch_stream(c, o);
	if ((rc = cmd->call(c, o, &r)) != HYCO_OK)
		return ctl_status_exit(c, rc);
	if (o->json) {
		/* The whole result: fields the typed call does not hold too. */
		json_print(stdout, hyco_result(c));
		putchar('\n');
	} else
		cmd->print(o, &r);
	rc = cmd->status != NULL ? cmd->status(&r) : 0;
	if (cmd->done != NULL)
		cmd->done(&r);
	return rc;
}

/*
 * check's bad arguments are UNKNOWN (3), not the usual 1. Whether the
 * command is check is read before getopt permutes argv, since what is
 * wrong may be its options: the first word that is no option's value.
 */
static int
is_check(int argc, char **argv)
{
	static const char *const valued[] = { "-c", "--config", "--socket",
	    "--kind", "--dataset", "--required", "--cycle", "--warn",
	    "--critical", "--interval", NULL };

	for (int i = 1; i < argc; i++) {
		const char *const *v;
		if (argv[i][0] != '-')
			return strcmp(argv[i], "check") == 0;
		for (v = valued; *v != NULL && strcmp(argv[i], *v) != 0; v++)
			;
		if (*v != NULL)
			i++;	/* its value */
	}
	return 0;
}

/* summary --watch: one round is one run of the command. */
struct watch_round {
	const struct command	*cmd;
	hyco_client		*c;
	const struct opts	*o;
};

static void
watch_round(void *arg)
{
	struct watch_round *w = arg;

	(void)run(w->cmd, w->c, w->o);
}

int
main(int argc, char **argv)
{
	const struct command *cmd;
	struct opts o = { 0 };
	char sock[4096], root[4096];
	hyco_client *c;
	int rc, plugin;

	log_init("hycoctl", LOG_LEVEL_WARN);
	plugin = is_check(argc, argv);
	if ((cmd = parse_args(argc, argv, &o)) == NULL)
		return plugin ? check_unknown("%s", "bad arguments (hycoctl "
		    "--help)") : EXIT_REFUSED;
	/* Check the command's arguments before connecting. */
	if (cmd->args != NULL && cmd->args(&o) == -1)
		return EXIT_REFUSED;
	if (find_socket(&o, sock, sizeof(sock), root, sizeof(root)) == -1)
		return cmd->call == ctl_check_call ? check_unknown("%s", "cannot "
		    "find the socket: config errors") : EXIT_REFUSED;
	if ((c = hyco_new(sock)) == NULL) {
		fprintf(stderr, "hycoctl: socket path too long: %s\n", sock);
		return cmd->call == ctl_check_call ? check_unknown("socket path "
		    "too long: %s", sock) : EXIT_REFUSED;
	}
	/* A daemon on another tree would answer for the wrong one. */
	if (root[0] != '\0' && (rc = owner_check(c, sock, root)) != 0) {
		hyco_free(c);
		return cmd->call != ctl_check_call ? rc : check_unknown("%s",
		    rc == EXIT_UNREACHABLE ? "cannot reach hycod (see stderr)" :
		    "hycod at the socket does not own this cache tree (see "
		    "stderr)");
	}
	if (o.watch) {
		struct watch_round w = { cmd, c, &o };
		rc = refresh_loop(o.interval > 0 ? o.interval : WATCH_INTERVAL_S,
		    "hycoctl summary", !o.json, watch_round, &w) == 0 ? 0 :
		    EXIT_REFUSED;
	} else
		rc = run(cmd, c, &o);
	hyco_free(c);
	/* Output that did not arrive is a failure (a full disk, a closed pipe). */
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "hycoctl: stdout: %s\n", strerror(errno));
		return EXIT_REFUSED;
	}
	return rc;
}
