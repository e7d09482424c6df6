# Benchmarks (make bench). The baseline (bare) is built with the same musl
# toolchain and wisp's own loader so only the monitor differs.
BENCH_DIR := build/bench
BENCH_EXITS ?= 1000000
BARE_SRCS := tests/bench/bare.c $(wildcard mem/*.c) monitor/loader_testimg.c monitor/cpu_x86.c

$(BENCH_DIR)/bare: $(BARE_SRCS) monitor/loader.h mem/mem.h mem/map.h | setup
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) -static -o $@ $(BARE_SRCS)

$(BENCH_DIR)/bench: tests/bench/bench.c | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(CFLAGS_COMMON) -o $@ $<

bench-tools: $(BENCH_DIR)/bare $(BENCH_DIR)/bench

bench: bench-tools guests hvt-guests
	$(MAKE) all PROFILE=test
	$(MAKE) all PROFILE=hvt
	$(BENCH_DIR)/bench build/test/wisp $(BENCH_DIR)/bare $(GUEST_DIR) $(BENCH_EXITS) \
		build/hvt/wisp $(HVT_GUEST_DIR) tests/bench/hvt_echo.sh

# mem/'s lines: dirty query-and-reset against bare KVM_GET_DIRTY_LOG, map
# lookups against a bare exit (tests/bench/pgm.c).
PGM_SRCS := tests/bench/pgm.c $(wildcard mem/*.c) monitor/loader_testimg.c monitor/cpu_x86.c
$(BENCH_DIR)/pgm: $(PGM_SRCS) monitor/loader.h $(wildcard mem/*.h) | setup
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) -static -o $@ $(PGM_SRCS) -lpthread

bench-tools: $(BENCH_DIR)/pgm
bench: bench-pgm
bench-pgm: bench-tools guests
	$(BENCH_DIR)/pgm $(GUEST_DIR)
.PHONY: bench-pgm
