/* hycoctl.c: command-line client of hycod, built on libhyco. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "hyco.h"
#include "log.h"
#include "proto.h"

#define EXIT_REFUSED	1	/* the daemon said no, or bad usage */
#define EXIT_NOSPACE	2	/* disk-check: not enough free space */
#define EXIT_UNREACHABLE 3	/* the daemon cannot be reached */
#define MAX_CONFIG_FILES 16

struct opts {
	const char	*files[MAX_CONFIG_FILES];
	int		 nfiles;
	const char	*socket;
	int		 json, verbose;
	const char	*kind, *dataset, *required;
	long		 cycle;
	int		 have_cycle;
	const char	*cmd;
	const char	*arg;	/* clean's target */
	int		 yes;	/* clean: confirmed on the command line */
	int		 dry_run;
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: hycoctl [-c FILE] [--socket PATH] [--json] [-v] COMMAND\n"
	    "commands:\n"
	    "  summary                                  cache usage (-v: per "
	    "dataset and cycle)\n"
	    "  cycle-dir --kind K --cycle N [--dataset D]  create and print a "
	    "cycle directory\n"
	    "  cleanup --cycle N [--kind K]             remove a cycle's "
	    "predictions (K: synthetic, physical, all)\n"
	    "  clean generated                          empty both prediction "
	    "caches\n"
	    "  clean tensors|eval|generated|all [--dataset D] [--yes]\n"
	    "                                           remove cached data "
	    "(asks first unless --yes)\n"
	    "  prune [--dry-run]                        run the retention "
	    "policy now (--dry-run: only show)\n"
	    "  disk-check --required SIZE               exit 0 if SIZE (500M, "
	    "20G, 1.5T) is free, else 2\n"
	    "  ping                                     daemon version, pid, "
	    "uptime\n"
	    "The socket is --socket, else $HYCO_SOCKET, else daemon.socket of "
	    "-c FILE or the default config.\n"
	    "Exit: 0 ok, 1 refused, 2 not enough space, 3 daemon unreachable.\n");
}

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

static const char *
value_of(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		die_usage("%s needs a value", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

/* Global options may stand before or after the command. */
static int
parse_args(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		if (strcmp(a, "--json") == 0)
			o->json = 1;
		else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
			o->verbose = 1;
		else if (strcmp(a, "--yes") == 0 || strcmp(a, "-y") == 0)
			o->yes = 1;
		else if (strcmp(a, "--dry-run") == 0 || strcmp(a, "-n") == 0)
			o->dry_run = 1;
		else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(0);
		} else if (a[0] != '-') {
			if (o->cmd == NULL)
				o->cmd = a;
			else if (o->arg == NULL)
				o->arg = a;
			else
				return die_usage("unexpected argument '%s'", a);
		} else if ((v = value_of(argc, argv, &i)) == NULL)
			return -1;
		else if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (o->nfiles == MAX_CONFIG_FILES)
				return die_usage("too many %s", a);
			o->files[o->nfiles++] = v;
		} else if (strcmp(a, "--socket") == 0)
			o->socket = v;
		else if (strcmp(a, "--kind") == 0)
			o->kind = v;
		else if (strcmp(a, "--dataset") == 0)
			o->dataset = v;
		else if (strcmp(a, "--required") == 0)
			o->required = v;
		else if (strcmp(a, "--cycle") == 0) {
			if (parse_long_arg(v, &o->cycle) == -1)
				return die_usage("--cycle takes an integer, not "
				    "'%s'", v);
			o->have_cycle = 1;
		} else
			return die_usage("unknown option %s", a);
	}
	if (o->cmd == NULL)
		return die_usage("%s", "no command given");
	return 0;
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

