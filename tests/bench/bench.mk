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
