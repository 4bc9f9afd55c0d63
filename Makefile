# hyco: hycod (daemon), hycoctl (CLI), libhyco (client library).
#
#   make            build bin/hycod bin/hycoctl lib/libhyco.{a,so}
#   make deps       install the Debian packages this needs (as root)
#   make check      unit + integration tests   (SANITIZE=1: ASan+UBSan)
#   make check T='ping cycle_dir*'   only the integration cases named
#                   (fnmatch patterns); SHUFFLE=SEED: in a shuffled order
#   make check-long a million churn operations, valgrind, then a load run of
#                   1000 clients and 50 hostile ones (LOAD_S=60 seconds)
#   make check-omegaconf  hycod --print-config against OmegaConf, longer
#                   than check does (SEEDS='1 2 3' COUNT=5000)
#   make valgrind   hycod (a gcc build in build/vg) under valgrind
#   make run        start hycod on conf/config.yaml, cache under ./cache
#   make install    PREFIX=/usr/local DESTDIR= (make uninstall: the same)
#   make abi        record libhyco's ABI, once HYCO_ABI_VERSION is raised
#   make bench      benchmarks (bench/); BENCH_QUICK=1: the load client only, short
#   make fuzz       each libFuzzer target FUZZ_S seconds (tests/fuzz/)
#
# SANITIZE=1 builds into build/san/ so normal and sanitized objects never mix.

CC	?= cc
PKGS	 = libuv msgpack yaml-0.1
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -fPIC
CPPFLAGS += -Idaemon -Iprotocol -Iclient
LDLIBS	 = -lm

ifeq ($(SANITIZE),1)
B	 = build/san
CFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=address,undefined
BIN	 = $(B)/bin
LIB	 = $(B)/lib
else
B	 = build/obj
BIN	 = bin
LIB	 = lib
endif

DEB_PKGS = libuv1-dev libyaml-dev libmsgpack-dev libcmocka-dev pkg-config \
	   python3-msgpack python3-yaml python3-omegaconf valgrind patch \
	   prometheus prometheus-node-exporter \
	   systemd mandoc man-db python3-venv python3-setuptools \
	   libsystemd-dev clang libclang-rt-14-dev

# libhyco's ABI version, MAJOR.MINOR.PATCH; the soname is libhyco.so.MAJOR.
# It changes with the ABI, not with the package (README, "Versions"):
# MINOR when exported functions or struct members are added (old
# programs still run), PATCH when the library changes and its ABI does
# not, MAJOR (a new soname) when anything exported is removed or changes
# meaning. client/libhyco.abi records what this version exports.
HYCO_ABI_VERSION = 0.3.0
SOMAJOR	 = $(firstword $(subst ., ,$(HYCO_ABI_VERSION)))
SONAME	 = libhyco.so.$(SOMAJOR)
SOFILE	 = libhyco.so.$(HYCO_ABI_VERSION)
# The package's version, hycod's HYCO_VERSION: pkg-config reports it.
VERSION	 = $(shell sed -n 's/^\#define HYCO_VERSION[^"]*"\(.*\)"/\1/p' daemon/hycod.h)

# Flags come from pkg-config once deps are in; until then keep make quiet.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
# sd_notify, sd_listen_fds: hycod only (log.c uses sd-daemon.h's macros).
SYSTEMD_LIBS = $(shell pkg-config --libs libsystemd 2>/dev/null)
CPPFLAGS += $(shell pkg-config --cflags libsystemd 2>/dev/null)
CPPFLAGS += $(PKG_CFLAGS)

PROTO_OBJ  = $(B)/protocol/proto.o $(B)/protocol/frame.o
CFG_TREE_OBJ = $(B)/daemon/cfg_tree.o $(B)/daemon/cfg_type.o \
	     $(B)/daemon/cfg_parse.o $(B)/daemon/cfg_print.o \
	     $(B)/daemon/cfg_pyfmt.o $(B)/daemon/cfg_unicode.o
CFG_INTERP_OBJ = $(B)/daemon/cfg_interp.o $(B)/daemon/cfg_eval.o \
	     $(B)/daemon/cfg_grammar.o $(B)/daemon/cfg_resolvers.o
