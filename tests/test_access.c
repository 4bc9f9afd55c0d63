/* test_access.c: method classes, daemon.access entries, checks, audit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "access.h"
#include "config.h"
#include "log.h"
#include "server.h"
#include "testutil.h"

/* The classes issue 11 gives, the methods of later issues included. */
static void
test_access_method_classes(void **state)
{
	static const struct { const char *m; int c; } want[] = {
		{ "ping", ACCESS_READ }, { "summary", ACCESS_READ },
		{ "disk-check", ACCESS_READ }, { "config", ACCESS_READ },
		{ "metrics", ACCESS_READ }, { "stats", ACCESS_READ },
		{ "subscribe", ACCESS_READ }, { "unsubscribe", ACCESS_READ },
		{ "get-cycle-dir", ACCESS_WRITE },
		{ "cleanup-cycle", ACCESS_WRITE },
		{ "cleanup-generated", ACCESS_ADMIN }, { "clean", ACCESS_ADMIN },
		{ "prune", ACCESS_ADMIN }, { "reload", ACCESS_ADMIN },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(access_method_class(want[i].m,
		    strlen(want[i].m)), want[i].c);
		assert_int_equal(access_class_of(want[i].m, strlen(want[i].m)),
		    want[i].c);
	}
	/* A name the table lacks has no class, and is treated as admin. */
	assert_int_equal(access_method_class("frobnicate", 10), -1);
	assert_int_equal(access_class_of("frobnicate", 10), ACCESS_ADMIN);
	/* Lengths count: a prefix or an extension is another name. */
	assert_int_equal(access_method_class("pin", 3), -1);
	assert_int_equal(access_method_class("pingx", 5), -1);
	assert_int_equal(access_method_class("clean", 4), -1);
}

/* Load daemon.access from yaml (a config of its own, in dir). */
static int
load(const char *yaml, struct hyco_config *cfg, struct cfg_errors *e)
{
	char *dir = tu_tmpdir(), path[PATH_MAX], root[PATH_MAX + 32];
	char text[2048];
	const char *files[1] = { path };
	int rc;

	snprintf(path, sizeof(path), "%s/c.yaml", dir);
	snprintf(root, sizeof(root), "paths.cache_root=%s/cache", dir);
	snprintf(text, sizeof(text), "paths:\n  cache_root: x\n%s", yaml);
	tu_write(dir, "c.yaml", text);
	const char *ov[1] = { root };
	rc = config_load(cfg, files, 1, ov, 1, e);
	tu_rmrf(dir);
	free(dir);
	return rc;
}

static bool
has_error(const struct cfg_errors *e, const char *needle)
{
	for (int i = 0; i < e->count; i++)
		if (strstr(e->msg[i], needle) != NULL)
			return true;
	return false;
}

static void
test_access_defaults(void **state)
{
	struct hyco_config cfg;
	struct cfg_errors e = { 0 };
	const struct access_list *c;

	(void)state;
	assert_int_equal(load("", &cfg, &e), 0);
	c = cfg.access.class;
	/* read and write: the socket's group; admin: the daemon's user. */
	for (int i = ACCESS_READ; i <= ACCESS_WRITE; i++) {
		assert_true(c[i].socket_group);
		assert_false(c[i].any || c[i].daemon_user);
		assert_int_equal(c[i].nuids + c[i].ngids, 0);
	}
	assert_true(c[ACCESS_ADMIN].daemon_user);
	assert_false(c[ACCESS_ADMIN].socket_group || c[ACCESS_ADMIN].any);
	assert_int_equal(c[ACCESS_ADMIN].nuids + c[ACCESS_ADMIN].ngids, 0);
	config_free(&cfg);
}

static void
test_access_entries(void **state)
{
	struct hyco_config cfg;
	struct cfg_errors e = { 0 };
	const struct access_list *c;

	(void)state;
	assert_int_equal(load("daemon:\n  access:\n"
	    "    read: [any]\n"
	    "    write: 'user:root, uid:1000 group:root,gid:100'\n"
	    "    admin:\n      - user:nobody\n      - group:nogroup\n"
	    "      - uid:0\n      - uid:0\n      - daemon-user socket-group\n",
	    &cfg, &e), 0);
	c = cfg.access.class;
	assert_true(c[ACCESS_READ].any);
	assert_int_equal(c[ACCESS_WRITE].nuids, 2);
	assert_int_equal(c[ACCESS_WRITE].uids[0], 0);
	assert_int_equal(c[ACCESS_WRITE].uids[1], 1000);
	assert_int_equal(c[ACCESS_WRITE].ngids, 2);
	assert_int_equal(c[ACCESS_WRITE].gids[0], 0);
	assert_int_equal(c[ACCESS_WRITE].gids[1], 100);
	assert_false(c[ACCESS_WRITE].socket_group);
	/* Debian's nobody and nogroup; a repeated id is kept once. */
	assert_int_equal(c[ACCESS_ADMIN].nuids, 2);
	assert_int_equal(c[ACCESS_ADMIN].uids[0], 65534);
	assert_int_equal(c[ACCESS_ADMIN].uids[1], 0);
	assert_int_equal(c[ACCESS_ADMIN].ngids, 1);
	assert_int_equal(c[ACCESS_ADMIN].gids[0], 65534);
	assert_true(c[ACCESS_ADMIN].daemon_user && c[ACCESS_ADMIN].socket_group);
	config_free(&cfg);
	/* An empty list: nobody but root. */
	assert_int_equal(load("daemon:\n  access:\n    admin: []\n", &cfg, &e),
	    0);
	c = &cfg.access.class[ACCESS_ADMIN];
	assert_false(c->any || c->daemon_user || c->socket_group);
	assert_int_equal(c->nuids + c->ngids, 0);
	config_free(&cfg);
}

/* Every mistake is reported, each with its file and line. */
static void
test_access_errors(void **state)
{
	struct hyco_config cfg;
	struct cfg_errors e = { 0 };
	char many[1024] = "daemon:\n  access:\n    read: [";

	(void)state;
	assert_int_equal(load("daemon:\n  access:\n"
	    "    read: [user:no-such-user-hyco]\n"			/* line 5 */
	    "    write:\n      - group:no-such-group-hyco\n"	/* line 7 */
	    "      - uid:-1\n"					/* line 8 */
	    "      - uid:4294967295\n"				/* line 9 */
	    "      - [nested]\n"					/* line 10 */
	    "    admin: 'wheel user: friend'\n",			/* line 11 */
	    &cfg, &e), -1);
	assert_true(has_error(&e, "c.yaml:5: daemon.access.read: unknown user "
	    "'no-such-user-hyco'"));
	assert_true(has_error(&e, "c.yaml:7: daemon.access.write: unknown "
	    "group 'no-such-group-hyco'"));
	assert_true(has_error(&e, "c.yaml:8: daemon.access.write: 'uid:-1'"));
	assert_true(has_error(&e, "c.yaml:9: daemon.access.write: "
	    "'uid:4294967295'"));
	assert_true(has_error(&e, "c.yaml:10: daemon.access.write: expected"));
	assert_true(has_error(&e, "c.yaml:11: daemon.access.admin: 'wheel': "
	    "expected user:NAME"));
	assert_true(has_error(&e, "c.yaml:11: daemon.access.admin: 'user:': "
	    "a user name is missing"));
	assert_true(has_error(&e, "daemon.access.admin: 'friend'"));
	cfg_errors_clear(&e);
	/* A mapping or a null is no list of users. */
	assert_int_equal(load("daemon:\n  access:\n    read: {a: 1}\n",
	    &cfg, &e), -1);
	assert_true(has_error(&e, "c.yaml:5: daemon.access.read: expected"));
	cfg_errors_clear(&e);
	assert_int_equal(load("daemon:\n  access:\n    write: null\n",
	    &cfg, &e), -1);
	assert_true(has_error(&e, "c.yaml:5: daemon.access.write: expected"));
	cfg_errors_clear(&e);
	/* ACCESS_IDS_MAX users at most. */
	for (int i = 0; i <= ACCESS_IDS_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
		    "%suid:%d", i ? ", " : "", 1000 + i);
	strcat(many, "]\n");
	assert_int_equal(load(many, &cfg, &e), -1);
	assert_true(has_error(&e, "daemon.access.read: more than 32 users"));
	cfg_errors_clear(&e);
}

