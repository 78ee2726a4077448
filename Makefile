# SPDX-License-Identifier: MIT
#
# Top-level build.  Everything lands in build/: programs in build/bin,
# libraries in build/lib, test programs in build/tests, objects in build/obj.
#
#   make               library (shared + static), handshaked, tools
#   make kmod          the out-of-tree module, against the VM kernel's headers
#                      (KERNEL=6.1 or current for the others, or KDIR=)
#   make test          install what is missing, build, run every test tier
#   make demo          install what is missing, build, run the demo
#   make test-kernels  the VM tier on every kernel (6.1, 6.12, current)
#   make check-fresh   make demo and make test on a fresh Debian 12 chroot
#                      (QUICK=1: deps, build, host tiers, one VM tier)
#   make install       PREFIX=/usr/local DESTDIR=
#   make SANITIZE=1    ASan + UBSan build
#   make fuzz          the libFuzzer targets (fuzz/), FUZZ_TIME seconds each
#   make fuzz-replay   every corpus and reproducer file of fuzz/, once
#   make bench-kernel  tlshd beside handshaked for the kernel's consumers
#                      (kmod-glue, NFS over TLS), in the VM

VERSION := 0.1.0
SOVERSION := 0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
# handshaked's state directory (etc/handshaked.tmpfiles.conf names it too)
HSD_STATEDIR := /var/lib/handshaked
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

B ?= build
CC ?= cc
OBJCOPY ?= objcopy
CFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes \
	-Wstrict-prototypes -Wvla -Wpointer-arith
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif

# wolfSSL: by default the project's own build (wolfssl/build: Debian's
# source, configured for libktls, cached), linked statically into
# libktls.so with its symbols hidden, so an installed libktls needs no
# wolfSSL beside it.  WOLFSSL=system builds against Debian's libwolfssl-dev
# instead, which loses what README.md lists.
WOLFSSL ?= project
ifeq ($(WOLFSSL),system)
PKGS := libnl-genl-3.0 liburing wolfssl
WOLF_ID := system
else ifeq ($(WOLFSSL),project)
PKGS := libnl-genl-3.0 liburing
WOLF_PREFIX := $(shell wolfssl/build --prefix)
WOLF_STAMP := $(WOLF_PREFIX)/.complete
WOLF_ID := $(WOLF_PREFIX)
CPPFLAGS += -DKTLS_WOLFSSL_PROJECT
else
$(error WOLFSSL is 'project' (the default) or 'system', not '$(WOLFSSL)')
endif
PKG_CFLAGS := $(if $(WOLF_PREFIX),-I$(WOLF_PREFIX)/include) \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(if $(WOLF_PREFIX),$(WOLF_PREFIX)/lib/libwolfssl.a -lm) \
	$(shell pkg-config --libs $(PKGS) 2>/dev/null)
ifdef WOLF_STAMP
$(WOLF_STAMP):
	@wolfssl/build > /dev/null
endif
# Every object depends on which wolfSSL it was built against: the file
# changes when the choice does, so a switch rebuilds everything.
WOLF_FLAVOR := $(B)/.wolfssl
$(shell mkdir -p $(B) && { test "$$(cat $(WOLF_FLAVOR) 2>/dev/null)" = \
	"$(WOLF_ID)" || echo "$(WOLF_ID)" > $(WOLF_FLAVOR); })
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)
# handshaked alone parses an INI file; its kernel agent speaks generic
# netlink (libnl-genl) and reads keys the kernel passes (libkeyutils).
HSD_PKG_LIBS := $(shell pkg-config --libs inih libnl-genl-3.0 2>/dev/null) \
	-lkeyutils

CPPFLAGS += -D_GNU_SOURCE -DKTLS_VERSION_STRING='"$(VERSION)"' \
	-Ilibktls/include -Iproto
ALL_CFLAGS := -std=gnu11 $(WARNINGS) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP

# The daemon protocol (proto/) is part of the library, hidden, and is
# linked on its own into handshaked and handshakectl.
PROTO_SRCS := proto/hsd_proto.c proto/hsd_wire.c
PROTO_OBJS := $(PROTO_SRCS:%.c=$(B)/obj/static/%.o)
LIB_SRCS := $(wildcard libktls/src/*.c) $(PROTO_SRCS)
LIB_PIC_OBJS := $(LIB_SRCS:%.c=$(B)/obj/pic/%.o)
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/obj/static/%.o)
LIB_SO := $(B)/lib/libktls.so.$(VERSION)

# The programs: the TLS tools in tools/, the HTTPS server and its client
# in serve/, each beside its man page.
TOOLS := ktls-probe ktls-client ktls-server ktls-serve ktls-get
TOOL_BINS := $(TOOLS:%=$(B)/bin/%)
TOOL_MAN1 := $(wildcard tools/*.1 serve/*.1)
# Code the TLS tools share, and what one tool has beside its main file.
TOOL_COMMON := $(B)/obj/static/tools/opt.o $(B)/obj/static/tools/tool.o \
	$(B)/obj/static/tools/keylog.o
TOOL_OBJS_ktls-get := $(B)/obj/static/serve/response.o \
	$(B)/obj/static/serve/http.o
# (ktls-serve: its loop, HTTP handling and file jail beside its main;
# http.c, the request parsing, apart from any socket)
TOOL_OBJS_ktls-serve := $(B)/obj/static/serve/loop.o \
	$(B)/obj/static/serve/request.o $(B)/obj/static/serve/jail.o \
	$(B)/obj/static/serve/http.o
# Benchmarks: standalone programs against the shared library.
# record-openssl is the OpenSSL peer of record-ktls: libssl, no libktls
# (and none of wolfSSL's headers, whose OpenSSL layer has the same names),
# built only for bench-record-native (so that `make` needs no libssl-dev).
BENCH_SRCS := $(filter-out bench/record-openssl.c,$(wildcard bench/*.c))
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(B)/bench/%)
HSD_SRCS := $(wildcard handshaked/*.c)
HSD_OBJS := $(HSD_SRCS:%.c=$(B)/obj/static/%.o)
# handshaked and handshakectl see only ktls.h and the protocol module:
# none of libktls's private headers, none of wolfSSL's.
HSD_CFLAGS := -std=gnu11 $(WARNINGS) $(CFLAGS) -MMD -MP \
	$(shell pkg-config --cflags inih libnl-genl-3.0 2>/dev/null)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
# Calls a unit test fakes (or counts, as test_session counts calls of
# wolfSSL's session parser): WRAP_<test> lists them for -Wl,--wrap.
WRAP_test_caps := socket setsockopt recv
WRAP_test_sock := socket setsockopt
WRAP_test_session := wolfSSL_d2i_SSL_SESSION
# Unit tests of handshaked's code link its objects and libraries too:
# HSD_OBJS_<test> and HSD_LIBS_<test>.
HSD_CONFIG_OBJS := $(B)/obj/static/handshaked/config.o \
	$(B)/obj/static/handshaked/config_keys.o \
	$(B)/obj/static/handshaked/config_access.o \
	$(B)/obj/static/handshaked/config_kernel.o
# The tests of handshaked's configuration file, one per feature.
CONFIG_TESTS := test_config_load test_config_values test_config_syntax \
	test_config_kernel \
	test_config_access
$(foreach t,$(CONFIG_TESTS),$(eval HSD_OBJS_$(t) := $(HSD_CONFIG_OBJS)))
$(foreach t,$(CONFIG_TESTS),$(eval HSD_LIBS_$(t) := $(HSD_PKG_LIBS)))
HSD_OBJS_test_keys := $(B)/obj/static/handshaked/keys.o \
	$(HSD_CONFIG_OBJS) $(B)/obj/static/handshaked/log.o
HSD_LIBS_test_keys := $(HSD_PKG_LIBS)
# ... and of a tool's code, its objects: TOOL_OBJS_<test>.
TOOL_OBJS_test_response := $(B)/obj/static/serve/response.o \
	$(B)/obj/static/serve/http.o
TOOL_OBJS_test_http := $(B)/obj/static/serve/http.o
TOOL_OBJS_test_jail := $(B)/obj/static/serve/jail.o
HSD_OBJS_test_log := $(B)/obj/static/handshaked/log.o
HSD_OBJS_test_kernel_nl := $(B)/obj/static/handshaked/kernel_nl.o
HELPER_OBJS := $(B)/obj/static/tests/helpers.o \
	$(B)/obj/static/tests/fdpass.o
# The conformance tier's crafted-record client: OpenSSL is its crypto (a
# test peer, never linked into the product).
# tls-probe.c: the table and main; cases*.c: the probes; probe-*.c: the
# helper layer of probe.h (records, handshakes, answers).
PROBE_SRCS := tests/conform/tls-probe.c tests/conform/cases.c \
	tests/conform/cases-hello.c tests/conform/cases-records.c \
	tests/conform/probe-record.c tests/conform/probe-handshake.c \
	tests/conform/probe-answer.c
PROBE_HDRS := tests/conform/probe.h tests/conform/cases.h
PROBE_BIN := $(B)/tests/tls-probe
OPENSSL_LIBS := $(shell pkg-config --libs libssl libcrypto 2>/dev/null)

# Libraries the programs link against the shared library through an
# $ORIGIN rpath, so build/bin runs in place (and inside the VM).
RPATH := -Wl,-rpath,'$$ORIGIN/../lib'

.PHONY: all lib tools kmod kmod-kernels kmod-clean install clean test check demo callgraph \
	test-kernels test-build deps unit lint bench-build bench-memory conform \
	bench-handshake bench-kernel bench bench-quick bench-native bench-handshake-native \
	bench-record-native bench-native-compare check-fresh fuzz fuzz-build \
	fuzz-replay
.DEFAULT_GOAL := all

all: lib tools $(B)/bin/handshaked $(B)/bin/handshakectl bench-build \
	$(B)/bin/ktls-kglue

lib: $(LIB_SO) $(B)/lib/libktls.a $(B)/lib/libktls.pc

$(B)/obj/pic/%.o: %.c $(WOLF_FLAVOR) | $(WOLF_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fPIC -fvisibility=hidden \
		-c -o $@ $<

$(B)/obj/static/%.o: %.c $(WOLF_FLAVOR) | $(WOLF_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Ilibktls/src -Itests $(ALL_CFLAGS) -c -o $@ $<

$(B)/obj/static/handshaked/%.o: handshaked/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(HSD_CFLAGS) -c -o $@ $<

$(LIB_SO): $(LIB_PIC_OBJS) libktls/libktls.map
	@mkdir -p $(@D)
	$(CC) -shared -o $@ $(LIB_PIC_OBJS) $(LDFLAGS) \
		-Wl,-soname,libktls.so.$(SOVERSION) -Wl,--exclude-libs,ALL \
		-Wl,--version-script=libktls/libktls.map -Wl,-z,defs \
		-Wl,-z,relro -Wl,-z,now $(PKG_LIBS)
	ln -sf libktls.so.$(VERSION) $(B)/lib/libktls.so.$(SOVERSION)
	ln -sf libktls.so.$(SOVERSION) $(B)/lib/libktls.so

# With the project's wolfSSL, the archive is one relocatable object that
# holds the wolfSSL code libktls uses, with only ktls_* left global, so a
# static link needs no wolfSSL either and cannot clash with another one.
ifdef WOLF_PREFIX
$(B)/lib/libktls.a: $(LIB_OBJS) $(WOLF_STAMP)
	@mkdir -p $(@D)
	rm -f $@
	$(LD) -r -o $(B)/obj/libktls-whole.o $(LIB_OBJS) \
		$(WOLF_PREFIX)/lib/libwolfssl.a
	$(OBJCOPY) --wildcard --keep-global-symbol='ktls_*' \
		$(B)/obj/libktls-whole.o
	$(AR) rcs $@ $(B)/obj/libktls-whole.o
else
$(B)/lib/libktls.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^
endif

# The .pc file names the install paths, so install writes its own copy.
PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	-e 's|@REQUIRES@|$(PKGS)|'

$(B)/lib/libktls.pc: libktls/libktls.pc.in Makefile
	@mkdir -p $(@D)
	$(PC_SED) $< > $@

tools: $(TOOL_BINS)

# Dependency files go under obj/, so build/bin and build/tests hold only
# programs.
$(B)/bin/ktls-probe $(B)/bin/ktls-client $(B)/bin/ktls-server: \
		$(B)/bin/%: tools/%.c \
		$(TOOL_COMMON) $(LIB_SO)
	@mkdir -p $(@D) $(B)/obj/bin
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MF $(B)/obj/bin/$*.d -MT $@ -o $@ $< \
		$(TOOL_OBJS_$*) $(TOOL_COMMON) $(LDFLAGS) -L$(B)/lib -lktls \
		$(RPATH)

# The driver of the kernel module's handshake runs (no libktls in it).
$(B)/bin/ktls-kglue: kmod-glue/tool/ktls-kglue.c
	@mkdir -p $(@D) $(B)/obj/bin
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MF $(B)/obj/bin/ktls-kglue.d -MT $@ \
		-o $@ $< $(LDFLAGS)

# (serve/'s programs share tools/tool.c too)
$(B)/bin/ktls-serve $(B)/bin/ktls-get: $(B)/bin/%: serve/%.c \
		$(TOOL_COMMON) $(LIB_SO)
	@mkdir -p $(@D) $(B)/obj/bin
	$(CC) $(CPPFLAGS) -Itools $(ALL_CFLAGS) -MF $(B)/obj/bin/$*.d -MT $@ \
		-o $@ $< $(TOOL_OBJS_$*) $(TOOL_COMMON) $(LDFLAGS) \
		-L$(B)/lib -lktls $(RPATH)

$(B)/bin/ktls-get: $(TOOL_OBJS_ktls-get)
$(B)/bin/ktls-serve: $(TOOL_OBJS_ktls-serve)
# (loop.c names tools/tool.h's tool_host())
$(B)/obj/static/serve/loop.o: CPPFLAGS += -Itools

bench-build: $(BENCH_BINS)

$(B)/bench/%: bench/%.c $(LIB_SO)
	@mkdir -p $(@D) $(B)/obj/bench
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MF $(B)/obj/bench/$*.d -MT $@ -o $@ $< \
		$(LDFLAGS) -L$(B)/lib -lktls $(RPATH)

$(B)/bench/record-openssl: bench/record-openssl.c
	@mkdir -p $(@D) $(B)/obj/bench
	$(CC) -D_GNU_SOURCE -std=gnu11 $(WARNINGS) $(CFLAGS) -MMD -MP \
		$(shell pkg-config --cflags openssl) \
		-MF $(B)/obj/bench/record-openssl.d -MT $@ -o $@ $< $(LDFLAGS) \
		$(shell pkg-config --libs openssl)

# The per-connection memory benchmark, here and (offloaded) in the VM.
bench-memory: all
	@tests/pki/mkpki $(B)/pki
	@echo "=== this machine ($$(uname -r)):"
	@$(B)/bench/conn-memory $(B)/pki/ca.pem $(B)/pki/server-ec-chain.pem \
		$(B)/pki/server-ec.key
	@echo "=== inside the VM (kernel $${KTLS_VM_KERNEL:-6.12}):"
	@tests/vm/run -- $(B)/bench/conn-memory $(B)/pki/ca.pem \
		$(B)/pki/server-ec-chain.pem $(B)/pki/server-ec.key

# HTTPS throughput of ktls-serve beside its peers (nginx with and without
# kTLS, OpenSSL, wolfSSL, plain TCP), natively with kTLS, else in the VM,
# where TCG makes the full run long (about an hour; BENCH_LARGE_MIB=32
# takes ten minutes).  bench-quick: a smoke run.
# (the guest writes the JSON and the chart through to build/bench)
BENCH_VM := mkdir -p $(abspath $(B))/bench && \
	tests/vm/run -m 2048 -t 10800 -w $(abspath $(B))/bench --
bench: deps all
	@tests/pki/mkpki $(B)/pki > /dev/null
	@if $(B)/bin/ktls-probe > /dev/null 2>&1; then bench/throughput; \
	else $(BENCH_VM) env BENCH_LARGE_MIB=$${BENCH_LARGE_MIB:-256} \
		bench/throughput; fi

bench-quick: deps all
	@tests/pki/mkpki $(B)/pki > /dev/null
	@if $(B)/bin/ktls-probe > /dev/null 2>&1; then \
		bench/throughput --quick; \
	else $(BENCH_VM) bench/throughput --quick; fi

# Handshakes per second: openssl s_server, libktls, handshaked (needs kTLS,
# so in the VM).  DURATION seconds per run.
bench-handshake: all
	@tests/pki/mkpki $(B)/pki > /dev/null
	@tests/vm/run -- bench/handshake-rate $(or $(DURATION),5)

# The same, natively, with no kTLS needed: handshakes in process and the
# record layer in software, libktls beside OpenSSL in one run.
# BENCH_BUILDS: the build trees whose libktls to measure, side by side
# (e.g. "build build/sys" after make B=build/sys WOLFSSL=system).
# BENCH_ARGS: more options (-r REPS, -d SECONDS, -m MIB, --quick).
# The tables and the raw figures go to $(B)/bench too.
BENCH_BUILDS ?= $(B)
bench-handshake-native: deps all
	@tests/pki/mkpki $(B)/pki > /dev/null
	@B=$(abspath $(B)) BENCH_OUT=$(abspath $(B))/bench bench/handshake-rate --native $(BENCH_ARGS) $(BENCH_BUILDS)

bench-record-native: deps all $(B)/bench/record-openssl
	@tests/pki/mkpki $(B)/pki > /dev/null
	@B=$(abspath $(B)) BENCH_OUT=$(abspath $(B))/bench bench/record-throughput $(BENCH_ARGS) $(BENCH_BUILDS)

# Kernel consumers' handshakes through tlshd (Debian 13's ktls-utils) and
# through handshaked, side by side in one VM run: kmod-glue handshakes per
# second (1 and 32 at once) and NFS-over-TLS mount time.  BENCH_ARGS:
# -n COUNT, -r REPS, -m MOUNTS, --quick.  The table goes to $(B)/bench.
bench-kernel: deps all kmod
	@tests/pki/mkpki $(B)/pki > /dev/null
	@tests/peers/ktls-utils > /dev/null && tests/peers/nfs-utils > /dev/null
	@mkdir -p $(abspath $(B))/bench && tests/vm/run -t 3600 \
		-w $(abspath $(B))/bench -- bench/kernel-handshake $(BENCH_ARGS)

bench-native: bench-record-native bench-handshake-native

# Before and after the project's wolfSSL, with OpenSSL, in one run: a
# second tree $(B)/sys against Debian's wolfSSL beside this one.
bench-native-compare: deps
	@$(MAKE) --no-print-directory B=$(B)/sys WOLFSSL=system all
	@$(MAKE) --no-print-directory bench-native \
		BENCH_BUILDS="$(B)/sys $(B)"

# handshaked and handshakectl: the shared library, as the tools, plus the
# protocol module (whose copy in the library is hidden).
$(B)/bin/handshaked: $(HSD_OBJS) $(PROTO_OBJS) $(LIB_SO)
	@mkdir -p $(@D)
	$(CC) -o $@ $(HSD_OBJS) $(PROTO_OBJS) $(LDFLAGS) -L$(B)/lib -lktls \
		$(RPATH) $(HSD_PKG_LIBS)

$(B)/bin/handshakectl: $(B)/obj/static/handshaked/ctl/handshakectl.o \
		       $(PROTO_OBJS) $(LIB_SO)
	@mkdir -p $(@D)
	$(CC) -o $@ $< $(PROTO_OBJS) $(LDFLAGS) -L$(B)/lib -lktls $(RPATH)

# Unit tests link the static objects, so they can reach internal functions.
$(B)/tests/test_%: tests/unit/test_%.c $(LIB_OBJS) $(HELPER_OBJS) $(WOLF_FLAVOR)
	@mkdir -p $(@D) $(B)/obj/tests
	$(CC) $(CPPFLAGS) -Ilibktls/src -Itests -Ihandshaked -Itools -Iserve \
		$(ALL_CFLAGS) -MF $(B)/obj/tests/test_$*.d -MT $@ -o $@ $< \
		$(HSD_OBJS_test_$*) $(TOOL_OBJS_test_$*) $(LIB_OBJS) $(HELPER_OBJS) $(LDFLAGS) \
		$(foreach f,$(WRAP_test_$*),-Wl,--wrap=$(f)) \
		$(PKG_LIBS) $(HSD_LIBS_test_$*) $(CMOCKA_LIBS)

$(foreach t,$(CONFIG_TESTS),$(eval $(B)/tests/$(t): $(HSD_OBJS_$(t))))
$(B)/tests/test_keys: $(HSD_OBJS_test_keys)
$(B)/tests/test_response: $(TOOL_OBJS_test_response)
$(B)/tests/test_http: $(TOOL_OBJS_test_http)
$(B)/tests/test_jail: $(TOOL_OBJS_test_jail)
$(B)/tests/test_log: $(HSD_OBJS_test_log)
$(B)/tests/test_kernel_nl: $(HSD_OBJS_test_kernel_nl)

# A test whose source is gone (renamed, or split as test_conn.c was) must
# not go on running from its old binary: the tiers run build/tests/test_*.
UNIT_STALE = $(filter-out $(UNIT_BINS),$(wildcard $(B)/tests/test_*))
unit: $(UNIT_BINS)
	$(if $(UNIT_STALE),rm -f $(UNIT_STALE))

conform: $(PROBE_BIN)

# (several sources, one program: the dependencies are spelled out instead)
$(PROBE_BIN): $(PROBE_SRCS) $(PROBE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(filter-out -MMD -MP,$(ALL_CFLAGS)) -o $@ \
		$(PROBE_SRCS) $(LDFLAGS) $(OPENSSL_LIBS)

# The kernel module is built against the headers of a VM kernel
# (KERNEL=6.12 by default; 6.1 and current work too) unless KDIR names
# another tree.
# Kbuild runs on a copy of kmod-glue/ in build/kmod/src: its clean step
# deletes every object under the folder it is given, so it must never be
# given the top of the tree (that deleted build/'s objects, racing a
# parallel build and making every test-build a full rebuild).  The module
# lands in build/kmod/<release>/, the release being the one in its
# vermagic (what uname -r says on that kernel).  tests/vm/kernel kbuild
# gets the headers and runs Kbuild with the compiler that kernel was built
# with: this machine's gcc for Debian 12's 6.1 and 6.12, an unstable build
# root (by chroot) for the current kernel.  KDIR=TREE builds against a
# tree of your own with this machine's gcc instead.
KERNEL ?= 6.12
KDIR ?=
KMOD_SRC := $(abspath $(B))/kmod/src
kmod:
	@rm -rf $(KMOD_SRC) && mkdir -p $(KMOD_SRC) && \
	cp kmod-glue/Kbuild kmod-glue/*.c kmod-glue/*.h $(KMOD_SRC)/ && \
	if [ -n "$(KDIR)" ]; then \
		$(MAKE) -C "$(KDIR)" M=$(KMOD_SRC) modules; \
	else \
		tests/vm/kernel kbuild "$(KERNEL)" $(KMOD_SRC); \
	fi && \
	rel=$$(modinfo -F vermagic $(KMOD_SRC)/ktlsx_glue.ko | cut -d' ' -f1) && \
	mkdir -p $(B)/kmod/$$rel && \
	cp $(KMOD_SRC)/ktlsx_glue.ko $(B)/kmod/$$rel/ && \
	echo "kmod: $(B)/kmod/$$rel/ktlsx_glue.ko" || \
	{ echo "kmod: no module for kernel $(KERNEL)$(if $(KDIR), (KDIR=$(KDIR))) (reason above)" >&2; exit 1; }

# The modules the tests load: Debian 12's 6.12 and 6.1 must build; the
# current kernel's too, unless that kernel cannot be had at all (then the
# tiers that want it print the same reason as a skip).
kmod-kernels:
	@$(MAKE) --no-print-directory kmod KERNEL=6.12
	@$(MAKE) --no-print-directory kmod KERNEL=6.1
	@if why=$$(tests/vm/kernel resolve current 2>&1 >/dev/null); then \
		$(MAKE) --no-print-directory kmod KERNEL=current; \
	else \
		echo "kmod: skipped for the current kernel: $$(echo "$$why" | tail -n 1)"; \
	fi

kmod-clean:
	rm -rf $(KMOD_SRC)

# --- the two commands of the README, and their parts ----------------------

deps:
	@tests/deps

# What the tests run: the normal build with -Werror, the module, the fuzz
# targets, and an ASan + UBSan build of the tools and unit tests in
# build/asan.
test-build: deps
	@$(MAKE) --no-print-directory WERROR=1 all unit conform kmod-kernels \
		$(B)/bench/record-openssl fuzz-build
	@$(MAKE) --no-print-directory WERROR=1 B=$(B)/asan SANITIZE=1 tools unit \
		$(B)/asan/bin/handshaked

test check: test-build
	@tests/run

demo: deps
	@$(MAKE) --no-print-directory all
	@echo "=== this machine's kernel ($$(uname -r)):"
	@$(B)/bin/ktls-probe || true
	@if $(B)/bin/ktls-probe > /dev/null 2>&1; then \
		demo/run $(DEMO_MIB); \
	else \
		echo; \
		echo "=== no kTLS here: the demo runs in the VM (kernel $${KTLS_VM_KERNEL:-6.12})"; \
		tests/vm/run -m 2048 -t 1800 -- demo/run $(DEMO_MIB); \
	fi

test-kernels: test-build
	@tests/vm/test-kernels

# The README's two commands on a fresh Debian 12 root (debootstrap, cached
# in /var/cache/ktls-fresh), in a clone of HEAD; QUICK=1: deps, build, the
# host tiers and the kTLS tier in the VM.  Needs root; see the script.
check-fresh:
	@tests/fresh/check-fresh $(if $(filter 1,$(QUICK)),--quick)

# Static analysis: cppcheck over every C file of ours but the module's.
# It reads them without wolfSSL's options.h, so ktls_wolf.h's checks of
# those options would all fire.
lint:
	cppcheck -q --error-exitcode=1 --enable=warning,portability,performance \
		--suppress='preprocessorErrorDirective:libktls/src/ktls_wolf.h' \
		--std=c11 -D_GNU_SOURCE -DKTLS_VERSION_STRING='"$(VERSION)"' \
		-Ilibktls/include -Ilibktls/src -Iproto -Itests -Ihandshaked \
		-Itools -Iserve \
		libktls/src proto tools serve handshaked bench tests/unit \
		kmod-glue/tool \
		tests/helpers.c tests/fdpass.c tests/conform fuzz
	@! grep -rniE 'keylog|secret_cb' handshaked/ || \
		{ echo "handshaked must never log keys (issue 15)"; exit 1; }
	@$(MAKE) --no-print-directory callgraph

# The calls between libktls/src files, read from the objects with nm: the
# files by level, and a failure on any cycle (doc/architecture.md, 3).
callgraph: $(LIB_OBJS)
	@tests/callgraph $(LIB_OBJS) > $(B)/callgraph.txt || \
		{ cat $(B)/callgraph.txt; exit 1; }
	@echo "callgraph: no cycles between libktls/src files ($(B)/callgraph.txt)"

# --- fuzzing ----------------------------------------------------------------

# libFuzzer targets: fuzz/fuzz_NAME.c, built with clang into build/fuzz/
# with libktls's sources (and the handshaked or tool ones FUZZ_SRCS_NAME
# names) instrumented for coverage, ASan and UBSan, and linked with the
# project's static wolfSSL (not instrumented).  A new target is a new file,
# plus a FUZZ_SRCS_NAME (or FUZZ_WRAP_NAME) line when it needs them.
# FUZZ_TARGETS="proto config" picks targets; FUZZ_TIME: seconds each.
FUZZ_CC ?= clang-14
FUZZ_B := $(B)/fuzz
FUZZ_ALL := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_TIME ?= 60
FUZZ_CFLAGS := -std=gnu11 $(WARNINGS) -g -O1 -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	$(PKG_CFLAGS) -MMD -MP
FUZZ_CPPFLAGS := $(CPPFLAGS) -Ilibktls/src -Ihandshaked -Itools -Iserve \
	-Itests
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_B)/obj/%.o)
# The handshaked or tool sources a target links (of handshaked, all but
# main.c at most), and the functions it fakes with -Wl,--wrap (config: no
# user or group lookups).  (proto: the protocol module, whose decoders
# are handshaked's parser, is among libktls's sources; it takes the
# tests' fd-passing helper.)
FUZZ_SRCS_proto := tests/fdpass.c
FUZZ_SRCS_config := handshaked/config.c handshaked/config_keys.c \
	handshaked/config_access.c handshaked/config_kernel.c
FUZZ_SRCS_kernel := handshaked/kernel_nl.c
FUZZ_SRCS_http := serve/http.c
FUZZ_SRCS_response := serve/response.c serve/http.c
FUZZ_WRAP_config := getpwnam getgrnam
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_B)/fuzz_%)
# (kept: only the pattern rule below names them)
.SECONDARY: $(FUZZ_LIB_OBJS) $(HSD_SRCS:%.c=$(FUZZ_B)/obj/%.o) \
	$(FUZZ_SRCS_proto:%.c=$(FUZZ_B)/obj/%.o) \
	$(FUZZ_SRCS_http:%.c=$(FUZZ_B)/obj/%.o) \
	$(FUZZ_SRCS_response:%.c=$(FUZZ_B)/obj/%.o)

$(FUZZ_B)/obj/%.o: %.c $(WOLF_FLAVOR) | $(WOLF_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) \
		-fsanitize=fuzzer-no-link -c -o $@ $<

$(foreach t,$(FUZZ_ALL),$(eval $(FUZZ_B)/fuzz_$(t): \
	$(FUZZ_SRCS_$(t):%.c=$(FUZZ_B)/obj/%.o)))

$(FUZZ_B)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIB_OBJS) $(WOLF_FLAVOR)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer \
		-MF $(FUZZ_B)/obj/fuzz_$*.d -MT $@ -o $@ $< \
		$(FUZZ_SRCS_$*:%.c=$(FUZZ_B)/obj/%.o) $(FUZZ_LIB_OBJS) \
		$(foreach f,$(FUZZ_WRAP_$*),-Wl,--wrap=$(f)) $(PKG_LIBS) \
		$(if $(filter handshaked/%,$(FUZZ_SRCS_$*)),$(HSD_PKG_LIBS))

fuzz-build: $(FUZZ_BINS)
	@:

# Each target on its corpus (new inputs go to build/fuzz/corpus/, not the
# repo); stops at the first crash.  See fuzz/run.
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@tests/pki/mkpki $(B)/pki
	@B=$(B) FUZZ_TIME=$(FUZZ_TIME) fuzz/run fuzz $(FUZZ_TARGETS)

# Every file of fuzz/corpus/ and fuzz/regress/ once, under ASan + UBSan:
# what the fuzz tier of make test runs.
fuzz-replay: fuzz-build
	@tests/pki/mkpki $(B)/pki
	@B=$(B) fuzz/run replay $(FUZZ_TARGETS)

# --- install ----------------------------------------------------------------

install: all
	install -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR) \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(TMPFILESDIR)
	install -m 644 libktls/include/ktls.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libktls.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libktls.so.$(SOVERSION)
	ln -sf libktls.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libktls.so
	install -m 644 $(B)/lib/libktls.a $(DESTDIR)$(LIBDIR)/
	$(PC_SED) libktls/libktls.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/libktls.pc
	install -m 755 $(TOOL_BINS) $(DESTDIR)$(BINDIR)/
	install -m 755 $(B)/bin/handshaked $(B)/bin/handshakectl \
		$(DESTDIR)$(SBINDIR)/
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		etc/handshaked.service.in > \
		$(DESTDIR)$(SYSTEMDUNITDIR)/handshaked.service
	install -m 644 etc/handshaked.socket $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -m 644 etc/handshaked.sysusers.conf \
		$(DESTDIR)$(SYSUSERSDIR)/handshaked.conf
	install -m 644 etc/handshaked.tmpfiles.conf \
		$(DESTDIR)$(TMPFILESDIR)/handshaked.conf
# handshaked's user and state directory: on this machine, made now; in a
# staging root, the directory only (a package makes the user from the
# sysusers.d entry).
ifeq ($(DESTDIR),)
	etc/install-user $(SYSUSERSDIR)/handshaked.conf $(HSD_STATEDIR)
else
	install -d -m 0750 $(DESTDIR)$(HSD_STATEDIR)
endif
	cp -P $(TOOL_MAN1) $(DESTDIR)$(MANDIR)/man1/
	cp -P libktls/man/*.3 $(DESTDIR)$(MANDIR)/man3/
	cp -P handshaked/*.5 $(DESTDIR)$(MANDIR)/man5/
	cp -P handshaked/*.8 $(DESTDIR)$(MANDIR)/man8/
	test -e $(DESTDIR)$(SYSCONFDIR)/handshaked.conf || \
		install -m 644 etc/handshaked.conf $(DESTDIR)$(SYSCONFDIR)/

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