CFG_COMPOSE_OBJ = $(B)/daemon/cfg_compose.o $(B)/daemon/cfg_choices.o \
	     $(B)/daemon/cfg_defaults.o $(B)/daemon/cfg_override.o
CFG_OBJ    = $(CFG_TREE_OBJ) $(CFG_INTERP_OBJ) $(CFG_COMPOSE_OBJ)
CONFIG_OBJ = $(CFG_OBJ) $(B)/daemon/config.o $(B)/daemon/layout.o \
	     $(B)/daemon/log.o $(B)/daemon/access.o
INDEX_OBJ  = $(B)/daemon/index.o $(B)/daemon/index_wd.o $(B)/daemon/index_pass.o $(B)/daemon/scan.o $(B)/daemon/tally.o \
	     $(B)/daemon/watch.o $(B)/daemon/watch_reconcile.o $(B)/daemon/rescan.o $(B)/daemon/dirty.o
DAEMON_OBJ = $(B)/daemon/main.o $(B)/daemon/server.o \
	     $(B)/daemon/server_accept.o $(B)/daemon/rpc.o \
	     $(B)/daemon/rpc_cache.o $(B)/daemon/rpc_status.o \
	     $(INDEX_OBJ) $(B)/daemon/remove.o $(B)/daemon/trash.o \
	     $(B)/daemon/policy.o $(B)/daemon/asked.o $(B)/daemon/job.o \
	     $(B)/daemon/disk.o \
	     $(B)/daemon/alert.o \
	     $(B)/daemon/fsutil.o $(B)/daemon/perm.o $(B)/daemon/lock.o $(B)/daemon/fdlimit.o $(B)/daemon/events.o $(B)/daemon/stats.o \
	     $(B)/daemon/metrics.o $(B)/daemon/textfile.o \
	     $(B)/daemon/notify.o $(B)/daemon/activation.o \
	     $(B)/daemon/early.o $(B)/daemon/reload.o $(B)/daemon/measure.o $(B)/daemon/config_rpc.o \
	     $(CONFIG_OBJ) $(PROTO_OBJ)
CLIENT_OBJ = $(B)/client/hyco.o $(B)/client/value.o $(B)/client/decode.o \
	     $(B)/client/calls.o $(PROTO_OBJ)
CTL_OBJ    = $(B)/client/hycoctl.o $(B)/client/ctl_report.o \
	     $(B)/client/ctl_tree.o $(B)/client/ctl_daemon.o \
	     $(B)/client/ctl_watch.o $(B)/client/json.o $(B)/client/check.o \
	     $(B)/client/format.o $(B)/client/refresh.o \
	     $(B)/client/owner.o $(B)/daemon/lock.o $(B)/client/config_yaml.o \
	     $(CONFIG_OBJ)

UNIT_TESTS = test_layout test_cfg_tree test_cfg_type test_cfg_pyfmt \
	     test_cfg_compose \
	     test_cfg_interp test_config test_proto test_index \
	     test_scan test_remove test_json test_decode test_disk \
	     test_events test_stats test_access test_lock test_frame \
	     test_asked test_hyco_reply test_server
UNIT_BINS  = $(addprefix $(B)/tests/,$(UNIT_TESTS))

all: $(BIN)/hycod $(BIN)/hycoctl $(LIB)/libhyco.a $(LIB)/$(SOFILE) \
     $(LIB)/libhyco.so

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all installed"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "deps: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$$missing; \
	else \
	  echo "deps: missing packages; run as root:"; \
	  echo "  apt-get install -y$$missing"; exit 1; \
	fi

$(B)/%.o: %.c | deps
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BIN)/hycod: $(DAEMON_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(SYSTEMD_LIBS) $(LDLIBS)

$(BIN)/hycoctl: $(CTL_OBJ) $(LIB)/libhyco.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(CTL_OBJ) $(LIB)/libhyco.a $(PKG_LIBS) $(LDLIBS)

# libhyco as one object in which only hyco_* stays global: the rpc_*
# helpers it shares with hycod and its hyco__* internals are localized,
# so neither lib/libhyco.a nor lib/libhyco.so lends a program its names.
$(B)/client/libhyco.o: $(CLIENT_OBJ)
	ld -r -o $@.tmp $^
	objcopy -w --keep-global-symbol='hyco_*' --localize-symbol='hyco__*' $@.tmp $@
	rm -f $@.tmp

$(LIB)/libhyco.a: $(B)/client/libhyco.o
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(LIB)/$(SOFILE): $(B)/client/libhyco.o client/libhyco.map
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) \
	    -Wl,--version-script=client/libhyco.map -Wl,--no-undefined \
	    -o $@ $< $(shell pkg-config --libs msgpack 2>/dev/null)

# The soname link the loader looks for, and the development link -lhyco
# finds; both relative, so lib/ can be copied or installed as it is.
$(LIB)/libhyco.so: $(LIB)/$(SOFILE) Makefile
	ln -sf $(SOFILE) $(LIB)/$(SONAME)
	ln -sf $(SONAME) $@

# Unit tests: each links its module and what that module needs.
$(B)/tests/test_layout: $(B)/tests/test_layout.o $(B)/daemon/layout.o
$(B)/tests/test_cfg_tree: $(B)/tests/test_cfg_tree.o $(CFG_TREE_OBJ)
$(B)/tests/test_cfg_type: $(B)/tests/test_cfg_type.o $(CFG_TREE_OBJ)
$(B)/tests/test_cfg_pyfmt: $(B)/tests/test_cfg_pyfmt.o $(CFG_TREE_OBJ)
$(B)/tests/test_cfg_compose: $(B)/tests/test_cfg_compose.o \
	$(CFG_COMPOSE_OBJ) $(CFG_INTERP_OBJ) $(CFG_TREE_OBJ)
$(B)/tests/test_cfg_compose: LDFLAGS += -Wl,--wrap=fopen
$(B)/tests/test_cfg_interp: $(B)/tests/test_cfg_interp.o \
	$(CFG_INTERP_OBJ) $(CFG_TREE_OBJ)
$(B)/tests/test_config: $(B)/tests/test_config.o $(CONFIG_OBJ)
$(B)/tests/test_access: $(B)/tests/test_access.o $(CONFIG_OBJ)
$(B)/tests/test_lock: $(B)/tests/test_lock.o $(B)/daemon/lock.o \
	$(B)/daemon/layout.o $(B)/daemon/log.o
$(B)/tests/test_proto: $(B)/tests/test_proto.o $(PROTO_OBJ)
$(B)/tests/test_frame: $(B)/tests/test_frame.o $(PROTO_OBJ)
$(B)/tests/test_asked: $(B)/tests/test_asked.o $(B)/daemon/asked.o
$(B)/tests/test_hyco_reply: $(B)/tests/test_hyco_reply.o $(CLIENT_OBJ)
$(B)/tests/test_hyco_reply: LDLIBS += -lpthread
$(B)/tests/test_scan: $(B)/tests/test_scan.o $(B)/daemon/scan.o \
	$(B)/daemon/index.o $(B)/daemon/index_wd.o $(B)/daemon/index_pass.o $(B)/daemon/tally.o \
	$(B)/daemon/layout.o \
	$(B)/daemon/log.o
$(B)/tests/test_index: $(B)/tests/test_index.o $(B)/daemon/index.o \
	$(B)/daemon/index_wd.o $(B)/daemon/index_pass.o
$(B)/tests/test_remove: $(B)/tests/test_remove.o $(B)/daemon/remove.o \
	$(B)/daemon/perm.o
$(B)/tests/test_disk: $(B)/tests/test_disk.o $(B)/daemon/disk.o \
	$(B)/daemon/alert.o $(B)/daemon/fsutil.o $(B)/daemon/perm.o \
	$(CONFIG_OBJ)
# events.c against a stand-in server: the test defines the conn_* calls.
$(B)/tests/test_events: $(B)/tests/test_events.o $(B)/daemon/events.o \
	$(B)/daemon/layout.o $(B)/daemon/log.o $(PROTO_OBJ)