static struct access_rules
rules_of(const char *read, const char *write, const char *admin)
{
	struct access_rules r;
	const char *text[3] = { read, write, admin };
	struct cfg_errors e = { 0 };

	for (int i = 0; i < 3; i++) {
		char yaml[256];
		snprintf(yaml, sizeof(yaml), "x: '%s'\n", text[i]);
		struct cfg_node *t = cfg_parse(yaml, strlen(yaml), "t", &e);
		assert_non_null(t);
		assert_int_equal(access_parse(cfg_get(t, "x"), "x", &r.class[i],
		    &e), 0);
		cfg_free(t);
	}
	return r;
}

static void
test_access_allowed(void **state)
{
	gid_t groups[2] = { 300, 400 };
	struct peer_cred alice = { .known = true, .groups_known = true,
	    .pid = 1, .uid = 1000, .gid = 100, .ngroups = 2, .groups = groups };
	struct peer_cred root = { .known = true, .uid = 0, .gid = 0 };
	struct peer_cred ghost = { .known = false, .uid = 0 };
	struct peer_cred me = { .known = true, .uid = geteuid() == 0 ? 4242 :
	    geteuid(), .gid = 4242 };
	struct access a;
	struct access_rules r;

	(void)state;
	/* Each way in: uid, primary group, a supplementary group. */
	r = rules_of("uid:1000", "gid:100", "gid:400");
	access_init(&a, &r);
	assert_true(access_allowed(&a, ACCESS_READ, &alice));
	assert_true(access_allowed(&a, ACCESS_WRITE, &alice));
	assert_true(access_allowed(&a, ACCESS_ADMIN, &alice));
	r = rules_of("uid:1001", "gid:101", "gid:401");
	access_replace(&a, &r);		/* one call: all three classes */
	assert_false(access_allowed(&a, ACCESS_READ, &alice));
	assert_false(access_allowed(&a, ACCESS_WRITE, &alice));
	assert_false(access_allowed(&a, ACCESS_ADMIN, &alice));
	/* Root always passes; a peer the kernel did not name never does. */
	assert_true(access_allowed(&a, ACCESS_ADMIN, &root));
	assert_false(access_allowed(&a, ACCESS_READ, &ghost));
	/* socket-group: only once the socket's group is known. */
	r = rules_of("socket-group", "", "");
	access_replace(&a, &r);
	assert_false(access_allowed(&a, ACCESS_READ, &alice));
	access_set_socket_gid(&a, 300);
	assert_true(access_allowed(&a, ACCESS_READ, &alice));
	assert_false(access_allowed(&a, ACCESS_WRITE, &alice));
	access_set_socket_gid(&a, 301);
	assert_false(access_allowed(&a, ACCESS_READ, &alice));
	/* A class includes those below it, never those above. */
	r = rules_of("", "uid:1000", "");
	access_replace(&a, &r);
	assert_true(access_allowed(&a, ACCESS_READ, &alice));
	assert_true(access_allowed(&a, ACCESS_WRITE, &alice));
	assert_false(access_allowed(&a, ACCESS_ADMIN, &alice));
	r = rules_of("", "", "gid:300");
	access_replace(&a, &r);
	assert_true(access_allowed(&a, ACCESS_READ, &alice));
	assert_true(access_allowed(&a, ACCESS_WRITE, &alice));
	assert_true(access_allowed(&a, ACCESS_ADMIN, &alice));
	/* any: every peer, even one without credentials. */
	r = rules_of("any", "", "");
	access_replace(&a, &r);
	assert_true(access_allowed(&a, ACCESS_READ, &ghost));
	assert_false(access_allowed(&a, ACCESS_WRITE, &ghost));
	assert_false(access_allowed(&a, ACCESS_WRITE, &alice));
	/* daemon-user: the daemon's effective uid. */
	r = rules_of("", "", "daemon-user");
	access_init(&a, &r);
	a.euid = me.uid;
	assert_true(access_allowed(&a, ACCESS_ADMIN, &me));
	assert_false(access_allowed(&a, ACCESS_ADMIN, &alice));
}

