# Fuzz targets: fuzz/<dev>_fuzz.c, one per device. Built two ways:
#   make fuzz          clang libFuzzer + ASan + UBSan -> build/fuzz/lf/<dev>
#   make fuzz-replay   gcc + fuzz/replay.c driver     -> build/fuzz/replay/<dev>
FUZZ_TARGETS := $(patsubst fuzz/%_fuzz.c,%,$(wildcard fuzz/*_fuzz.c))
fuzz-replay:
fuzz:
