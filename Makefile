# SPDX-License-Identifier: GPL-2.0
# xlb build. Everything generated goes to build/. Quiet unless V=1.

.DELETE_ON_ERROR:
.SUFFIXES:

BUILD     ?= build
CLANG     ?= clang
BPFTOOL   ?= bpftool
CC        ?= gcc
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

COMMON_WARN := -Wall -Wextra -Werror
# The BPF target's arch macro follows the build machine (bpf_tracing.h needs it).
ARCH        := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' \
		 -e 's/ppc64le/powerpc/' -e 's/s390x/s390/' -e 's/riscv64/riscv/')
BPF_CFLAGS  := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(COMMON_WARN) \
	       -I/usr/include/$(MULTIARCH) -Iinclude -Ibpf -I$(BUILD)
CFLAGS      ?= -O2 -g
# -Iuser: includes name their module's folder ("lib/log.h", "config/config.h"),
# so the layering rules (README, Layout) can be checked by reading them.
CFLAGS      += $(COMMON_WARN) -Iinclude -Iuser -I$(BUILD) -D_GNU_SOURCE -MMD -MP
LDLIBS      := -lxdp -lbpf -lelf -lz -lyaml -ljson-c -lmnl -levent -lcurl -lsodium
# The one version every program prints (--version); only opt.c reads it.
# 0.1+gitYYYYMMDDhhmmss.HASH (the commit's UTC time): it grows with every
# commit, so it is also the Debian package's version (make deb) and a newer
# build installs over an older one as an upgrade. Outside git: 0.1.
XLB_VERSION ?= 0.1$(shell TZ=UTC git log -1 --format=+git%cd.%h \
		--date=format-local:%Y%m%d%H%M%S 2>/dev/null)
XLB_VERSION := $(XLB_VERSION)

BPF_SRCS  ?= $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

# user/<module>/ folders go into one static library; files named *_main.c
# are programs (build/NAME for user/*/NAME_main.c).
USER_SRCS := $(wildcard user/*/*.c)
LIB_SRCS  ?= $(filter-out %_main.c,$(USER_SRCS))
LIB_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))
LIB       := $(BUILD)/libxlb.a
MAIN_SRCS := $(filter %_main.c,$(USER_SRCS))
PROGS     := $(foreach f,$(MAIN_SRCS),$(BUILD)/$(patsubst %_main.c,%,$(notdir $(f))))

# Criterion suites: one binary, so one summary line for CI.
TEST_SRCS ?= $(wildcard selftests/unit/*.c)
TEST_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(TEST_SRCS))
TEST_BIN  := $(BUILD)/xlb-selftests
BENCH_SRCS := $(wildcard selftests/bench/*.c)
BENCH_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(BENCH_SRCS))
BENCH_BIN := $(BUILD)/xlb-bench

DEPS_STAMP := $(BUILD)/.deps-installed

.PHONY: all deps test test-unit test-e2e bench run demo demo-down clean format
all: $(BPF_OBJS) $(SKELS) $(PROGS)

# Every target that needs the toolchain depends on this: a newcomer types
# "make test" on a fresh Debian and gets everything installed first.
deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/install-deps.sh
	$(Q)mkdir -p $(BUILD)
	$(Q)bash scripts/install-deps.sh
	$(Q)touch $@

# BPF objects depend on every BPF-side header: clang -MMD cannot follow
# bpftool's second step, and the set is small.
BPF_HDRS  := $(wildcard bpf/*.h include/xlb/*.h)
$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(DEPS_STAMP)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $(BUILD)/$*.tmp.o
	$(Q)$(BPFTOOL) gen object $@ $(BUILD)/$*.tmp.o
	$(Q)rm -f $(BUILD)/$*.tmp.o

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

# Header dependencies come from -MMD (build/**/*.d); skeletons are generated
# headers, so every C object waits for them.
$(BUILD)/user/%.o: user/%.c $(SKELS) $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/user/lib/opt.o: CFLAGS += -DXLB_VERSION='"$(XLB_VERSION)"'

# The status page, embedded in xlbd as a C string (no build step for the
# page itself: it is plain HTML and JS).
STATUS_HTML := $(BUILD)/gen/status_html.h
$(STATUS_HTML): user/xlbd/status.html
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $< > $@
$(BUILD)/user/xlbd/metrics.o $(BUILD)/asan/user/xlbd/metrics.o \
	$(BUILD)/fuzz/user/xlbd/metrics.o: $(STATUS_HTML)

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

# One link rule per program: its main object and the library.
define prog_rule
$(BUILD)/$(patsubst %_main.c,%,$(notdir $(1))): $(BUILD)/$(1:.c=.o) $(LIB)
	$$(call msg,LINK,$$@)
	$$(Q)$$(CC) $$(CFLAGS) $$(LDFLAGS) $$^ -o $$@ $$(LDLIBS) -lm
endef
$(foreach f,$(MAIN_SRCS),$(eval $(call prog_rule,$(f))))

$(BUILD)/selftests/%.o: selftests/%.c $(SKELS) $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Wno-override-init -I$(<D) -c $< -o $@

$(TEST_BIN): $(TEST_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ -lcriterion $(LDLIBS) -lm

$(BENCH_BIN): $(BENCH_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS) -lm

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# The tests load BPF programs and build network namespaces: root (CI is).
# test-unit: the Criterion suites (BPF_PROG_TEST_RUN, controller, config);
# test-e2e: xlbd and XDP in the namespace lab with nginx, curl and ab.
# In this order, so the last line is the lab suites' "N passed, N failed".
test: test-unit test-asan test-fuzz test-e2e

test-unit: all $(TEST_BIN) check-layout
	$(Q)$(TEST_BIN) --jobs 2

# The layering rules of README's Layout (includes; no bpf_map_* in xlbd).
.PHONY: check-layout
check-layout:
	$(Q)bash selftests/check-layout.sh

test-e2e: all
	$(Q)BUILD=$(abspath $(BUILD)) bash selftests/e2e/scripts-help.sh
	$(Q)bash selftests/e2e/lab-selftest.sh
	$(Q)bash selftests/e2e/cli.sh
	$(Q)bash selftests/e2e/e2e.sh
	$(Q)BUILD=$(abspath $(BUILD)) bash selftests/e2e/metrics.sh
	$(Q)BUILD=$(abspath $(BUILD)) bash selftests/e2e/health.sh
	$(Q)BUILD=$(abspath $(BUILD)) bash selftests/e2e/health-kinds.sh
	$(Q)BUILD=$(abspath $(BUILD)) bash selftests/e2e/health-tunnel.sh
	$(Q)BUILD=$(abspath $(BUILD)) bash selftests/e2e/health-scenarios.sh
	$(Q)BUILD=$(abspath $(BUILD)) bash selftests/e2e/sync.sh
	$(Q)BUILD=$(abspath $(BUILD)) bash selftests/e2e/failover.sh

# The main job: the real xlb in a namespace lab with nginx backends.
demo: all
	$(Q)bash scripts/demo.sh

demo-down:
	$(Q)bash scripts/demo.sh down

# Offline: the real LB program on packets through BPF_PROG_TEST_RUN.
run: all
	$(Q)$(BUILD)/xlb-sim

# Not tests: figures, each checked to be the intended work (README).
bench: all $(BENCH_BIN)
	$(Q)BUILD=$(abspath $(BUILD)) bash scripts/bench/bench.sh

# HTTP through the VIP in the netns lab, xlb against HAProxy (TCP mode):
# build/bench/http.{json,md,png}. Root; a few minutes.
.PHONY: bench-http
bench-http: all
	$(Q)BUILD=$(abspath $(BUILD)) BENCH_CMD="make bench-http" python3 scripts/bench/bench_http.py

clean:
	$(Q)rm -rf $(BUILD)

format:
	$(Q)clang-format -i bpf/*.[ch] user/*/*.[ch] include/xlb/*.h selftests/*/*.[ch]

# The netns lab (scripts/lab.sh); LAB_ID, LAB_BACKENDS, LAB_CLIENTS and
# LAB_LBS pass through the environment.
.PHONY: lab-up lab-down lab-selftest
lab-up: all $(DEPS_STAMP)
	$(Q)LAB_BUILD=$(abspath $(BUILD)) bash scripts/lab.sh up

lab-down:
	$(Q)LAB_BUILD=$(abspath $(BUILD)) bash scripts/lab.sh down

lab-selftest: all $(DEPS_STAMP)
	$(Q)LAB_BUILD=$(abspath $(BUILD)) bash selftests/e2e/lab-selftest.sh

# ---- Memory safety: sanitizers and fuzzing (README, Tests) --------------
# The library and the Criterion suites again under ASan+UBSan, in their own
# build dir, and libFuzzer harnesses (selftests/fuzz/) for the config reader
# and the control-request decoder. A sanitizer report aborts the process, so
# Criterion counts the test as crashing and the run fails.
SAN_BUILD  := $(BUILD)/asan
FUZZ_BUILD := $(BUILD)/fuzz
SAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer \
	      -fno-sanitize-recover=all
SAN_CFLAGS  = -O1 -g $(SAN_FLAGS) $(COMMON_WARN) -Iinclude -Iuser -I$(BUILD) \
	      -D_GNU_SOURCE -MMD -MP -Wno-gnu-variable-sized-type-not-at-end
SAN_LIB    := $(SAN_BUILD)/libxlb.a
SAN_TEST   := $(SAN_BUILD)/xlb-selftests
FUZZ_LIB   := $(FUZZ_BUILD)/libxlb.a
FUZZ_SRCS  := $(wildcard selftests/fuzz/fuzz_*.c)
FUZZERS    := $(patsubst selftests/fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRCS))
.SECONDARY: $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(FUZZ_SRCS))
# halt at the first report, and abort so a forked test shows as crashing
export ASAN_OPTIONS  ?= halt_on_error=1:abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS ?= halt_on_error=1:abort_on_error=1:print_stacktrace=1
# The short run in make test; make fuzz runs FUZZ_SECONDS per harness. Inputs
# stay under the config reader's known slow nesting (issue 14: 60 KB of '['
# take 5 s); a slow input still fails the run through -timeout.
FUZZ_TIME    ?= 15
FUZZ_SECONDS ?= 600
FUZZ_OPTS    := -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=0

$(SAN_BUILD)/%.o: %.c $(SKELS) $(DEPS_STAMP)
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(SAN_CFLAGS) -Wno-initializer-overrides -I$(<D) -c $< -o $@
$(FUZZ_BUILD)/%.o: %.c $(SKELS) $(DEPS_STAMP)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(SAN_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(SAN_BUILD)/user/lib/opt.o $(FUZZ_BUILD)/user/lib/opt.o: \
	SAN_CFLAGS += -DXLB_VERSION='"$(XLB_VERSION)"'

$(SAN_LIB): $(patsubst %.c,$(SAN_BUILD)/%.o,$(LIB_SRCS))
$(FUZZ_LIB): $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(LIB_SRCS))
$(SAN_LIB) $(FUZZ_LIB):
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(SAN_TEST): $(patsubst %.c,$(SAN_BUILD)/%.o,$(TEST_SRCS)) $(SAN_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CLANG) $(SAN_FLAGS) $^ -o $@ -lcriterion $(LDLIBS) -lm

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/selftests/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CLANG) $(SAN_FLAGS) -fsanitize=fuzzer $^ -o $@ $(LDLIBS) -lm

# make test runs both halves below after its own (see test: above).

# Every suite: the BPF ones take a few seconds more and cover the user side
# that feeds the kernel (packet builders, map reads).
.PHONY: test-asan test-fuzz fuzz
test-asan: all $(SAN_TEST)
	$(Q)LSAN_OPTIONS=suppressions=$(abspath selftests/unit/lsan.supp) \
		$(SAN_TEST) --jobs 2

# Each harness on a scratch copy of its seed corpus (the committed one stays
# small); a crash, leak, timeout or sanitizer report fails the target.
define fuzz_run
	$(Q)for f in $(FUZZERS); do n=$${f##*/fuzz_}; \
		rm -rf $(FUZZ_BUILD)/corpus-$$n; \
		cp -r selftests/fuzz/corpus/$$n $(FUZZ_BUILD)/corpus-$$n; \
		echo "  FUZZ     $$n ($(1))"; \
		$$f $(FUZZ_OPTS) -artifact_prefix=$(FUZZ_BUILD)/crash-$$n- \
			$(1) $(FUZZ_BUILD)/corpus-$$n \
			>$(FUZZ_BUILD)/$$n.log 2>&1 || \
			{ tail -40 $(FUZZ_BUILD)/$$n.log; exit 1; }; \
	done
endef
test-fuzz: $(FUZZERS)
	$(call fuzz_run,-max_total_time=$(FUZZ_TIME))
fuzz: $(FUZZERS)
	$(call fuzz_run,-max_total_time=$(FUZZ_SECONDS))

# ---- Install, man pages, Debian package (README, Install) ----------------
# make install [PREFIX=/usr/local] [DESTDIR=]: programs to SBINDIR, the BPF
# objects to XLB_LIBDIR (for bpftool and ip: the programs carry their own
# copies as skeletons and load nothing from there), units, man pages, and
# the example config to /etc/xlb/ unless one is there already.
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
XLB_LIBDIR ?= $(PREFIX)/lib/xlb
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/xlb
# contrib/ as shipped: keepalived and BIRD configs with their scripts (kept
# side by side: the configs find the scripts beside themselves), Grafana
CONTRIBDIR ?= $(PREFIX)/share/xlb/contrib
CONTRIB_EXEC := keepalived/xlb-keepalived-track keepalived/xlb-keepalived-notify \
	bird/xlb-bird-announce
CONTRIB_DATA := keepalived/keepalived.conf keepalived/xlb-site.conf \
	bird/bird.conf bird/router.conf grafana/xlb.json
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
INSTALL    ?= install
INST_PROGS := xlbd xlb xlb-decap xlb-pktgen xlb-sim
INST_OBJS  := xlb_lb xlb_decap xlb_pass xlb_pktgen xlb_sink
INST_UNITS := xlbd.service xlb-decap@.service
MAN_SRCS   := $(wildcard doc/*.[0-9].md)
MANS       := $(patsubst doc/%.md,$(BUILD)/man/%,$(MAN_SRCS))

.PHONY: man install uninstall deb test-package FORCE

# The version is compiled into opt.o: rebuild it when the version changes
# (a new commit), not only when opt.c does.
$(BUILD)/.version: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)[ "$$(cat $@ 2>/dev/null)" = "$(XLB_VERSION)" ] || \
		printf '%s\n' "$(XLB_VERSION)" > $@
$(BUILD)/user/lib/opt.o: $(BUILD)/.version

# Man pages: doc/NAME.SECTION.md rendered by go-md2man, the version filled in.
# selftests/package/check-man.sh holds them to --help and the config reader.
man: $(MANS)
$(BUILD)/man/%: doc/%.md $(BUILD)/.version $(DEPS_STAMP)
	$(call msg,MAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)sed 's/@VERSION@/$(XLB_VERSION)/g' $< | go-md2man -out $@

install: all man
	$(Q)$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(XLB_LIBDIR) \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(SYSCONFDIR)/xlb $(DESTDIR)$(SYSCONFDIR)/default \
		$(addprefix $(DESTDIR)$(CONTRIBDIR)/,keepalived bird grafana)
	$(Q)$(INSTALL) -m 0755 $(addprefix $(BUILD)/,$(INST_PROGS)) $(DESTDIR)$(SBINDIR)/
	$(Q)for f in $(CONTRIB_EXEC); do $(INSTALL) -m 0755 contrib/$$f \
		$(DESTDIR)$(CONTRIBDIR)/$$f || exit 1; done
	$(Q)for f in $(CONTRIB_DATA); do $(INSTALL) -m 0644 contrib/$$f \
		$(DESTDIR)$(CONTRIBDIR)/$$f || exit 1; done
	$(Q)$(INSTALL) -m 0644 $(patsubst %,$(BUILD)/%.bpf.o,$(INST_OBJS)) $(DESTDIR)$(XLB_LIBDIR)/
	$(Q)for u in $(INST_UNITS); do \
		sed 's|@SBINDIR@|$(SBINDIR)|g' scripts/$$u > $(DESTDIR)$(UNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; done
	$(Q)$(INSTALL) -m 0644 $(filter %.5,$(MANS)) $(DESTDIR)$(MANDIR)/man5/
	$(Q)$(INSTALL) -m 0644 $(filter %.8,$(MANS)) $(DESTDIR)$(MANDIR)/man8/
	$(Q)$(INSTALL) -m 0644 scripts/xlb.example.yaml scripts/decap-eth0.env \
		$(DESTDIR)$(DOCDIR)/examples/
	$(Q)for f in xlb/xlb.yaml:xlb.example.yaml default/xlbd:xlbd.default; do \
		dst=$(DESTDIR)$(SYSCONFDIR)/$${f%%:*}; \
		if [ -e "$$dst" ]; then echo "xlb: install: $$dst exists: kept"; \
		else $(INSTALL) -m 0644 scripts/$${f#*:} "$$dst" || exit 1; fi; done

# The config in SYSCONFDIR is the operator's: uninstall leaves it, and
# leaves the datapath and its pins (xlb detach IFACE; rm -r /sys/fs/bpf/xlb).
uninstall:
	$(Q)rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(INST_PROGS)) \
		$(patsubst %,$(DESTDIR)$(XLB_LIBDIR)/%.bpf.o,$(INST_OBJS)) \
		$(addprefix $(DESTDIR)$(UNITDIR)/,$(INST_UNITS)) \
		$(patsubst $(BUILD)/man/%,$(DESTDIR)$(MANDIR)/man5/%,$(filter %.5,$(MANS))) \
		$(patsubst $(BUILD)/man/%,$(DESTDIR)$(MANDIR)/man8/%,$(filter %.8,$(MANS))) \
		$(DESTDIR)$(DOCDIR)/examples/xlb.example.yaml \
		$(DESTDIR)$(DOCDIR)/examples/decap-eth0.env \
		$(addprefix $(DESTDIR)$(CONTRIBDIR)/,$(CONTRIB_EXEC) $(CONTRIB_DATA))
	$(Q)rmdir $(DESTDIR)$(XLB_LIBDIR) $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(DOCDIR) $(addprefix $(DESTDIR)$(CONTRIBDIR)/,keepalived bird grafana) \
		$(DESTDIR)$(CONTRIBDIR) $(DESTDIR)$(dir $(CONTRIBDIR)) 2>/dev/null || true
	$(Q)echo "xlb: uninstall: kept $(SYSCONFDIR)/xlb/xlb.yaml and $(SYSCONFDIR)/default/xlbd"

# make deb: build/deb/xlb_VERSION_ARCH.deb with dpkg-buildpackage, from a
# copy of the tracked files (so the tree's own build/ is not touched) whose
# debian/changelog is written here: XLB_VERSION is the package's version.
DEB_DIR := $(BUILD)/deb
deb: $(DEPS_STAMP)
	$(Q)XLB_VERSION='$(XLB_VERSION)' bash scripts/make-deb.sh $(DEB_DIR)

# make install/uninstall into a DESTDIR; the .deb linted, installed,
# started, upgraded under a running xlbd and purged in a throwaway root
# (root; about 30 s after make test has built the tree).
test-package: deb
	$(Q)bash selftests/package/test-package.sh $(DEB_DIR)

# The man pages against the build tree's --help and read.c (test-package
# checks the installed ones).
.PHONY: check-man
check-man: all man
	$(Q)bash selftests/package/check-man.sh $(BUILD) $(BUILD)/man