$(B)/tests/test_stats: $(B)/tests/test_stats.o $(B)/daemon/stats.o \
	$(B)/daemon/events.o $(B)/daemon/server.o $(B)/daemon/layout.o \
	$(B)/daemon/log.o $(PROTO_OBJ)
$(B)/tests/test_server: $(B)/tests/test_server.o $(B)/daemon/server.o \
	$(B)/daemon/server_accept.o $(B)/daemon/log.o $(PROTO_OBJ)
$(B)/tests/test_json: $(B)/tests/test_json.o $(B)/client/json.o \
	$(B)/client/value.o
# The decoder with a stand-in hyco_call that hands it the test's replies.
$(B)/tests/test_decode: $(B)/tests/test_decode.o $(B)/client/decode.o \
	$(B)/client/value.o $(B)/client/hyco.o $(PROTO_OBJ)
$(B)/tests/test_decode: LDFLAGS += -Wl,--wrap=hyco_call
# The raw-socket cases speak msgpack-RPC through proto.o itself: the
# library keeps its copy of it to itself.
$(B)/tests/test_integration: $(B)/tests/integration.o \
	$(B)/tests/test_integration.o $(B)/tests/test_integration_conn.o \
	$(B)/tests/test_integration_obs.o $(B)/tests/test_integration_hot.o \
	$(LIB)/libhyco.a $(PROTO_OBJ)
$(B)/tests/test_integration: LDLIBS += -lpthread

# Preloaded into hycod by tests/allocs.py to count its allocations:
# built without the sanitizers, whose allocator will not be preempted.
$(B)/tests/alloc_count.so: tests/alloc_count.c | deps
	@mkdir -p $(@D)
	$(CC) -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -fPIC -shared \
	    -o $@ $<

# hycod with statvfs, uv_queue_work and calloc failing on a test's
# command (tests/fault.c, tests/fault.py): the internal and io_error
# paths, reached for real.
$(B)/tests/hycod-fault: $(DAEMON_OBJ) $(B)/tests/fault.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -Wl,--wrap=statvfs,--wrap=uv_queue_work,--wrap=calloc \
	    -o $@ $^ $(PKG_LIBS) $(SYSTEMD_LIBS) $(LDLIBS)

$(UNIT_BINS) $(B)/tests/test_integration: %: %.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS) $(LDLIBS)

TEST_ENV = HYCOD=$(abspath $(BIN)/hycod) HYCOCTL=$(abspath $(BIN)/hycoctl) \
	   TOP=$(CURDIR)
# The integration cases to run (all by default) and in which order; set -f
# keeps the shell from expanding T's patterns into file names.
INTEGRATION = set -f; $(TEST_ENV) $(B)/tests/test_integration \
	      $(if $(SHUFFLE),-s $(SHUFFLE)) $(T)

check: all dist $(UNIT_BINS) $(B)/tests/test_integration \
	$(B)/tests/hycod-fault $(B)/bench/loadgen $(B)/tests/alloc_count.so
ifneq ($(T),)
	@echo "== integration: $(T) only"; $(INTEGRATION)
