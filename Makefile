# hyco: hycod (daemon), hycoctl (CLI), libhyco (client library).
#
#   make            build bin/hycod bin/hycoctl lib/libhyco.{a,so}
#   make deps       install the Debian packages this needs (as root)
#   make check      unit + integration tests   (SANITIZE=1: ASan+UBSan)
#   make check T='ping cycle_dir*'   only the integration cases named
#                   (fnmatch patterns); SHUFFLE=SEED: in a shuffled order
#   make check-long a million churn operations (minutes)
#   make check-omegaconf  hycod --print-config against OmegaConf, longer
#                   than check does (SEEDS='1 2 3' COUNT=5000)
#   make run        start hycod on conf/config.yaml, cache under ./cache
#   make bench      benchmarks (bench/)
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
	   python3-msgpack python3-yaml python3-omegaconf valgrind patch

# Flags come from pkg-config once deps are in; until then keep make quiet.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
CPPFLAGS += $(PKG_CFLAGS)

PROTO_OBJ  = $(B)/protocol/proto.o
CFG_TREE_OBJ = $(B)/daemon/cfg_tree.o $(B)/daemon/cfg_type.o \
	     $(B)/daemon/cfg_parse.o $(B)/daemon/cfg_print.o \
	     $(B)/daemon/cfg_pyfmt.o $(B)/daemon/cfg_unicode.o
CFG_INTERP_OBJ = $(B)/daemon/cfg_interp.o $(B)/daemon/cfg_eval.o \
	     $(B)/daemon/cfg_grammar.o $(B)/daemon/cfg_resolvers.o
CFG_COMPOSE_OBJ = $(B)/daemon/cfg_compose.o $(B)/daemon/cfg_choices.o \
	     $(B)/daemon/cfg_defaults.o $(B)/daemon/cfg_override.o
CFG_OBJ    = $(CFG_TREE_OBJ) $(CFG_INTERP_OBJ) $(CFG_COMPOSE_OBJ)
CONFIG_OBJ = $(CFG_OBJ) $(B)/daemon/config.o $(B)/daemon/layout.o \
	     $(B)/daemon/log.o
INDEX_OBJ  = $(B)/daemon/index.o $(B)/daemon/scan.o $(B)/daemon/tally.o \
	     $(B)/daemon/watch.o $(B)/daemon/rescan.o $(B)/daemon/dirty.o
DAEMON_OBJ = $(B)/daemon/main.o $(B)/daemon/server.o $(B)/daemon/rpc.o \
	     $(INDEX_OBJ) $(B)/daemon/remove.o $(B)/daemon/trash.o \
	     $(B)/daemon/policy.o $(B)/daemon/job.o \
	     $(B)/daemon/fsutil.o $(B)/daemon/config_rpc.o \
	     $(CONFIG_OBJ) $(PROTO_OBJ)
CLIENT_OBJ = $(B)/client/hyco.o $(B)/client/value.o $(B)/client/decode.o \
	     $(B)/client/calls.o $(PROTO_OBJ)
CTL_OBJ    = $(B)/client/hycoctl.o $(B)/client/json.o \
	     $(B)/client/config_yaml.o $(CONFIG_OBJ)

UNIT_TESTS = test_layout test_cfg_tree test_cfg_type test_cfg_pyfmt \
	     test_cfg_compose test_cfg_interp test_config test_proto test_index \
	     test_scan test_remove test_json test_decode
UNIT_BINS  = $(addprefix $(B)/tests/,$(UNIT_TESTS))

all: $(BIN)/hycod $(BIN)/hycoctl $(LIB)/libhyco.a $(LIB)/libhyco.so

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
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

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

$(LIB)/libhyco.so: $(B)/client/libhyco.o client/libhyco.map
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libhyco.so.0 \
	    -Wl,--version-script=client/libhyco.map -Wl,--no-undefined \
	    -o $@ $< $(shell pkg-config --libs msgpack 2>/dev/null)
	ln -sf libhyco.so $(LIB)/libhyco.so.0

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
$(B)/tests/test_proto: $(B)/tests/test_proto.o $(PROTO_OBJ)
$(B)/tests/test_scan: $(B)/tests/test_scan.o $(B)/daemon/scan.o \
	$(B)/daemon/index.o $(B)/daemon/tally.o $(B)/daemon/layout.o \
	$(B)/daemon/log.o
$(B)/tests/test_index: $(B)/tests/test_index.o $(B)/daemon/index.o
$(B)/tests/test_remove: $(B)/tests/test_remove.o $(B)/daemon/remove.o
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
	$(LIB)/libhyco.a $(PROTO_OBJ)
$(B)/tests/test_integration: LDLIBS += -lpthread

$(UNIT_BINS) $(B)/tests/test_integration: %: %.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS) $(LDLIBS)

TEST_ENV = HYCOD=$(abspath $(BIN)/hycod) HYCOCTL=$(abspath $(BIN)/hycoctl) \
	   TOP=$(CURDIR)
# The integration cases to run (all by default) and in which order; set -f
# keeps the shell from expanding T's patterns into file names.
INTEGRATION = set -f; $(TEST_ENV) $(B)/tests/test_integration \
	      $(if $(SHUFFLE),-s $(SHUFFLE)) $(T)

check: all $(UNIT_BINS) $(B)/tests/test_integration
ifneq ($(T),)
	@echo "== integration: $(T) only"; $(INTEGRATION)
else
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done
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
	    sh tests/libhyco.sh
	@echo "== hycoctl"; $(TEST_ENV) sh tests/hycoctl.sh
	@echo "== hycoctl: every reply field checked, JSON always valid"; \
	    $(TEST_ENV) /usr/bin/python3 tests/hycoctl_replies.py
	@echo "== wire format (python3-msgpack)"; $(TEST_ENV) /usr/bin/python3 tests/wire.py
	@echo "== churn"; $(TEST_ENV) /usr/bin/python3 tests/churn.py --seed 1 --ops 2000
	@echo "== churn, queue overflow"; $(TEST_ENV) /usr/bin/python3 tests/churn.py --seed 2 --ops 1000 --overflow
	@echo "== churn, watch limit"; $(TEST_ENV) /usr/bin/python3 tests/churn.py --seed 3 --ops 1000 --max-watches 40
	@echo "== removal: escapes, SIGKILL"; $(TEST_ENV) /usr/bin/python3 tests/removal.py
	@echo "== retention and watermarks (tmpfs)"; $(TEST_ENV) /usr/bin/python3 tests/policy.py
	@echo "check: all passed"
endif

# A million churn operations, with a tiny kernel queue where root may set it.
check-long: all
	$(TEST_ENV) /usr/bin/python3 tests/churn.py --seed 7 --writers 4 --ops 250000
	$(TEST_ENV) /usr/bin/python3 tests/churn.py --seed 8 --writers 4 --ops 50000 --overflow
	if [ -w /proc/sys/fs/inotify/max_queued_events ]; then \
	  $(TEST_ENV) /usr/bin/python3 tests/churn.py --seed 9 --ops 50000 --queue 256; fi

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

bench: all
	$(TEST_ENV) sh bench/run.sh

clean:
	rm -rf build bin lib

-include $(shell find build -name '*.d' 2>/dev/null)

.PHONY: all deps check check-long check-omegaconf run bench clean
.SECONDARY:
