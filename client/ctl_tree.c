/*
 * ctl_tree.c: hycoctl's commands that change the cache tree: cycle-dir,
 * cleanup, clean and prune.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "hyco.h"

/* -- cycle-dir ------------------------------------------------------------ */

int
ctl_cycle_dir_args(struct opts *o)
{
	if (o->kind == NULL || !o->have_cycle)
		return ctl_usage_error("%s needs --kind and --cycle",
		    "cycle-dir");
	return 0;
}

int
ctl_cycle_dir_call(hyco_client *c, const struct opts *o, union result *r)
{
	return hyco_get_cycle_dir(c, o->kind, o->cycle, o->dataset, r->dir.path,
	    sizeof(r->dir.path), NULL);
}

/* The path alone, for dir=$(hycoctl cycle-dir ...). */
void
ctl_cycle_dir_print(const struct opts *o, const union result *r)
{
	(void)o;
	printf("%s\n", r->dir.path);
}

/* -- cleanup, clean ------------------------------------------------------- */

int
ctl_cleanup_args(struct opts *o)
{
	if (!o->have_cycle)
		return ctl_usage_error("%s needs --cycle", "cleanup");
	return 0;
}

int
ctl_cleanup_call(hyco_client *c, const struct opts *o, union result *r)
{
	return hyco_cleanup_cycle(c, o->cycle, o->kind, &r->cleanup);
}

void
ctl_cleanup_print(const struct opts *o, const union result *r)
{
	const struct hyco_cleanup *cl = &r->cleanup;

	(void)o;
	printf("freed %llu bytes (%.2f GB)\n",
	    (unsigned long long)cl->freed_bytes, gb(cl->freed_bytes));
	for (size_t i = 0; i < cl->nremoved; i++)
		printf("removed %s\n", cl->removed[i]);
}

void
ctl_cleanup_done(union result *r)
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

int
ctl_clean_args(struct opts *o)
{
	static const char *const targets[] = { "tensors", "eval", "generated",
	    "all" };
	size_t i;

	for (i = 0; o->arg != NULL && i < 4; i++)
		if (strcmp(o->arg, targets[i]) == 0)
			break;
	if (o->arg == NULL || i == 4)
		return ctl_usage_error("clean takes tensors, eval, generated or "
		    "all, not '%s'", o->arg ? o->arg : "nothing");
	if (clean_is_generated(o) || o->yes)
		return 0;
	return confirm(o);
}

int
ctl_clean_call(hyco_client *c, const struct opts *o, union result *r)
{
	if (clean_is_generated(o))
		return hyco_cleanup_generated_sized(c, 0, &r->cleanup,
		    sizeof(r->cleanup));
	return hyco_clean(c, o->arg, o->dataset, HYCO_CONFIRM, &r->cleanup);
}

/* -- prune ---------------------------------------------------------------- */

int
ctl_prune_call(hyco_client *c, const struct opts *o, union result *r)
{
	return hyco_prune(c, o->dry_run ? HYCO_DRY_RUN : 0, &r->prune);
}

void
ctl_prune_print(const struct opts *o, const union result *r)
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

void
ctl_prune_done(union result *r)
{
	hyco_prune_free(&r->prune);
}

