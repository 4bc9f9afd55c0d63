/*
 * hycoctl.c: command-line client of hycod, built on libhyco.
 *
 * One table of commands drives everything: each row names the command,
 * its usage and help (which --help prints), the check of its arguments
 * (done before connecting), the typed libhyco call (which checks the
 * type of every reply field) and the text output. --json prints the
 * call's whole result instead (json.c).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_yaml.h"
#include "hyco.h"
#include "json.h"
#include "log.h"

#define EXIT_REFUSED	1	/* the daemon said no, or bad usage */
#define EXIT_NOSPACE	2	/* disk-check: not enough free space */
#define EXIT_UNREACHABLE 3	/* the daemon cannot be reached */
#define MAX_CONFIG_FILES 16
#define HELP_COLUMN	40	/* where the help texts start */

struct opts {
	const char	*files[MAX_CONFIG_FILES];
	int		 nfiles;
	const char	*socket;
	int		 json, verbose;
	const char	*kind, *dataset, *required;
	long		 cycle;
	int		 have_cycle;
	const char	*arg;		/* the command's operand: clean's target */
	int		 yes;		/* clean: confirmed on the command line */
	int		 dry_run;
	uint64_t	 required_bytes;	/* disk-check, from required */
};

/* What a command's call returns, for its output. */
union result {
	struct hyco_ping	ping;
	struct {
		char		path[4096];
	}			dir;
	struct hyco_cleanup	cleanup;
	struct hyco_summary	summary;
	struct hyco_disk_check	disk;
	struct hyco_prune	prune;
	const hyco_value	*value;		/* config: the whole result */
};

struct command {
	const char	*name;
	const char	*usage;		/* after the name */
	const char	*help;
	int		 operand;	/* takes one word after the name */
	/* Check the arguments before connecting: 0, or -1 (said why). */
	int		(*check)(struct opts *o);
	/* The typed call: HYCO_OK or its status. */
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

static int
die_usage(const char *fmt, const char *arg)
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
 * SIZE is a number with an optional unit: K, M, G, T, P (powers of
 * 1000, as the seed's GB) or KiB, MiB, GiB, TiB (powers of 1024);
 * a trailing B is allowed ("20GB").
 */
static int
parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGTP";
	char *end;
	double v, mult = 1;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || v < 0 || !isfinite(v))
		return -1;
	if (*end != '\0') {
		const char *u = strchr(units, toupper((unsigned char)*end));
		if (u == NULL)
			return -1;
		int power = (int)(u - units) + 1;
		end++;
		if (strcmp(end, "iB") == 0 || strcmp(end, "i") == 0)
			mult = pow(1024, power);
		else if (*end == '\0' || strcmp(end, "B") == 0)
			mult = pow(1000, power);
		else
			return -1;
	}
	if (v * mult >= 9.2e18)
		return -1;
	*out = (uint64_t)ceil(v * mult);
	return 0;
}

