/*
 * old.c: a program written against libhyco's first header
 * (tests/api/v0/hyco.h), making the calls tests/test_integration.c made
 * then. tests/libhyco.sh applies old-to-new.patch, which holds exactly
 * the changes README.md's API notes list, and runs it against a real
 * hycod: SOCKET is its argument. Like many such programs it takes
 * <stdio.h> from hyco.h, which the old header included through
 * <msgpack.h>.
 */
#include <stdlib.h>
#include <string.h>

#include "hyco.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "old-api: line %d: %s (%s: %s)\n", __LINE__, \
		    #cond, hyco_error_code(c), hyco_error_message(c)); \
		exit(1); \
	} \
} while (0)

int
main(int argc, char **argv)
{
	hyco_client *c = hyco_new(argc > 1 ? argv[1] : NULL);
	struct hyco_ping p;
	struct hyco_cleanup r;
	struct hyco_summary s;
	struct hyco_disk_check d;
	struct hyco_arg gb = { .name = "required_gb", .type = HYCO_ARG_FLOAT,
	    .f = 0.5 };
	struct hyco_arg bad[2] = {
		{ .name = "kind", .type = HYCO_ARG_STR, .s = "x" },
		{ .name = "cycle", .type = HYCO_ARG_INT, .i = 1 },
	};
	const msgpack_object *res;
	char path[4096], file[4200];
	uint64_t freed, required = 0;
	int created, found = 0;
	FILE *f;

	if (c == NULL)
		return 1;
	hyco_set_timeouts(c, 5000, 10000);
	CHECK(hyco_connect(c) == HYCO_OK);
	CHECK(strcmp(hyco_socket_path(c), argv[1]) == 0);
	CHECK(hyco_ping(c, &p) == HYCO_OK);
	CHECK(strcmp(p.version, "0.1.0") == 0 && p.pid > 0 && p.uptime_s >= 0);

	CHECK(hyco_get_cycle_dir(c, "synthetic", 3, NULL, path, sizeof(path),
	    &created) == HYCO_OK);
	CHECK(created);
	snprintf(file, sizeof(file), "%s/gen_000000.pt", path);
	CHECK((f = fopen(file, "w")) != NULL);
	fprintf(f, "%0100d", 0);
	fclose(f);
	CHECK(hyco_call(c, "get-cycle-dir", bad, 2, &res) == HYCO_EREFUSED);
	CHECK(strcmp(hyco_error_code(c), "invalid_argument") == 0);
	CHECK(strlen(hyco_error_message(c)) > 0);

	CHECK(hyco_summary(c, &s) == HYCO_OK);
	CHECK(s.generated == 100 && s.total == 100 && s.exact);
	CHECK(s.ncycles == 1 && strcmp(s.cycles[0].kind, "synthetic") == 0);
	CHECK(s.cycles[0].cycle == 3 && s.cycles[0].bytes == 100 &&
	    s.cycles[0].files == 1);
	for (size_t i = 0; i < s.ndatasets; i++)
		if (strcmp(s.datasets[i].name, "burgers_128") == 0)
			found = s.datasets[i].generated == 100;
	CHECK(found);
	CHECK(s.disk_path != NULL && s.disk_total_bytes > 0);
	hyco_summary_free(&s);

	CHECK(hyco_disk_check(c, 0, &d) == HYCO_OK);
	CHECK(d.ok && d.required_bytes == 0 && d.path[0] == '/');
	CHECK(hyco_call(c, "disk-check", &gb, 1, &res) == HYCO_OK);
	for (uint32_t i = 0; i < res->via.map.size; i++) {
		const msgpack_object_kv *kv = &res->via.map.ptr[i];
		if (kv->key.type == MSGPACK_OBJECT_STR &&
		    kv->key.via.str.size == 14 &&
		    memcmp(kv->key.via.str.ptr, "required_bytes", 14) == 0)
			required = kv->val.via.u64;
	}
	CHECK(required == 500000000);
	hyco_print_json(stdout, res);
	putchar('\n');

	CHECK(hyco_cleanup_cycle(c, 3, NULL, &r) == HYCO_OK);
	CHECK(r.freed_bytes == 100 && r.nremoved == 1);
	printf("removed %s\n", r.removed[0]);
	hyco_cleanup_free(&r);
	CHECK(hyco_cleanup_generated(c, &freed) == HYCO_OK && freed == 0);
	hyco_free(c);
	printf("old-api: ok\n");
	return 0;
}
