# Benchmarks (make bench): measured by tests/bench/run.sh on the host's KVM
# or inside the nested testbed, each line saying where. The baseline (bare)
# is built with the same musl toolchain and wisp's own loader so only the
# monitor differs. BENCH_EXITS: exits per exit-cost figure (auto: 1000000
# on the host, 20000 in the testbed, where a sandboxed MMIO exit costs ms).
BENCH_DIR := build/bench
BENCH_EXITS ?= auto
BARE_SRCS := tests/bench/bare.c $(wildcard mem/*.c) monitor/boot/loader_testimg.c monitor/boot/cpu_x86.c \
	monitor/boot/elf.c

$(BENCH_DIR)/bare: $(BARE_SRCS) monitor/boot/loader.h mem/mem.h mem/map.h | setup
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) -static -o $@ $(BARE_SRCS)

$(BENCH_DIR)/bench: tests/bench/bench.c | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(CFLAGS_COMMON) -o $@ $<

bench-tools: $(BENCH_DIR)/bare $(BENCH_DIR)/bench

bench: bench-tools guests hvt-guests linux-guest
	$(MAKE) all PROFILE=test
	$(MAKE) all PROFILE=hvt
	$(MAKE) all PROFILE=vfio
	$(MAKE) all PROFILE=linux
	$(MAKE) bench-size
	tests/bench/run.sh $(BENCH_DIR) $(GUEST_DIR) $(BENCH_EXITS) $(HVT_GUEST_DIR)
	tests/bench/vfio.sh

# mem/'s lines: dirty query-and-reset against bare KVM_GET_DIRTY_LOG, map
# lookups against a bare exit (tests/bench/pgm.c).
PGM_SRCS := tests/bench/pgm.c $(wildcard mem/*.c) monitor/boot/loader_testimg.c monitor/boot/cpu_x86.c \
	monitor/boot/elf.c
$(BENCH_DIR)/pgm: $(PGM_SRCS) monitor/boot/loader.h $(wildcard mem/*.h) | setup
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) -static -o $@ $(PGM_SRCS) -lpthread

bench-tools: $(BENCH_DIR)/pgm

# The Linux figures (tests/bench/linux.c): build/linux/wisp against QEMU's
# microvm, Debian's kernel from the testbed's cache and the test initramfs.
$(BENCH_DIR)/linuxbench: tests/bench/linux.c | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(CFLAGS_COMMON) -o $@ $<

bench-tools: $(BENCH_DIR)/linuxbench

# The control socket's figures (tests/bench/ctlbench.c, a C client so no
# interpreter dominates the round trips): pause/resume and metrics round
# trips against a bare exit, the exit cost under a polling client.
$(BENCH_DIR)/ctlbench: tests/bench/ctlbench.c | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(CFLAGS_COMMON) -o $@ $< -lpthread

bench-tools: $(BENCH_DIR)/ctlbench

# Stripped size of each profile with the control plane against the same
# profile built with CTL=0 into $(NOCTL_DIR)/<profile> (tests/bench/size.sh):
# the profiles that set CTL := 1, themselves or by an include.
CTL_PROFILES := default test sandboxtest pcitest linux linuxpci vfio
NOCTL_DIR := build/noctl
bench-size:
	for p in $(CTL_PROFILES); do \
		$(MAKE) PROFILE=$$p build/$$p/wisp && \
		$(MAKE) PROFILE=$$p CTL=0 B=$(NOCTL_DIR)/$$p $(NOCTL_DIR)/$$p/wisp || exit 1; \
	done
	tests/bench/size.sh $(NOCTL_DIR) $(CTL_PROFILES)
.PHONY: bench-size