/* The command line of a child with awkward arguments. */
static void
test_access_cmdline(void **state)
{
	char out[ACCESS_CMDLINE_SHOW * 4 + 8], long_arg[2000];
	pid_t pid;

	(void)state;
	access_cmdline(0, out, sizeof(out));
	assert_string_equal(out, "?");
	access_cmdline(999999999, out, sizeof(out));
	assert_string_equal(out, "?");
	if ((pid = fork()) == 0) {
		execl("/bin/sleep", "sl\x01" "ep\\'", "30", (char *)NULL);
		_exit(127);
	}
	/* Wait until the child has become sleep. */
	for (int i = 0; i < 200; i++) {
		access_cmdline(pid, out, sizeof(out));
		if (strncmp(out, "sl", 2) == 0)
			break;
		usleep(10000);
	}
	assert_string_equal(out, "sl\\x01ep\\x5c\\x27 30");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* A long command line is cut, and says so. */
	memset(long_arg, 'a', sizeof(long_arg) - 1);
	long_arg[sizeof(long_arg) - 1] = '\0';
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", "sleep 30; :", "sh", long_arg,
		    (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		access_cmdline(pid, out, sizeof(out));
		if (strncmp(out, "sh -c", 5) == 0)
			break;
		usleep(10000);
	}
	assert_true(strlen(out) <= ACCESS_CMDLINE_SHOW);
	assert_true(strncmp(out, "sh -c sleep 30; : sh aaaa", 25) == 0);
	assert_string_equal(out + strlen(out) - 3, "...");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* The audit line: who, what, with which arguments, escaped. */
static void
test_access_audit_line(void **state)
{
	char *dir = tu_tmpdir(), path[PATH_MAX], text[4096] = "", want[512];
	struct peer_cred p = { .known = true, .pid = getpid(), .uid = 1234,
	    .gid = 567 };
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked u;
	int fd, saved;
	FILE *f;

	(void)state;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	msgpack_pack_str_with_body(&pk, "target", 6);
	msgpack_pack_str_with_body(&pk, "a'\nb", 4);
	msgpack_pack_str_with_body(&pk, "confirm", 7);
	msgpack_pack_true(&pk);
	msgpack_pack_str_with_body(&pk, "n", 1);
	msgpack_pack_int(&pk, -3);
	msgpack_pack_str_with_body(&pk, "l", 1);
	msgpack_pack_array(&pk, 0);
	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, sb.data, sb.size, NULL),
	    MSGPACK_UNPACK_SUCCESS);
	snprintf(path, sizeof(path), "%s/err", dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	access_audit("clean", false, &p, &u.data.via.map);
	access_audit("prune", true, &p, NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	f = fopen(path, "r");
	assert_non_null(f);
	text[fread(text, 1, sizeof(text) - 1, f)] = '\0';
	fclose(f);
	snprintf(want, sizeof(want), "hycod: info: audit: clean refused: pid "
	    "%d uid 1234 gid 567 cmd '", (int)getpid());
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "test_access' args target='a\\x27\\x0ab' "
	    "confirm=true n=-3 l=(list)\n"));
	snprintf(want, sizeof(want), "hycod: info: audit: prune allowed: pid "
	    "%d uid 1234 gid 567 cmd '", (int)getpid());
	assert_non_null(strstr(text, want));
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	tu_rmrf(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_access_method_classes),
		cmocka_unit_test(test_access_defaults),
		cmocka_unit_test(test_access_entries),
		cmocka_unit_test(test_access_errors),
		cmocka_unit_test(test_access_allowed),
		cmocka_unit_test(test_access_cmdline),
		cmocka_unit_test(test_access_audit_line),
	};

	log_init("hycod", LOG_LEVEL_INFO);
	return cmocka_run_group_tests_name("access", tests, NULL, NULL);
}