static void
print_summary(const struct hyco_summary *s, int verbose)
{
	const char *rule = "============================================================";

	printf("%s\nCACHE USAGE SUMMARY\n%s\n", rule, rule);
	printf("Tensor cache:    %.2f GB\n", gb(s->tensors));
	printf("Generated cache: %.2f GB\n", gb(s->generated));
	printf("Eval cache:      %.2f GB\n", gb(s->eval));
	printf("Total cache:     %.2f GB\n", gb(s->total));
	printf("%s\n", rule);
	if (!verbose)
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
		printf("%-32s %12.2f %12.2f %12.2f\n", s->datasets[i].name,
		    gb(s->datasets[i].tensors), gb(s->datasets[i].generated),
		    gb(s->datasets[i].eval));
	printf("\n%-10s %8s %14s %10s\n", "Kind", "Cycle", "Bytes", "Files");
	for (size_t i = 0; i < s->ncycles; i++)
		printf("%-10s %8ld %14llu %10llu\n", s->cycles[i].kind,
		    s->cycles[i].cycle, (unsigned long long)s->cycles[i].bytes,
		    (unsigned long long)s->cycles[i].files);
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

/* clean's and prune's results, a line each. */
static void
print_removals(const char *method, const msgpack_object *res)
{
	const msgpack_object *items = rpc_map_get(res, strcmp(method, "clean")
	    == 0 ? "removed" : "items");
	const msgpack_object *o;
	uint64_t b = 0;

	if (items == NULL || items->type != MSGPACK_OBJECT_ARRAY)
		return;
	if (strcmp(method, "clean") == 0) {
		if ((o = rpc_map_get(res, "freed_bytes")) != NULL &&
		    o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			b = o->via.u64;
		printf("freed %llu bytes (%.2f GB)\n", (unsigned long long)b,
		    gb(b));
		for (uint32_t i = 0; i < items->via.array.size; i++) {
			o = &items->via.array.ptr[i];
			if (o->type == MSGPACK_OBJECT_STR)
				printf("removed %.*s\n", (int)o->via.str.size,
				    o->via.str.ptr);
		}
		return;
	}
	o = rpc_map_get(res, "dry_run");
	printf("%s\n", o && o->type == MSGPACK_OBJECT_BOOLEAN && o->via.boolean ?
	    "dry run: nothing removed" : "pruning:");
	if (items->via.array.size == 0)
		printf("nothing to remove: free space above retention."
		    "prune_below, no cycle beyond keep_last_cycles\n");
	for (uint32_t i = 0; i < items->via.array.size; i++) {
		const msgpack_object *it = &items->via.array.ptr[i];
		const msgpack_object *p = rpc_map_get(it, "path");
		const msgpack_object *w = rpc_map_get(it, "why");
		const msgpack_object *rm = rpc_map_get(it, "remove");
		const msgpack_object *by = rpc_map_get(it, "bytes");
		if (p == NULL || w == NULL || rm == NULL || by == NULL ||
		    p->type != MSGPACK_OBJECT_STR || w->type != MSGPACK_OBJECT_STR)
			continue;
		printf("%-6s %.*s (%.2f GB): %.*s\n", rm->via.boolean ? "remove" :
		    "keep", (int)p->via.str.size, p->via.str.ptr,
		    gb(by->via.u64), (int)w->via.str.size, w->via.str.ptr);
	}
}

/* --json: one generic call, the raw result printed as JSON. */
static int
run_json(hyco_client *c, const char *method, const struct hyco_arg *a,
    size_t n)
{
	const msgpack_object *res;
	int rc = hyco_call(c, method, a, n, &res);

	if (rc != HYCO_OK)
		return status_exit(c, rc);
	hyco_print_json(stdout, res);
	putchar('\n');
	if (strcmp(method, "disk-check") == 0) {
		const msgpack_object *ok = rpc_map_get(res, "ok");
		if (ok != NULL && ok->type == MSGPACK_OBJECT_BOOLEAN &&
		    !ok->via.boolean)
			return EXIT_NOSPACE;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct hyco_arg a[4];
	char sock[4096];
	hyco_client *c;
	size_t n = 0;
	uint64_t required = 0;
	int rc;

	log_init("hycoctl", LOG_LEVEL_WARN);
	if (parse_args(argc, argv, &o) == -1)
		return EXIT_REFUSED;

	/* Check the command and its arguments before connecting. */
	const char *method = NULL;
	if (strcmp(o.cmd, "summary") == 0 || strcmp(o.cmd, "ping") == 0)
		method = o.cmd;
	else if (strcmp(o.cmd, "cycle-dir") == 0) {
		if (o.kind == NULL || !o.have_cycle) {
			die_usage("%s needs --kind and --cycle", o.cmd);
			return EXIT_REFUSED;
		}
		method = "get-cycle-dir";
		a[n++] = (struct hyco_arg){ .name = "kind", .type = HYCO_ARG_STR,
		    .s = o.kind };
		a[n++] = (struct hyco_arg){ .name = "cycle", .type = HYCO_ARG_INT,
		    .i = o.cycle };
		if (o.dataset != NULL)
			a[n++] = (struct hyco_arg){ .name = "dataset",
			    .type = HYCO_ARG_STR, .s = o.dataset };
	} else if (strcmp(o.cmd, "cleanup") == 0) {
		if (!o.have_cycle) {
			die_usage("%s needs --cycle", o.cmd);
			return EXIT_REFUSED;
		}
		method = "cleanup-cycle";
		a[n++] = (struct hyco_arg){ .name = "cycle", .type = HYCO_ARG_INT,
		    .i = o.cycle };
		if (o.kind != NULL)
			a[n++] = (struct hyco_arg){ .name = "kind",
			    .type = HYCO_ARG_STR, .s = o.kind };
	} else if (strcmp(o.cmd, "clean") == 0 && o.arg != NULL &&
	    strcmp(o.arg, "generated") == 0 && o.dataset == NULL) {
		/* The seed's cleanup_all_generated_cache: no question. */
		method = "cleanup-generated";
	} else if (strcmp(o.cmd, "clean") == 0) {
		if (o.arg == NULL || (strcmp(o.arg, "tensors") != 0 &&
		    strcmp(o.arg, "eval") != 0 && strcmp(o.arg, "generated") != 0 &&
		    strcmp(o.arg, "all") != 0)) {
			die_usage("clean takes tensors, eval, generated or all, "
			    "not '%s'", o.arg ? o.arg : "nothing");
			return EXIT_REFUSED;
		}
		if (!o.yes && confirm(&o) == -1)
			return EXIT_REFUSED;
		method = "clean";
		a[n++] = (struct hyco_arg){ .name = "target", .type = HYCO_ARG_STR,
		    .s = o.arg };
		a[n++] = (struct hyco_arg){ .name = "confirm",
		    .type = HYCO_ARG_BOOL, .i = 1 };
		if (o.dataset != NULL)
			a[n++] = (struct hyco_arg){ .name = "dataset",
			    .type = HYCO_ARG_STR, .s = o.dataset };
	} else if (strcmp(o.cmd, "prune") == 0) {
		method = "prune";
		a[n++] = (struct hyco_arg){ .name = "dry_run",
		    .type = HYCO_ARG_BOOL, .i = o.dry_run };
	} else if (strcmp(o.cmd, "disk-check") == 0) {
		if (o.required == NULL || parse_size(o.required, &required) == -1) {
			die_usage("disk-check needs --required SIZE (like 500M, "
			    "20G, 1.5T), got '%s'", o.required ? o.required : "");
			return EXIT_REFUSED;
		}
		method = "disk-check";
		a[n++] = (struct hyco_arg){ .name = "required_bytes",
		    .type = HYCO_ARG_INT, .i = (int64_t)required };
	} else {
		die_usage("unknown command '%s'", o.cmd);
		return EXIT_REFUSED;
	}
	if (o.cmd != NULL && strcmp(o.cmd, "clean") != 0 && o.arg != NULL) {
		die_usage("unexpected argument '%s'", o.arg);
		return EXIT_REFUSED;
	}

	if (find_socket(&o, sock, sizeof(sock)) == -1)
		return EXIT_REFUSED;
	if ((c = hyco_new(sock)) == NULL) {
		fprintf(stderr, "hycoctl: socket path too long: %s\n", sock);
		return EXIT_REFUSED;
	}
	if (o.json) {
		rc = run_json(c, method, a, n);
		hyco_free(c);
		return rc;
	}

	if (strcmp(method, "summary") == 0) {
		struct hyco_summary s;
		if ((rc = hyco_summary(c, &s)) == HYCO_OK) {
			print_summary(&s, o.verbose);
			hyco_summary_free(&s);
		}
	} else if (strcmp(method, "ping") == 0) {
		struct hyco_ping p;
		if ((rc = hyco_ping(c, &p)) == HYCO_OK)
			printf("hycod %s pid %ld up %.1f s\n", p.version, p.pid,
			    p.uptime_s);
	} else if (strcmp(method, "get-cycle-dir") == 0) {
		char path[4096];
		if ((rc = hyco_get_cycle_dir(c, o.kind, o.cycle, o.dataset, path,
		    sizeof(path), NULL)) == HYCO_OK)
			printf("%s\n", path);
	} else if (strcmp(method, "cleanup-cycle") == 0) {
		struct hyco_cleanup r;
		if ((rc = hyco_cleanup_cycle(c, o.cycle, o.kind, &r)) == HYCO_OK) {
			printf("freed %llu bytes (%.2f GB)\n",
			    (unsigned long long)r.freed_bytes, gb(r.freed_bytes));
			for (size_t i = 0; i < r.nremoved; i++)
				printf("removed %s\n", r.removed[i]);
			hyco_cleanup_free(&r);
		}
	} else if (strcmp(method, "clean") == 0 ||
	    strcmp(method, "prune") == 0) {
		const msgpack_object *res;
		if ((rc = hyco_call(c, method, a, n, &res)) == HYCO_OK)
			print_removals(method, res);
	} else if (strcmp(method, "cleanup-generated") == 0) {
		uint64_t freed;
		if ((rc = hyco_cleanup_generated(c, &freed)) == HYCO_OK)
			printf("freed %llu bytes (%.2f GB)\n",
			    (unsigned long long)freed, gb(freed));
	} else {
		struct hyco_disk_check d;
		if ((rc = hyco_disk_check(c, required, &d)) == HYCO_OK) {
			printf("%s: %.2f GB available, %.2f GB required (%s)\n",
			    d.ok ? "ok" : "NOT ENOUGH SPACE", gb(d.available_bytes),
			    gb(d.required_bytes), d.path);
			if (!d.ok) {
				hyco_free(c);
				return EXIT_NOSPACE;
			}
		}
	}
	rc = status_exit(c, rc);
	hyco_free(c);
	return rc;
}
