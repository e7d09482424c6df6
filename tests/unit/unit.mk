# Unit tests (cmocka, host gcc with ASan/UBSan). Each test is
# tests/unit/test_<name>.c; list the project sources it links in
# UNIT_SRCS_<name>. Binaries land in build/host/tests/.
UNIT_DIR := build/host/tests
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))

UNIT_SRCS_test_mem := mem/mem.c
UNIT_SRCS_test_loader := monitor/loader_testimg.c mem/mem.c
UNIT_SRCS_test_iobus := monitor/iobus.c
UNIT_SRCS_test_devhlp := monitor/devhlp.c monitor/exit.c monitor/iobus.c monitor/log.c mem/mem.c devices/framework.c

# Second expansion lets each test's prerequisites name its own source list.
.SECONDEXPANSION:
$(UNIT_DIR)/%: tests/unit/%.c $$(UNIT_SRCS_$$*) $(wildcard devices/*.h mem/*.h monitor/*.h fuzz/*.h) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -Ifuzz -o $@ $< $(UNIT_SRCS_$*) -lcmocka -lpthread

unit-tests: $(addprefix $(UNIT_DIR)/,$(UNIT_TESTS))
