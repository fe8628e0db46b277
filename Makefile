# pollux - a Markdown blog served over Gemini and Gopher.
# `make` builds ./pollux; `make run` serves the sample capsule on localhost;
# `make test` runs every test in a normal and a sanitizer build.

PREFIX    ?= /usr/local
DESTDIR   ?=
SYSCONFDIR ?= /etc
UNITDIR   ?= $(PREFIX)/lib/systemd/system
DOCDIR    ?= $(PREFIX)/share/doc/pollux
CC        ?= cc
CFLAGS    ?= -O2 -g
PKGS      := libuv openssl libcmark-gfm yaml-0.1
# Recursively expanded on purpose: pkg-config runs after `deps` installed it.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
CMOCKA_LIBS = $(shell pkg-config --libs cmocka)
WARN      := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude
SANFLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all

SRC      := $(wildcard src/*.c)
LIBSRC   := $(filter-out src/main.c,$(SRC))
UNITSRC  := $(wildcard tests/unit/test_*.c)
REL      ?= build/release
SAN      ?= build/san
FUZZ     ?= build/fuzz
FUZZERS  := $(patsubst tests/fuzz/%.c,$(FUZZ)/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60
FUZZFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined

# Objects, test binaries and tools of one build variant ($1: its folder).
objs  = $(patsubst src/%.c,$1/%.o,$(LIBSRC))
units = $(patsubst tests/unit/%.c,$1/%,$(UNITSRC))

.PHONY: all deps run test check clean bench fuzz install
all: pollux

# Keep object files of test binaries between runs.
.SECONDARY:

deps:
	@sh contrib/install-deps.sh

pollux: $(REL)/pollux
	cp $< $@

# --- the two variants --------------------------------------------------
$(REL)/%.o: src/%.c | deps
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@
$(SAN)/%.o: src/%.c | deps
	@mkdir -p $(@D)
	$(CC) $(WARN) $(SANFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@
$(REL)/t/%.o: tests/%.c | deps
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@
$(SAN)/t/%.o: tests/%.c | deps
	@mkdir -p $(@D)
	$(CC) $(WARN) $(SANFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(REL)/libpollux.a: $(call objs,$(REL))
	$(AR) rcs $@ $^
$(SAN)/libpollux.a: $(call objs,$(SAN))
	$(AR) rcs $@ $^

$(REL)/pollux: $(REL)/main.o $(REL)/libpollux.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)
$(SAN)/pollux: $(SAN)/main.o $(SAN)/libpollux.a
	$(CC) $(SANFLAGS) -o $@ $^ $(PKG_LIBS)

$(REL)/render: $(REL)/t/render.o $(REL)/libpollux.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)
$(SAN)/render: $(SAN)/t/render.o $(SAN)/libpollux.a
	$(CC) $(SANFLAGS) -o $@ $^ $(PKG_LIBS)

$(REL)/test_%: $(REL)/t/unit/test_%.o $(REL)/libpollux.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)
$(SAN)/test_%: $(SAN)/t/unit/test_%.o $(SAN)/libpollux.a
	$(CC) $(SANFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

# libFuzzer targets (clang): the library built with coverage, one binary
# per target.
$(FUZZ)/%.o: src/%.c | deps
	@mkdir -p $(@D)
	clang $(WARN) $(FUZZFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@
$(FUZZ)/libpollux.a: $(call objs,$(FUZZ))
	$(AR) rcs $@ $^
$(FUZZ)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ)/libpollux.a
	clang $(WARN) -O1 -g -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) \
		-MMD -MP -o $@ $(filter %.c %.a,$^) $(PKG_LIBS)

-include $(wildcard $(FUZZ)/*.d)
-include $(wildcard $(REL)/*.d $(REL)/t/*.d $(REL)/t/*/*.d $(SAN)/*.d $(SAN)/t/*.d $(SAN)/t/*/*.d)

# --- running -----------------------------------------------------------
# Gemini on 1965 and Gopher on 7070, loopback only; the certificate is
# generated in certs/ on first start.
run: pollux
	./pollux --capsule capsule --hostname localhost \
		--listen 127.0.0.1 --listen ::1 --gemini-port 1965 --gopher-port 7070

check: pollux
	./pollux --check --capsule capsule

# --- tests -------------------------------------------------------------
# Every test runs against both variants; tests/run.sh prints the summary.
test: $(REL)/pollux $(REL)/render $(call units,$(REL)) \
      $(SAN)/pollux $(SAN)/render $(call units,$(SAN)) $(FUZZERS)
	@FUZZ=$(FUZZ) VALGRIND=1 sh tests/run.sh $(REL) $(SAN)

# Each fuzzer for FUZZ_SECONDS, growing its corpus in build/ (the seeds in
# tests/fuzz/corpus stay as checked in, and the Markdown fuzzer also starts
# from the GFM spec's examples); crashes land in build/fuzz/.
fuzz: $(FUZZERS)
	@python3 tests/spec.py --corpus $(FUZZ)/spec-markdown >/dev/null || true
	@for f in $(FUZZERS); do \
		name=$${f##*/fuzz_}; mkdir -p $(FUZZ)/corpus-$$name; \
		echo "== $$name ($(FUZZ_SECONDS) s)"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ)/ \
			$(FUZZ)/corpus-$$name tests/fuzz/corpus/$$name \
			$$(ls -d $(FUZZ)/spec-$$name 2>/dev/null) || exit 1; \
	done

# The load client of the benchmark.
build/gemload: contrib/gemload/gemload.c | deps
	@mkdir -p $(@D)
	$(CC) $(WARN) -O2 -g $(PKG_CFLAGS) -o $@ $< $(PKG_LIBS) -lpthread

bench: pollux build/gemload
	@sh contrib/bench.sh

# The units name the installed binary and config; the example config is
# always in DOCDIR, and becomes SYSCONFDIR/pollux.conf only where there is
# none (an operator's is never overwritten).
install: pollux
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)
	install -m 755 pollux $(DESTDIR)$(PREFIX)/bin/pollux
	install -m 644 man/pollux.8 $(DESTDIR)$(PREFIX)/share/man/man8/pollux.8
	install -m 644 man/pollux.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/pollux.conf.5
	for u in pollux.service pollux.socket; do \
		sed -e 's|/usr/local/bin/pollux|$(PREFIX)/bin/pollux|' \
		    -e 's|/etc/pollux.conf|$(SYSCONFDIR)/pollux.conf|' \
		    contrib/$$u >$(DESTDIR)$(UNITDIR)/$$u.tmp && \
		chmod 644 $(DESTDIR)$(UNITDIR)/$$u.tmp && \
		mv $(DESTDIR)$(UNITDIR)/$$u.tmp $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 644 contrib/pollux.conf contrib/haproxy.cfg $(DESTDIR)$(DOCDIR)/
	[ -e $(DESTDIR)$(SYSCONFDIR)/pollux.conf ] || \
		install -m 644 contrib/pollux.conf $(DESTDIR)$(SYSCONFDIR)/pollux.conf

clean:
	rm -rf build pollux
