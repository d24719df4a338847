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
BPF_CFLAGS  := -g -O2 -target bpf -D__TARGET_ARCH_x86 $(COMMON_WARN) \
	       -I/usr/include/$(MULTIARCH) -Iinclude -Ibpf -I$(BUILD)
CFLAGS      ?= -O2 -g
CFLAGS      += $(COMMON_WARN) -Iinclude -Iuser -I$(BUILD) -D_GNU_SOURCE
LDLIBS      := -lxdp -lbpf -lelf -lz -lyaml -ljson-c -lmnl

BPF_SRCS  ?= $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
BPF_HDRS  := $(wildcard bpf/*.h include/xlb/*.h)

# user/ modules go into one static library; files named *_main.c are programs.
LIB_SRCS  ?= $(filter-out %_main.c,$(wildcard user/*.c))
LIB_OBJS  := $(patsubst user/%.c,$(BUILD)/user/%.o,$(LIB_SRCS))
LIB       := $(BUILD)/libxlb.a
USER_HDRS := $(wildcard user/*.h include/xlb/*.h)
PROGS     := $(patsubst user/%_main.c,$(BUILD)/%,$(wildcard user/*_main.c))

# Criterion suites: one binary, so one summary line for CI.
TEST_SRCS ?= $(wildcard selftests/*.c)
TEST_OBJS := $(patsubst selftests/%.c,$(BUILD)/selftests/%.o,$(TEST_SRCS))
TEST_BIN  := $(BUILD)/xlb-selftests
BENCH_SRCS := $(wildcard selftests/bench/*.c)
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

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(DEPS_STAMP)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $(BUILD)/$*.tmp.o
	$(Q)$(BPFTOOL) gen object $@ $(BUILD)/$*.tmp.o
	$(Q)rm -f $(BUILD)/$*.tmp.o

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

$(BUILD)/user/%.o: user/%.c $(USER_HDRS) $(SKELS) $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/%: $(BUILD)/user/%_main.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS) -lm

$(BUILD)/selftests/%.o: selftests/%.c $(wildcard selftests/*.h) $(USER_HDRS) $(SKELS) $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Wno-override-init -Iselftests -c $< -o $@

$(TEST_BIN): $(TEST_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ -lcriterion $(LDLIBS) -lm

$(BENCH_BIN): $(BENCH_SRCS) $(wildcard selftests/bench/*.h) $(LIB) $(SKELS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Iselftests -Iselftests/bench $(BENCH_SRCS) $(LIB) -o $@ $(LDLIBS) -lm

# The tests load BPF programs and build network namespaces: root (CI is).
# test-unit: the Criterion suites (BPF_PROG_TEST_RUN, controller, config);
# test-e2e: xlbd and XDP in the namespace lab with nginx, curl and ab.
test: test-unit test-e2e

test-unit: all $(TEST_BIN)
	$(Q)$(TEST_BIN) --jobs 2

test-e2e: all
	$(Q)bash scripts/lab-selftest.sh
	$(Q)bash selftests/e2e.sh

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
	$(Q)BUILD=$(abspath $(BUILD)) bash scripts/bench.sh

# HTTP through the VIP in the netns lab, xlb against HAProxy (TCP mode):
# build/bench/http.{json,md,png}. Root; a few minutes.
.PHONY: bench-http
bench-http: all
	$(Q)BUILD=$(abspath $(BUILD)) BENCH_CMD="make bench-http" bash scripts/bench-http.sh

clean:
	$(Q)rm -rf $(BUILD)

format:
	$(Q)clang-format -i bpf/*.[ch] user/*.[ch] include/xlb/*.h selftests/*.[ch]

# The netns lab (scripts/lab.sh); LAB_ID, LAB_BACKENDS, LAB_CLIENTS and
# LAB_LBS pass through the environment.
.PHONY: lab-up lab-down lab-selftest
lab-up: all $(DEPS_STAMP)
	$(Q)LAB_BUILD=$(abspath $(BUILD)) bash scripts/lab.sh up

lab-down:
	$(Q)LAB_BUILD=$(abspath $(BUILD)) bash scripts/lab.sh down

lab-selftest: all $(DEPS_STAMP)
	$(Q)LAB_BUILD=$(abspath $(BUILD)) bash scripts/lab-selftest.sh
