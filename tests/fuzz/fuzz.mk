# tests/fuzz/fuzz.mk: libFuzzer targets; included by the Makefile after
# its object lists.
#
# A target NAME is tests/fuzz/NAME.c defining LLVMFuzzerTestOneInput.
# Adding NAME to FUZZ_TARGETS is all it takes: it is then
#   - built as build/fuzz/NAME with clang, -fsanitize=fuzzer,address,
#     undefined (its objects in build/fuzz/, apart from the normal build);
#   - run by `make fuzz FUZZ_S=seconds` (tests/fuzz/run.sh), its seeds
#     read from tests/fuzz/corpus/NAME/ and what it finds kept in
#     build/fuzz/corpus/NAME/; a crash, leak or timeout is copied to
#     tests/fuzz/regress/NAME/ and fails the run;
#   - replayed by `make check`: build/.../tests/fuzz/NAME-replay (the same
#     NAME.c with tests/fuzz/replay.c, $(CC) and $(CFLAGS), ASan/UBSan
#     under SANITIZE=1) runs every file of tests/fuzz/corpus/NAME/ and
#     tests/fuzz/regress/NAME/.
# Every object of hycod but main.o, of libhyco and hycoctl's json.o is in
# one archive, so a target links whatever it calls, and a stand-in it
# defines itself wins over the archive's. Optional, per target:
#   NAME_LDFLAGS   link flags, e.g. -Wl,--wrap=fopen (fuzzer and replay)
#   NAME_MAXLEN    libFuzzer's -max_len (default FUZZ_MAXLEN)
#   tests/fuzz/NAME.dict   a libFuzzer dictionary, used when present

FUZZ_TARGETS += fuzz_config fuzz_index fuzz_reply fuzz_request

# Seconds per target; -max_len by default; seconds and MB one input
# may take (a single malloc over FUZZ_RSS_MB fails it too).
FUZZ_S		 = 60
FUZZ_MAXLEN	 = 4096
FUZZ_TIMEOUT	 = 10
FUZZ_RSS_MB	 = 2048
FUZZ_CC		 = clang
FB		 = build/fuzz
FUZZ_SAN	 = -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
FUZZ_CFLAGS	 = -O1 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
		   $(FUZZ_SAN) -fsanitize=fuzzer-no-link

fuzz_config_LDFLAGS = -Wl,--wrap=fopen
fuzz_config_MAXLEN  = 8192
fuzz_index_MAXLEN   = 2048
fuzz_reply_LDFLAGS  = -Wl,--wrap=socket,--wrap=connect,--wrap=send \
		      -Wl,--wrap=recv,--wrap=poll
fuzz_reply_MAXLEN   = 16384

FUZZ_LIB_SRC = $(filter-out %/main.o %/hycoctl.o,\
	       $(sort $(DAEMON_OBJ) $(CLIENT_OBJ) $(CTL_OBJ)))
FUZZ_BINS    = $(addprefix $(FB)/,$(FUZZ_TARGETS))
FUZZ_REPLAYS = $(addprefix $(B)/tests/fuzz/,$(addsuffix -replay,$(FUZZ_TARGETS)))

$(FB)/%.o: %.c | deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FB)/libfuzz.a: $(patsubst $(B)/%,$(FB)/%,$(FUZZ_LIB_SRC))
	rm -f $@ && ar rcs $@ $^

$(B)/tests/fuzz/libreplay.a: $(FUZZ_LIB_SRC)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

define FUZZ_TARGET
$(FB)/$(1): $(FB)/tests/fuzz/$(1).o $(FB)/libfuzz.a
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $$($(1)_LDFLAGS) -o $$@ $$^ \
	    $(PKG_LIBS) $(SYSTEMD_LIBS) $(LDLIBS)
$(B)/tests/fuzz/$(1)-replay: $(B)/tests/fuzz/$(1).o $(B)/tests/fuzz/replay.o \
	$(B)/tests/fuzz/libreplay.a
	$(CC) $(LDFLAGS) $$($(1)_LDFLAGS) -o $$@ $$^ $(PKG_LIBS) \
	    $(SYSTEMD_LIBS) $(LDLIBS)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_TARGET,$(t))))

# make check: every seed and reproducer of every target, once.
check: $(FUZZ_REPLAYS)
FUZZ_REPLAY = set -e; for t in $(FUZZ_TARGETS); do \
	r=tests/fuzz/regress/$$t; [ -d $$r ] || r=; \
	$(B)/tests/fuzz/$$t-replay tests/fuzz/corpus/$$t $$r; done

fuzz: $(FUZZ_BINS)
	sh tests/fuzz/run.sh $(FB) $(FUZZ_S) $(FUZZ_TIMEOUT) $(FUZZ_RSS_MB) \
	    $(foreach t,$(FUZZ_TARGETS),$(t):$(or $($(t)_MAXLEN),$(FUZZ_MAXLEN)))

.PHONY: fuzz