/* Find the socket: --socket, $HYCO_SOCKET, -c files, default config. */
static int
find_socket(const struct opts *o, char *out, size_t size)
{
	struct hyco_config cfg;
	struct cfg_errors errs = { 0 };
	const char *env = getenv("HYCO_SOCKET");
	const char *def = config_default_path();
	const char *const *files = o->files;
	int n = o->nfiles;

	if (o->socket != NULL || (env != NULL && env[0] != '\0')) {
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
	snprintf(out, size, "%s", cfg.socket);
	config_free(&cfg);
	return 0;
}

static double
gb(uint64_t bytes)
{
	return (double)bytes / 1e9;
}

static int
status_exit(hyco_client *c, int rc)
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

/* -- summary ---------------------------------------------------------------- */

static int
call_summary(hyco_client *c, const struct opts *o, union result *r)
{
	(void)o;
	return hyco_summary(c, &r->summary);
}

static void
print_summary(const struct opts *o, const union result *r)
{
	const struct hyco_summary *s = &r->summary;
	const char *rule = "============================================================";

	printf("%s\nCACHE USAGE SUMMARY\n%s\n", rule, rule);
	printf("Tensor cache:    %.2f GB\n", gb(s->tensors));
	printf("Generated cache: %.2f GB\n", gb(s->generated));
	printf("Eval cache:      %.2f GB\n", gb(s->eval));
	printf("Total cache:     %.2f GB\n", gb(s->total));
	printf("%s\n", rule);
	if (!o->verbose)
		return;
	printf("Files:           %llu\n", (unsigned long long)s->files);
	printf("Disk free:       %.2f GB of %.2f GB (%s)\n",
	    gb(s->disk_free_bytes), gb(s->disk_total_bytes), s->disk_path);
	printf("Index:           %s; %llu files in %llu watched directories"
	    "%s, %.1f MB\n", s->exact ? "exact" : "NOT EXACT (re-scanning)",
	    (unsigned long long)s->tracked_files,
	    (unsigned long long)s->watched_dirs,
	    s->unwatched_dirs ? " (some unwatched: see the log)" : "",
	    (double)s->index_bytes / 1e6);
	printf("\n%-32s %12s %12s %12s\n", "Dataset", "Tensors GB",
	    "Generated GB", "Eval GB");
	for (size_t i = 0; i < s->ndatasets; i++)
		printf("%-32s %12.2f %12.2f %12.2f\n", s->datasets[i]->name,
		    gb(s->datasets[i]->tensors), gb(s->datasets[i]->generated),
		    gb(s->datasets[i]->eval));
	printf("\n%-10s %8s %14s %10s\n", "Kind", "Cycle", "Bytes", "Files");
	for (size_t i = 0; i < s->ncycles; i++)
		printf("%-10s %8ld %14llu %10llu\n", s->cycles[i]->kind,
		    s->cycles[i]->cycle, (unsigned long long)s->cycles[i]->bytes,
		    (unsigned long long)s->cycles[i]->files);
}

static void
done_summary(union result *r)
{
	hyco_summary_free(&r->summary);
}

/* -- cycle-dir -------------------------------------------------------------- */

static int
check_cycle_dir(struct opts *o)
{
	if (o->kind == NULL || !o->have_cycle)
		return die_usage("%s needs --kind and --cycle", "cycle-dir");
	return 0;
}

static int
call_cycle_dir(hyco_client *c, const struct opts *o, union result *r)
{
	return hyco_get_cycle_dir(c, o->kind, o->cycle, o->dataset, r->dir.path,
	    sizeof(r->dir.path), NULL);
}

/* The path alone, for dir=$(hycoctl cycle-dir ...). */
static void
print_cycle_dir(const struct opts *o, const union result *r)
{
	(void)o;
	printf("%s\n", r->dir.path);
}

/* -- cleanup, clean --------------------------------------------------------- */

static int
check_cleanup(struct opts *o)
{
	if (!o->have_cycle)
		return die_usage("%s needs --cycle", "cleanup");
	return 0;
}

static int
call_cleanup(hyco_client *c, const struct opts *o, union result *r)
{
	return hyco_cleanup_cycle(c, o->cycle, o->kind, &r->cleanup);
}

static void
print_cleanup(const struct opts *o, const union result *r)
{
	const struct hyco_cleanup *cl = &r->cleanup;

	(void)o;
	printf("freed %llu bytes (%.2f GB)\n",
	    (unsigned long long)cl->freed_bytes, gb(cl->freed_bytes));
	for (size_t i = 0; i < cl->nremoved; i++)
		printf("removed %s\n", cl->removed[i]);
}

static void
done_cleanup(union result *r)
{
	hyco_cleanup_free(&r->cleanup);
}

/* The seed's cleanup_all_generated_cache: no question, no dataset. */
static int
clean_is_generated(const struct opts *o)
{
	return strcmp(o->arg, "generated") == 0 && o->dataset == NULL;
}

/*
 * clean asks first: a yes on a terminal, or --yes. Without a terminal
 * and without --yes there is nobody to ask, so it refuses.
 */
static int
confirm(const struct opts *o)
{
	char line[16];

	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "hycoctl: clean %s removes cached data; stdin is "
		    "not a terminal, so pass --yes to confirm\n", o->arg);
		return -1;
	}
	fprintf(stderr, "Remove the %s cache%s%s%s? This cannot be undone. "
	    "[y/N] ", o->arg, o->dataset ? " of dataset '" : "",
	    o->dataset ? o->dataset : "", o->dataset ? "'" : "");
	if (fgets(line, sizeof(line), stdin) == NULL ||
	    (strcmp(line, "y\n") != 0 && strcmp(line, "yes\n") != 0)) {
		fprintf(stderr, "hycoctl: not confirmed, nothing removed\n");
		return -1;
	}
	return 0;
}

static int
check_clean(struct opts *o)
{
	static const char *const targets[] = { "tensors", "eval", "generated",
	    "all" };
	size_t i;

	for (i = 0; o->arg != NULL && i < 4; i++)
		if (strcmp(o->arg, targets[i]) == 0)
			break;
	if (o->arg == NULL || i == 4)
		return die_usage("clean takes tensors, eval, generated or all, "
		    "not '%s'", o->arg ? o->arg : "nothing");
	if (clean_is_generated(o) || o->yes)
		return 0;
	return confirm(o);
}

static int
call_clean(hyco_client *c, const struct opts *o, union result *r)
{
	if (clean_is_generated(o))
		return hyco_cleanup_generated_sized(c, 0, &r->cleanup,
		    sizeof(r->cleanup));
	return hyco_clean(c, o->arg, o->dataset, HYCO_CONFIRM, &r->cleanup);
}

/* -- prune ------------------------------------------------------------------ */

static int
call_prune(hyco_client *c, const struct opts *o, union result *r)
{
	return hyco_prune(c, o->dry_run ? HYCO_DRY_RUN : 0, &r->prune);
}

static void
print_prune(const struct opts *o, const union result *r)
{
	const struct hyco_prune *p = &r->prune;

	(void)o;
	printf("%s\n", p->dry_run ? "dry run: nothing removed" : "pruning:");
	if (p->nitems == 0)
		printf("nothing to remove: free space above retention."
		    "prune_below, no cycle beyond keep_last_cycles\n");
	for (size_t i = 0; i < p->nitems; i++) {
		const struct hyco_prune_item *it = p->items[i];
		printf("%-6s %s (%.2f GB): %s\n", it->remove ? "remove" : "keep",
		    it->path, gb(it->bytes), it->why);
	}
}

static void
done_prune(union result *r)
{
	hyco_prune_free(&r->prune);
}

/* -- disk-check ------------------------------------------------------------- */

static int
check_disk(struct opts *o)
{
	if (o->required == NULL || parse_size(o->required,
	    &o->required_bytes) == -1)
		return die_usage("disk-check needs --required SIZE (like 500M, "
		    "20G, 1.5T), got '%s'", o->required ? o->required : "");
	return 0;
}

static int
call_disk(hyco_client *c, const struct opts *o, union result *r)
{
	return hyco_disk_check(c, o->required_bytes, &r->disk);
}

static void
print_disk(const struct opts *o, const union result *r)
{
	const struct hyco_disk_check *d = &r->disk;

	(void)o;
	printf("%s: %.2f GB available, %.2f GB required (%s)\n",
	    d->ok ? "ok" : "NOT ENOUGH SPACE", gb(d->available_bytes),
	    gb(d->required_bytes), d->path);
}

static int
status_disk(const union result *r)
{
	return r->disk.ok ? 0 : EXIT_NOSPACE;
}

/* -- ping ------------------------------------------------------------------- */

static int
call_ping(hyco_client *c, const struct opts *o, union result *r)
{
	(void)o;
	return hyco_ping(c, &r->ping);
}

static void
print_ping(const struct opts *o, const union result *r)
{
	(void)o;
	printf("hycod %s pid %ld up %.1f s\n", r->ping.version, r->ping.pid,
	    r->ping.uptime_s);
}

/* -- config ------------------------------------------------------------------ */

static int
call_config(hyco_client *c, const struct opts *o, union result *r)
{
	(void)o;
	return hyco_call(c, "config", NULL, 0, &r->value);
}

static void
print_config(const struct opts *o, const union result *r)
{
	(void)o;
	(void)config_yaml_print(stdout, hyco_map_get(r->value, "config"));
}

static const struct command commands[] = {
	{ "summary", "", "cache usage (-v: per dataset and cycle)",
	    0, NULL, call_summary, print_summary, NULL, done_summary },
	{ "cycle-dir", "--kind K --cycle N [--dataset D]",
	    "create and print a cycle directory",
	    0, check_cycle_dir, call_cycle_dir, print_cycle_dir, NULL, NULL },
	{ "cleanup", "--cycle N [--kind K]",
	    "remove a cycle's predictions (K: synthetic, physical, all)",
	    0, check_cleanup, call_cleanup, print_cleanup, NULL, done_cleanup },
	{ "clean", "tensors|eval|generated|all [--dataset D] [--yes]",
	    "remove cached data (asks first unless --yes)\n"
	    "plain 'clean generated' empties both prediction caches, unasked",
	    1, check_clean, call_clean, print_cleanup, NULL, done_cleanup },
	{ "prune", "[--dry-run]",
	    "run the retention policy now (--dry-run: only show)",
	    0, NULL, call_prune, print_prune, NULL, done_prune },
	{ "disk-check", "--required SIZE",
	    "exit 0 if SIZE (500M, 20G, 1.5T) is free, else 2",
	    0, check_disk, call_disk, print_disk, status_disk, NULL },
	{ "ping", "", "daemon version, pid, uptime",
	    0, NULL, call_ping, print_ping, NULL, NULL },
	{ "config", "", "the daemon's resolved config, as YAML (--json: "
	    "with\nthe paths it uses and its working directory)",
	    0, NULL, call_config, print_config, NULL, NULL },
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
	    "  -h, --help          this text\n"
	    "Exit: 0 ok, 1 refused, 2 not enough space, 3 daemon unreachable.\n");
}

enum { OPT_SOCKET = 256, OPT_JSON, OPT_KIND, OPT_DATASET, OPT_REQUIRED,
    OPT_CYCLE };

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
				die_usage("too many %s", "-c");
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
		case OPT_CYCLE:
			if (parse_long_arg(optarg, &o->cycle) == -1) {
				die_usage("--cycle takes an integer, not '%s'",
				    optarg);
				return NULL;
			}
			o->have_cycle = 1;
			break;
		case ':':
			die_usage("%s needs a value", argv[optind - 1]);
			return NULL;
		default:
			if (optopt != 0 && strncmp(argv[optind - 1], "--", 2) ==
			    0 && strchr(argv[optind - 1], '=') != NULL)
				die_usage("%s: the option takes no value",
				    argv[optind - 1]);
			else if (optopt > 0 && optopt < OPT_SOCKET) {
				char opt[3] = { '-', (char)optopt, '\0' };
				die_usage("unknown option %s", opt);
			} else
				die_usage("unknown option %s", argv[optind - 1]);
			return NULL;
		}
	}
	if (optind == argc) {
		die_usage("%s", "no command given");
		return NULL;
	}
	for (size_t i = 0; i < ncommands && cmd == NULL; i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		die_usage("unknown command '%s'", argv[optind]);
		return NULL;
	}
	if (cmd->operand && optind + 1 < argc)
		o->arg = argv[optind + 1];
	if (optind + 1 + cmd->operand < argc) {
		die_usage("unexpected argument '%s'", argv[optind + 1 +
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
	int rc = cmd->call(c, o, &r);

	if (rc != HYCO_OK)
		return status_exit(c, rc);
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

int
main(int argc, char **argv)
{
	const struct command *cmd;
	struct opts o = { 0 };
	char sock[4096];
	hyco_client *c;
	int rc;

	log_init("hycoctl", LOG_LEVEL_WARN);
	if ((cmd = parse_args(argc, argv, &o)) == NULL)
		return EXIT_REFUSED;
	/* Check the command's arguments before connecting. */
	if (cmd->check != NULL && cmd->check(&o) == -1)
		return EXIT_REFUSED;
	if (find_socket(&o, sock, sizeof(sock)) == -1)
		return EXIT_REFUSED;
	if ((c = hyco_new(sock)) == NULL) {
		fprintf(stderr, "hycoctl: socket path too long: %s\n", sock);
		return EXIT_REFUSED;
	}
	rc = run(cmd, c, &o);
	hyco_free(c);
	/* Output that did not arrive is a failure (a full disk, a closed pipe). */
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "hycoctl: stdout: %s\n", strerror(errno));
		return EXIT_REFUSED;
	}
	return rc;
}
