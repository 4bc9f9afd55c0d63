# hyco: hycod (daemon), hycoctl (CLI), libhyco (client library).
#
#   make            build bin/hycod bin/hycoctl lib/libhyco.{a,so}
#   make deps       install the Debian packages this needs (as root)
#   make check      unit + integration tests   (SANITIZE=1: ASan+UBSan)
#   make check T='ping cycle_dir*'   only the integration cases named
#                   (fnmatch patterns); SHUFFLE=SEED: in a shuffled order
#   make check-long a million churn operations, then a load run of
#                   1000 clients and 50 hostile ones (LOAD_S=60 seconds)
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

ifeq ($(FUZZ),1)
# libFuzzer targets (make fuzz-request): clang, every object instrumented.
CC	 = clang
B	 = build/fuzz
CFLAGS	+= -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=address,undefined
BIN	 = $(B)/bin
LIB	 = $(B)/lib
else ifeq ($(SANITIZE),1)
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

PROTO_OBJ  = $(B)/protocol/proto.o $(B)/protocol/frame.o
CFG_OBJ    = $(B)/daemon/cfg_tree.o $(B)/daemon/cfg_type.o \
	     $(B)/daemon/cfg_compose.o $(B)/daemon/cfg_interp.o
CONFIG_OBJ = $(CFG_OBJ) $(B)/daemon/config.o $(B)/daemon/layout.o \
	     $(B)/daemon/log.o
INDEX_OBJ  = $(B)/daemon/index.o $(B)/daemon/scan.o $(B)/daemon/tally.o \
	     $(B)/daemon/watch.o $(B)/daemon/rescan.o $(B)/daemon/dirty.o
DAEMON_OBJ = $(B)/daemon/main.o $(B)/daemon/server.o $(B)/daemon/rpc.o \
	     $(INDEX_OBJ) $(B)/daemon/remove.o $(B)/daemon/trash.o \
	     $(B)/daemon/policy.o $(B)/daemon/asked.o $(B)/daemon/job.o \
	     $(B)/daemon/fsutil.o $(B)/daemon/fdlimit.o \
	     $(CONFIG_OBJ) $(PROTO_OBJ)
CLIENT_OBJ = $(B)/client/hyco.o $(B)/client/value.o $(B)/client/decode.o \
	     $(B)/client/calls.o $(PROTO_OBJ)
CTL_OBJ    = $(B)/client/hycoctl.o $(B)/client/json.o $(CONFIG_OBJ)

UNIT_TESTS = test_layout test_cfg_tree test_cfg_type test_cfg_compose \
	     test_cfg_interp test_config test_proto test_index \
	     test_scan test_remove test_json test_decode test_frame \
	     test_asked test_hyco_reply
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
CFG_TREE_OBJ = $(B)/daemon/cfg_tree.o $(B)/daemon/cfg_type.o
$(B)/tests/test_cfg_tree: $(B)/tests/test_cfg_tree.o $(CFG_TREE_OBJ)
$(B)/tests/test_cfg_type: $(B)/tests/test_cfg_type.o $(CFG_TREE_OBJ)
$(B)/tests/test_cfg_compose: $(B)/tests/test_cfg_compose.o \
	$(B)/daemon/cfg_compose.o $(CFG_TREE_OBJ)
$(B)/tests/test_cfg_compose: LDFLAGS += -Wl,--wrap=fopen
$(B)/tests/test_cfg_interp: $(B)/tests/test_cfg_interp.o \
	$(B)/daemon/cfg_interp.o $(CFG_TREE_OBJ)
$(B)/tests/test_config: $(B)/tests/test_config.o $(CONFIG_OBJ)
$(B)/tests/test_proto: $(B)/tests/test_proto.o $(PROTO_OBJ)
$(B)/tests/test_frame: $(B)/tests/test_frame.o $(PROTO_OBJ)
$(B)/tests/test_asked: $(B)/tests/test_asked.o $(B)/daemon/asked.o
$(B)/tests/test_hyco_reply: $(B)/tests/test_hyco_reply.o $(CLIENT_OBJ)
$(B)/tests/test_hyco_reply: LDLIBS += -lpthread
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

# Request framing plus dispatch: the daemon without its socket (a
# stand-in connection in the target) and without main.
FUZZ_REQUEST_OBJ = $(filter-out $(B)/daemon/main.o $(B)/daemon/server.o \
	$(B)/daemon/fdlimit.o,$(DAEMON_OBJ))
FUZZ_TARGETS += fuzz_request
$(B)/fuzz/fuzz_request: $(B)/tests/fuzz/fuzz_request.o $(FUZZ_REQUEST_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) $(LDLIBS)
# The same target with a main() that replays files, for make check.
$(B)/tests/fuzz/fuzz_request-replay: $(B)/tests/fuzz/fuzz_request.o \
	$(B)/tests/fuzz/replay_main.o $(FUZZ_REQUEST_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

# hycod with statvfs, uv_queue_work and calloc failing on a test's
# command (tests/fault.c, tests/fault.py): the internal and io_error
# paths, reached for real.
$(B)/tests/hycod-fault: $(DAEMON_OBJ) $(B)/tests/fault.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -Wl,--wrap=statvfs,--wrap=uv_queue_work,--wrap=calloc \
	    -o $@ $^ $(PKG_LIBS) $(LDLIBS)

$(UNIT_BINS) $(B)/tests/test_integration: %: %.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS) $(LDLIBS)

TEST_ENV = HYCOD=$(abspath $(BIN)/hycod) HYCOCTL=$(abspath $(BIN)/hycoctl) \
	   TOP=$(CURDIR)
# The integration cases to run (all by default) and in which order; set -f
# keeps the shell from expanding T's patterns into file names.
INTEGRATION = set -f; $(TEST_ENV) $(B)/tests/test_integration \
	      $(if $(SHUFFLE),-s $(SHUFFLE)) $(T)

check: all $(UNIT_BINS) $(B)/tests/test_integration $(B)/tests/hycod-fault \
	$(B)/tests/fuzz/fuzz_request-replay
ifneq ($(T),)
	@echo "== integration: $(T) only"; $(INTEGRATION)
else
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done
	@echo "== golden config tests"; $(TEST_ENV) sh tests/config_golden.sh
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
	@echo "== fuzz replay: request (seed corpus, regressions)"; \
	    $(B)/tests/fuzz/fuzz_request-replay tests/fuzz/corpus/fuzz_request \
	    tests/fuzz/regress/fuzz_request
	@echo "== bounded input and work: bombs, trickles, job limits"; $(TEST_ENV) /usr/bin/python3 tests/bounds.py
	@echo "== faults: internal and io_error"; $(TEST_ENV) \
	    HYCOD_FAULT=$(abspath $(B)/tests/hycod-fault) /usr/bin/python3 tests/fault.py
	@echo "== RLIMIT_NOFILE at start-up"; $(TEST_ENV) /usr/bin/python3 tests/fdlimit.py
	@echo "== SIGTERM during removals"; $(TEST_ENV) /usr/bin/python3 tests/shutdown.py
	@echo "== retention and watermarks (tmpfs)"; $(TEST_ENV) /usr/bin/python3 tests/policy.py
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

run: all
	$(BIN)/hycod -c conf/config.yaml

# Fuzz request framing and dispatch for FUZZ_S seconds (default 60),
# from the seed corpus; crashes land in build/fuzz/artifacts/request/
# (keep each, fixed, under tests/fuzz/regress/fuzz_request/).
FUZZ_S ?= 60
fuzz-request:
	$(MAKE) FUZZ=1 build/fuzz/fuzz/fuzz_request
	mkdir -p build/fuzz/corpus/fuzz_request build/fuzz/artifacts/fuzz_request
	build/fuzz/fuzz/fuzz_request -max_total_time=$(FUZZ_S) \
	    -dict=tests/fuzz/fuzz_request.dict -max_len=4096 -timeout=10 \
	    -rss_limit_mb=2048 -artifact_prefix=build/fuzz/artifacts/fuzz_request/ \
	    build/fuzz/corpus/fuzz_request tests/fuzz/corpus/fuzz_request

bench: all
	$(TEST_ENV) sh bench/run.sh

clean:
	rm -rf build bin lib

-include $(shell find build -name '*.d' 2>/dev/null)

.PHONY: all deps check check-long run bench clean fuzz-request
.SECONDARY:
