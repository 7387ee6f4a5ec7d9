# pagestate: trace-replay analyzer for page-state histories.
#
#   make            build ./pagestate
#   make deps       install missing Debian packages (tests/deps)
#   make demo       deps + build + record the bundled workload + replay it
#   make check      deps + build + every test; ends with "N passed, N failed"
#   make mutants    deliberate bugs (tests/mutants) the fast tests must catch
#   make bench      replay speed and memory against trace-cmd report
#   make asan       ./pagestate-asan with ASan + UBSan (used by make check)
#   make fuzz       libFuzzer harnesses of every reader (tests/fuzz, clang);
#                   FUZZ_TIME=secs also runs each that long on its corpus
#   make install    pagestate, its man pages and bash completion under
#                   $(DESTDIR)$(PREFIX) (PREFIX=/usr/local); make uninstall

CC ?= cc
PKGS := libtracecmd libtracefs libtraceevent jansson libbpf ncursesw
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
CFLAGS ?= -O2 -g
ALL_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude $(PKG_CFLAGS) -MMD -MP
LDLIBS := $(PKG_LIBS) -lpthread

# Everything but pagestate.c goes into libpagestate.a, which the unit
# tests link too.
LIB_SRCS := $(wildcard common/*.c record/*.c replay/*.c analyze/*.c tui/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=build/%.o)
ASAN_OBJS := $(LIB_SRCS:%.c=build-asan/%.o)
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/tests/%)
WORKLOAD_SRCS := $(wildcard tests/workloads/*.c)
WORKLOADS := $(WORKLOAD_SRCS:%.c=%)

all: pagestate workloads

pagestate: build/pagestate.o build/libpagestate.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# Made afresh: `ar r` into an old archive would keep the objects of
# files that moved or went away.
build/libpagestate.a: $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

build/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
pagestate-asan: build-asan/pagestate.o $(ASAN_OBJS)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -o $@ $^ $(LDLIBS)

build-asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -c -o $@ $<

asan: pagestate-asan

# libFuzzer harnesses (tests/fuzz/README): the library built again with
# clang, ASan and UBSan, one binary per reader.  make check replays their
# corpora (tests/t/fuzz-corpus.sh); FUZZ_TIME=secs fuzzes each that long.
FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
FUZZ_CFLAGS := -O1 -g $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude $(PKG_CFLAGS) -MMD -MP
FUZZ_OBJS := $(LIB_SRCS:%.c=build-fuzz/%.o)
FUZZERS := $(addprefix build-fuzz/,fuzz-kbuf fuzz-tracecmd fuzz-text \
	fuzz-markers fuzz-index)

build-fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

build-fuzz/libpagestate.a: $(FUZZ_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

build-fuzz/fuzz-%: tests/fuzz/fuzz-%.c build-fuzz/libpagestate.a tests/fuzz/fuzz.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer \
		-o $@ $< build-fuzz/libpagestate.a $(LDLIBS)
# one source, three readers: kbuf, libtracecmd, ftrace text
build-fuzz/fuzz-kbuf build-fuzz/fuzz-text build-fuzz/fuzz-tracecmd: \
	tests/fuzz/fuzz-trace.c build-fuzz/libpagestate.a tests/fuzz/fuzz.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer \
		$(if $(filter %tracecmd,$@),-DFUZZ_TRACECMD) \
		-o $@ tests/fuzz/fuzz-trace.c build-fuzz/libpagestate.a $(LDLIBS)

fuzzers: $(FUZZERS)

fuzz: fuzzers
	@tests/fuzz/run $(FUZZ_TIME)

build/tests/%: tests/unit/%.c build/libpagestate.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< build/libpagestate.a $(LDLIBS)

unit: $(UNIT_BINS)

# Workloads are static so tests/vm can drop them into an initramfs.
tests/workloads/%: tests/workloads/%.c tests/workloads/workload.h
	$(CC) -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -static -o $@ $< -lpthread

workloads: $(WORKLOADS)

deps:
	@tests/deps

demo: deps
	@$(MAKE) --no-print-directory all
	@tests/demo

check: deps
	@$(MAKE) --no-print-directory all asan unit fuzzers
	@tests/run

mutants: deps
	@tests/mutants/run

bench: deps
	@$(MAKE) --no-print-directory all
	@tests/bench/run

PREFIX ?= /usr/local
bindir := $(PREFIX)/bin
man1dir := $(PREFIX)/share/man/man1
compdir := $(PREFIX)/share/bash-completion/completions
MAN_PAGES := $(wildcard doc/*.1)

install: pagestate
	install -d '$(DESTDIR)$(bindir)' '$(DESTDIR)$(man1dir)' '$(DESTDIR)$(compdir)'
	install -m 755 pagestate '$(DESTDIR)$(bindir)/pagestate'
	install -m 644 $(MAN_PAGES) '$(DESTDIR)$(man1dir)'
	install -m 644 contrib/completion/pagestate.bash '$(DESTDIR)$(compdir)/pagestate'

uninstall:
	rm -f '$(DESTDIR)$(bindir)/pagestate' '$(DESTDIR)$(compdir)/pagestate'
	rm -f $(MAN_PAGES:doc/%='$(DESTDIR)$(man1dir)'/%)

clean:
	rm -rf build build-asan build-fuzz pagestate pagestate-asan $(WORKLOADS)

.PHONY: all asan fuzz fuzzers unit workloads deps demo check mutants bench install uninstall clean

-include $(LIB_OBJS:.o=.d) $(ASAN_OBJS:.o=.d) $(FUZZ_OBJS:.o=.d) build/pagestate.d build-asan/pagestate.d $(UNIT_BINS:=.d)