else
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done
	@echo "== fuzz targets: seeds and reproducers"; $(FUZZ_REPLAY)
	@echo "== golden config tests"; $(TEST_ENV) sh tests/config_golden.sh
	@echo "== Hydra project layouts"; $(TEST_ENV) /usr/bin/python3 tests/config/hydra/check.py
	@echo "== Hydra's own defaults-list cases"; \
	    $(TEST_ENV) /usr/bin/python3 tests/config/hydra_defaults/check.py
	@echo "== --print-config against OmegaConf, 1000 random configs"; \
	    $(TEST_ENV) /usr/bin/python3 tests/omegaconf_diff.py --seed 1 \
	    --count 1000 --examples 3
	@echo "== --print-config against OmegaConf, edge cases"; \
	    $(TEST_ENV) /usr/bin/python3 tests/omegaconf_cases.py
	@echo "== integration"; $(INTEGRATION)
	@echo "== libhyco: exports, old API, shared library"; $(TEST_ENV) \
	    LIB=$(LIB) CC='$(CC)' CFLAGS='$(CFLAGS)' LDFLAGS='$(LDFLAGS)' \
	    HYCO_ABI_VERSION=$(HYCO_ABI_VERSION) sh tests/libhyco.sh
	@echo "== libhyco: the ABI as client/libhyco.abi records it"; \
	    $(TEST_ENV) LIB=$(LIB) CC='$(CC)' \
	    HYCO_ABI_VERSION=$(HYCO_ABI_VERSION) sh tests/abi.sh
	@echo "== install: files, pkg-config, man pages, units, uninstall"; \
	    $(TEST_ENV) MAKE='$(MAKE)' CC='$(CC)' CFLAGS='$(CFLAGS)' \
	    LDFLAGS='$(LDFLAGS)' HYCO_ABI_VERSION=$(HYCO_ABI_VERSION) \
	    sh tests/install.sh
	@echo "== two users: a trainer's files removed under the unit's credentials"; \
	    $(TEST_ENV) sh tests/two_users.sh
	@echo "== hycoctl"; $(TEST_ENV) sh tests/hycoctl.sh
	@echo "== hycoctl: every reply field checked, JSON always valid"; \
	    $(TEST_ENV) /usr/bin/python3 tests/hycoctl_replies.py
	@echo "== wire format (python3-msgpack)"; $(TEST_ENV) /usr/bin/python3 tests/wire.py
	@echo "== live events"; $(TEST_ENV) /usr/bin/python3 tests/events.py
	@echo "== metrics: summary and stats, promtool, node_exporter, rules"; \
	    $(TEST_ENV) /usr/bin/python3 tests/metrics.py
	@echo "== churn"; $(TEST_ENV) /usr/bin/python3 tests/churn.py --seed 1 --ops 2000
	@echo "== churn, queue overflow"; $(TEST_ENV) /usr/bin/python3 tests/churn.py --seed 2 --ops 1000 --overflow
	@echo "== churn, watch limit"; $(TEST_ENV) /usr/bin/python3 tests/churn.py --seed 3 --ops 1000 --max-watches 40
	@echo "== one daemon per tree"; $(TEST_ENV) /usr/bin/python3 tests/lock.py
	@echo "== access control, real users (root)"; $(TEST_ENV) /usr/bin/python3 tests/access.py
	@echo "== removal: escapes, SIGKILL"; $(TEST_ENV) /usr/bin/python3 tests/removal.py
	@echo "== bounded input and work: bombs, trickles, job limits"; $(TEST_ENV) /usr/bin/python3 tests/bounds.py
	@echo "== no allocation per request once warm"; $(TEST_ENV) \
	    SANITIZE=$(SANITIZE) ALLOC_COUNT=$(abspath $(B)/tests/alloc_count.so) \
	    /usr/bin/python3 tests/allocs.py
	@echo "== busy polling: only while requests come close together"; \
	    $(TEST_ENV) /usr/bin/python3 tests/busypoll.py
	@echo "== faults: internal and io_error"; $(TEST_ENV) \
	    HYCOD_FAULT=$(abspath $(B)/tests/hycod-fault) /usr/bin/python3 tests/fault.py
	@echo "== RLIMIT_NOFILE at start-up"; $(TEST_ENV) /usr/bin/python3 tests/fdlimit.py
	@echo "== SIGTERM during removals"; $(TEST_ENV) /usr/bin/python3 tests/shutdown.py
	@echo "== retention and watermarks (tmpfs)"; $(TEST_ENV) /usr/bin/python3 tests/policy.py
	@echo "== disk alerts, hook, check (tmpfs)"; $(TEST_ENV) /usr/bin/python3 tests/alerts.py
	@echo "== Python client (client/python)"; $(TEST_ENV) /usr/bin/python3 tests/python/run.py
	@echo "== serving during the start-up scan (a big tree)"; $(TEST_ENV) /usr/bin/python3 tests/startup.py
	@echo "== systemd: activation, notify, watchdog, reload, journal"; $(TEST_ENV) /usr/bin/python3 tests/service.py
	@echo "check: all passed"
endif

# A million churn operations, with a tiny kernel queue where root may set
# it; then LOAD_S seconds of 1000 well-behaved and 50 hostile clients.
LOAD_S ?= 60
check-long: all
	$(TEST_ENV) /usr/bin/python3 tests/churn.py --seed 7 --writers 4 --ops 250000
	$(TEST_ENV) /usr/bin/python3 tests/churn.py --seed 8 --writers 4 --ops 50000 --overflow
	if [ -w /proc/sys/fs/inotify/max_queued_events ]; then \
	  $(TEST_ENV) /usr/bin/python3 tests/churn.py --seed 9 --ops 50000 --queue 256; fi
	$(TEST_ENV) LOAD_S=$(LOAD_S) /usr/bin/python3 bench/load.py
	$(MAKE) valgrind

# valgrind 3.19 cannot read clang 14's DWARF 5, and ASan cannot run
# under it: a plain gcc build of its own, whatever CC and SANITIZE say.
VG_B = build/vg
valgrind: deps
	$(MAKE) CC=gcc SANITIZE= B=$(VG_B) BIN=$(VG_B)/bin LIB=$(VG_B)/lib \
	    $(VG_B)/bin/hycod
	HYCOD=$(abspath $(VG_B)/bin/hycod) TOP=$(CURDIR) \
	    /usr/bin/python3 tests/valgrind.py

# hycod --print-config against OmegaConf on more random configs than
# check runs (issue 8): SEEDS and COUNT per seed; one repro per class of
# disagreement.
SEEDS	?= 1 2 3 4 5 6 7 8 9 10
COUNT	?= 1000
check-omegaconf: $(BIN)/hycod
	@set -e; for s in $(SEEDS); do $(TEST_ENV) /usr/bin/python3 \
	    tests/omegaconf_diff.py --seed $$s --count $(COUNT) --examples 1; \
	done

run: all
	$(BIN)/hycod -c conf/config.yaml

# The load client (bench/load.sh); check builds it too, so that it keeps
# compiling under both compilers.
$(B)/bench/loadgen: bench/loadgen.c | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

bench: all $(B)/bench/loadgen
	$(TEST_ENV) LOADGEN=$(abspath $(B)/bench/loadgen) sh bench/run.sh

# -- install -------------------------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=], make uninstall (the same
# variables). Units, sysusers.d and tmpfiles.d snippets go under
# PREFIX/lib, where systemd looks for /usr/local and /usr alike (set
# UNITDIR and the others for another PREFIX); /etc, /var and /run stay
# the system's. The Python package goes where /usr/bin/python3 finds it
# for PREFIX: Debian's dist-packages.
PREFIX	?= /usr/local
BINDIR	 = $(PREFIX)/bin
SBINDIR	 = $(PREFIX)/sbin
LIBDIR	 = $(PREFIX)/lib
INCLUDEDIR = $(PREFIX)/include
PKGCONFIGDIR = $(LIBDIR)/pkgconfig
MANDIR	 = $(PREFIX)/share/man
UNITDIR	 = $(PREFIX)/lib/systemd/system
SYSUSERSDIR = $(PREFIX)/lib/sysusers.d
TMPFILESDIR = $(PREFIX)/lib/tmpfiles.d
SYSCONFDIR = /etc
CACHEDIR = /var/cache/hyco
RUNDIR	 = /run/hycod
PYTHON	 = /usr/bin/python3
PYVERSION = $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
PYTHONDIR = $(if $(filter /usr,$(PREFIX)),/usr/lib/python3/dist-packages,$(PREFIX)/lib/python$(PYVERSION)/dist-packages)
INSTALL	 = install

# What make install copies that make builds from a template: units,
# snippets, hyco.pc, the man pages and /etc/hyco/config.yaml.
DIST	 = build/dist
DIST_FILES = $(DIST)/hycod.service $(DIST)/hycod.socket \
	     $(DIST)/hyco.sysusers $(DIST)/hyco.tmpfiles $(DIST)/hyco.pc \
	     $(DIST)/config.yaml $(DIST)/hycod.8 $(DIST)/hycoctl.1 \
	     $(DIST)/hyco.yaml.5
# Every @NAME@ of the templates.
SUBST	 = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
	   -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	   -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	   -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@CACHEDIR@|$(CACHEDIR)|g' \
	   -e 's|@RUNDIR@|$(RUNDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	   -e 's|@HYCO_ABI_VERSION@|$(HYCO_ABI_VERSION)|g'

dist: $(DIST_FILES)

# Rewritten only when a path or version changes, so that the templates
# are filled in again exactly then.
$(DIST)/paths: FORCE
	@mkdir -p $(@D)
	@echo "$(SUBST)" >$@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

$(DIST)/%: systemd/%.in $(DIST)/paths
	$(SUBST) $< >$@.tmp && mv $@.tmp $@
$(DIST)/%: man/%.in $(DIST)/paths
	$(SUBST) $< >$@.tmp && mv $@.tmp $@
$(DIST)/hyco.pc: client/hyco.pc.in $(DIST)/paths daemon/hycod.h
	$(SUBST) $< >$@.tmp && mv $@.tmp $@
# hyco.yaml(5)'s key list is hycod's own table (hycod --print-keys).
$(DIST)/hyco.yaml.5: man/hyco.yaml.5.in man/keys.awk $(BIN)/hycod $(DIST)/paths
	$(BIN)/hycod --print-keys | awk -f man/keys.awk >$@.keys
	$(SUBST) $< | sed -e '/^\.\\" @KEYS@$$/{r $@.keys' -e 'd}' >$@.tmp
	rm -f $@.keys && mv $@.tmp $@
# The seed's config with the service's cache root and socket; make fails
# if conf/config.yaml no longer has the lines it changes.
$(DIST)/config.yaml: conf/config.yaml $(DIST)/paths
	sed -e '1s|^# conf/config.yaml.*|# $(SYSCONFDIR)/hyco/config.yaml: conf/config.yaml for the service|' \
	    -e 's|^  cache_root: .*|  cache_root: "$(CACHEDIR)"|' \
	    -e 's|^  socket: .*|  socket: "$(RUNDIR)/hycod.sock"|' $< >$@.tmp
	grep -q '^  cache_root: "$(CACHEDIR)"$$' $@.tmp
	grep -q '^  socket: "$(RUNDIR)/hycod.sock"$$' $@.tmp
	mv $@.tmp $@

install: all $(DIST_FILES)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
	    $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
	    $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	    $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(SYSCONFDIR)/hyco
	$(INSTALL) -m 0755 $(BIN)/hycod $(DESTDIR)$(SBINDIR)/hycod
	$(INSTALL) -m 0755 $(BIN)/hycoctl $(DESTDIR)$(BINDIR)/hycoctl
	$(INSTALL) -m 0644 $(LIB)/$(SOFILE) $(DESTDIR)$(LIBDIR)/$(SOFILE)
	ln -sf $(SOFILE) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libhyco.so
	$(INSTALL) -m 0644 $(LIB)/libhyco.a $(DESTDIR)$(LIBDIR)/libhyco.a
	$(INSTALL) -m 0644 client/hyco.h $(DESTDIR)$(INCLUDEDIR)/hyco.h
	$(INSTALL) -m 0644 $(DIST)/hyco.pc $(DESTDIR)$(PKGCONFIGDIR)/hyco.pc
	$(INSTALL) -m 0644 $(DIST)/hycoctl.1 $(DESTDIR)$(MANDIR)/man1/hycoctl.1
	$(INSTALL) -m 0644 $(DIST)/hyco.yaml.5 $(DESTDIR)$(MANDIR)/man5/hyco.yaml.5
	$(INSTALL) -m 0644 $(DIST)/hycod.8 $(DESTDIR)$(MANDIR)/man8/hycod.8
	$(INSTALL) -m 0644 $(DIST)/hycod.service $(DIST)/hycod.socket \
	    $(DESTDIR)$(UNITDIR)
	$(INSTALL) -m 0644 $(DIST)/hyco.sysusers $(DESTDIR)$(SYSUSERSDIR)/hyco.conf
	$(INSTALL) -m 0644 $(DIST)/hyco.tmpfiles $(DESTDIR)$(TMPFILESDIR)/hyco.conf
	@# An operator's config is theirs: never overwritten.
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/hyco/config.yaml ]; then \
	  echo "install: kept $(DESTDIR)$(SYSCONFDIR)/hyco/config.yaml;" \
	       "the new default is $(DIST)/config.yaml"; \
	else \
	  echo "$(INSTALL) -m 0644 $(DIST)/config.yaml $(DESTDIR)$(SYSCONFDIR)/hyco/config.yaml"; \
	  $(INSTALL) -m 0644 $(DIST)/config.yaml $(DESTDIR)$(SYSCONFDIR)/hyco/config.yaml; \
	fi
	@# The Python package, once client/python/hyco exists.
	@if [ -d client/python/hyco ]; then \
	  for f in $$(cd client/python && find hyco -name __pycache__ -prune -o \
	      -type f \( -name '*.py' -o -name py.typed \) -print | sort); do \
	    echo "$(INSTALL) -D -m 0644 client/python/$$f $(DESTDIR)$(PYTHONDIR)/$$f"; \
	    $(INSTALL) -D -m 0644 client/python/$$f $(DESTDIR)$(PYTHONDIR)/$$f || exit 1; \
	  done; \
	fi
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
	  echo ldconfig; ldconfig; \
	  echo "install: next, as root: systemd-sysusers; systemd-tmpfiles --create;" \
	       "systemctl daemon-reload; systemctl enable --now hycod.socket hycod.service"; \
	fi

# Removes what make install copied. /etc/hyco/config.yaml goes only when
# it is the default this build installs, unchanged: an operator's edits
# stay.
uninstall: $(DIST)/config.yaml
	rm -f $(DESTDIR)$(SBINDIR)/hycod $(DESTDIR)$(BINDIR)/hycoctl \
	    $(DESTDIR)$(LIBDIR)/$(SOFILE) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	    $(DESTDIR)$(LIBDIR)/libhyco.so $(DESTDIR)$(LIBDIR)/libhyco.a \
	    $(DESTDIR)$(INCLUDEDIR)/hyco.h $(DESTDIR)$(PKGCONFIGDIR)/hyco.pc \
	    $(DESTDIR)$(MANDIR)/man1/hycoctl.1 \
	    $(DESTDIR)$(MANDIR)/man5/hyco.yaml.5 \
	    $(DESTDIR)$(MANDIR)/man8/hycod.8 \
	    $(DESTDIR)$(UNITDIR)/hycod.service $(DESTDIR)$(UNITDIR)/hycod.socket \
	    $(DESTDIR)$(SYSUSERSDIR)/hyco.conf $(DESTDIR)$(TMPFILESDIR)/hyco.conf
	rm -rf $(DESTDIR)$(PYTHONDIR)/hyco
	@conf=$(DESTDIR)$(SYSCONFDIR)/hyco/config.yaml; \
	if cmp -s $(DIST)/config.yaml $$conf; then \
	  echo "rm -f $$conf"; rm -f $$conf; \
	  rmdir $(DESTDIR)$(SYSCONFDIR)/hyco 2>/dev/null || true; \
	elif [ -e $$conf ]; then \
	  echo "uninstall: kept $$conf: it is not the default this build installs"; \
	fi
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
	  echo ldconfig; ldconfig; \
	fi

# Record libhyco's ABI for HYCO_ABI_VERSION (refused unless it was raised).
abi: $(LIB)/libhyco.so
	TOP=$(CURDIR) LIB=$(LIB) CC='$(CC)' \
	    HYCO_ABI_VERSION=$(HYCO_ABI_VERSION) sh tests/abi.sh --update

clean:
	rm -rf build bin lib

FORCE:

include tests/fuzz/fuzz.mk

-include $(shell find build -name '*.d' -type f 2>/dev/null)

.PHONY: all deps check check-long check-omegaconf valgrind run bench clean dist install uninstall abi \
	FORCE
.SECONDARY:
