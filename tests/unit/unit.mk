# Unit tests (cmocka, host gcc with ASan/UBSan). Each test is
# tests/unit/test_<name>.c; list the project sources it links in
# UNIT_SRCS_<name>. Binaries land in build/host/tests/.
UNIT_DIR := build/host/tests
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))

MEM_SRCS := $(wildcard mem/*.c)
UNIT_SRCS_test_mem := $(MEM_SRCS)
UNIT_SRCS_test_map := $(MEM_SRCS)
UNIT_SRCS_test_mmio2 := $(MEM_SRCS)
BOOT_ELF_SRCS := monitor/boot/elf.c monitor/boot/cpu_x86.c
UNIT_SRCS_test_loader := monitor/boot/loader_testimg.c $(BOOT_ELF_SRCS) $(MEM_SRCS)
UNIT_SRCS_test_loader_hvt := monitor/boot/loader_hvt.c $(BOOT_ELF_SRCS) $(MEM_SRCS)
# The Linux loader with its ACPI tables and the DSDT compiled for the host
# (no PCI bus), as the linux profile's build does it.
HOST_DSDT := build/host/dsdt/dsdt.c
LINUX_LOADER_SRCS := monitor/boot/loader_linux.c monitor/boot/acpi.c $(HOST_DSDT)
UNIT_SRCS_test_loader_linux := $(LINUX_LOADER_SRCS) $(BOOT_ELF_SRCS) $(MEM_SRCS)
build/host/dsdt/dsdt.hex: monitor/boot/dsdt.asl | setup
	@mkdir -p $(dir $@)
	iasl -tc -p build/host/dsdt/dsdt $< >/dev/null
$(HOST_DSDT): build/host/dsdt/dsdt.hex
	printf '%s\n' '#include <stddef.h>' '#include "dsdt.hex"' \
		'const unsigned char *const acpi_dsdt_aml = dsdt_aml_code;' \
		'const size_t acpi_dsdt_len = sizeof(dsdt_aml_code);' > $@
UNIT_SRCS_test_iobus := monitor/core/iobus.c devices/hlp_check.c
UNIT_SRCS_test_log := monitor/core/log.c
# The helper tables and exit dispatch reach device processes (devproc*.c),
# which install the real policies: those link the host-compiled roles.
DEVPROC_TEST_SRCS = $(addprefix monitor/devhost/,devproc.c devproc_child.c \
	dpc_calls.c dp_shm.c devproc_handover.c devhlp.c ioevent.c devfile.c \
	chr.c dpc_pci.c hlp_common.c) pci/pci.c monitor/pci/pcibus.c \
	$(wildcard monitor/display/*.c monitor/jail/*.c) monitor/core/iobus.c \
	monitor/core/io.c monitor/core/log.c monitor/screenshot.c $(MEM_SRCS) \
	devices/framework.c devices/hlp_check.c $(POLICY_ROLES_C)
UNIT_SRCS_test_devhlp = monitor/kvm/exit.c $(DEVPROC_TEST_SRCS)
UNIT_SRCS_test_exit = monitor/kvm/exit.c $(DEVPROC_TEST_SRCS)
UNIT_SRCS_test_screenshot = monitor/kvm/exit.c $(DEVPROC_TEST_SRCS)
UNIT_SRCS_test_handover = monitor/kvm/exit.c $(DEVPROC_TEST_SRCS)
UNIT_SRCS_test_cli_virtio = monitor/cli/cli_virtio.c monitor/kvm/exit.c \
	$(DEVPROC_TEST_SRCS)
UNIT_SRCS_test_pci = monitor/kvm/exit.c $(DEVPROC_TEST_SRCS)
UNIT_SRCS_test_devproc_wait = monitor/kvm/exit.c $(DEVPROC_TEST_SRCS)
# What a guest makes a vCPU thread do, under the real vCPU filter, with
# wisp's calls to the malloc family wrapped so that any one is caught.
UNIT_SRCS_test_vcpu_noalloc = monitor/kvm/exit.c $(DEVPROC_TEST_SRCS)
NOALLOC_WRAP := malloc calloc realloc reallocarray free strdup posix_memalign
$(UNIT_DIR)/test_vcpu_noalloc: UNIT_LIBS += -lcap-ng \
	$(foreach f,$(NOALLOC_WRAP),-Wl,--wrap=$(f))
# passthru/ against a fake VFIO and a sysfs tree in /tmp
UNIT_SRCS_test_vfio := $(wildcard passthru/*.c) $(MEM_SRCS) pci/pci.c \
	devices/framework.c
UNIT_SRCS_test_fd := monitor/jail/fd.c monitor/core/log.c monitor/core/stop.c
# test_mmio2 puts a fake KVM behind one fd: mem/'s ioctl calls reach it.
$(UNIT_DIR)/test_mmio2: UNIT_LIBS += -Wl,--wrap=ioctl
# the control protocol over a fake backend; cJSON is Debian's (libcjson-dev)
UNIT_SRCS_test_ctl := monitor/ctl/ctl_proto.c monitor/ctl/ctl_print.c
$(UNIT_DIR)/test_ctl: UNIT_LIBS += -lcjson
# priv.c links the host's libcap-ng (libcap-ng-dev) in these tests.
$(UNIT_DIR)/test_devhlp $(UNIT_DIR)/test_exit $(UNIT_DIR)/test_screenshot \
$(UNIT_DIR)/test_handover $(UNIT_DIR)/test_cli_virtio $(UNIT_DIR)/test_pci \
$(UNIT_DIR)/test_devproc_wait: \
	UNIT_LIBS += -lcap-ng

# Device-model tests drive the devices through the fuzz helper table
# (fuzz/fuzz_hlp.c) and a registry of every device with a fuzz target.
DEV_TEST_DEVICES := $(patsubst fuzz/%_fuzz.c,%,$(wildcard fuzz/*_fuzz.c))
DEV_TEST_TRUSTED := $(call devs_with,trusted,$(DEV_TEST_DEVICES))
DEV_TEST_REGISTRY := build/host/registry.c
DEV_TEST_SRCS := devices/framework.c devices/hlp_check.c \
	monitor/devhost/hlp_common.c fuzz/fuzz_core.c fuzz/fuzz_hlp.c fuzz/fuzz_file.c $(MEM_SRCS) $(DEV_TEST_REGISTRY) \
	$(DEV_TEST_DEVICES:%=devices/%.c) \
	$(if $(call devs_with,virtio,$(DEV_TEST_DEVICES)),$(VIRTIO_SRCS))
UNIT_SRCS_test_framework := $(DEV_TEST_SRCS)
UNIT_SRCS_test_uart := $(DEV_TEST_SRCS)
UNIT_SRCS_test_i8042 := $(DEV_TEST_SRCS)
UNIT_SRCS_test_debug_exit := $(DEV_TEST_SRCS)
UNIT_SRCS_test_pvpanic := $(DEV_TEST_SRCS)
UNIT_SRCS_test_bootport := $(DEV_TEST_SRCS)
UNIT_SRCS_test_rtc := $(DEV_TEST_SRCS)
UNIT_SRCS_test_testdev := $(DEV_TEST_SRCS)
UNIT_SRCS_test_fb := $(DEV_TEST_SRCS)
UNIT_SRCS_test_pm := $(DEV_TEST_SRCS)
# the virtio devices and their transport, driven as a guest driver would
# (tests/unit/virtio_drv.h)
UNIT_SRCS_test_virtq := $(DEV_TEST_SRCS)
UNIT_SRCS_test_fuzz_pci := $(DEV_TEST_SRCS)
UNIT_SRCS_test_virtio_rng := $(DEV_TEST_SRCS)
UNIT_SRCS_test_virtio_blk := $(DEV_TEST_SRCS)
UNIT_SRCS_test_virtio_net := $(DEV_TEST_SRCS)
# the hvt device with both back ends (DEV_EXTRA parts, not registrations)
UNIT_SRCS_test_hvt := $(DEV_TEST_SRCS) devices/hvt_block.c devices/hvt_net.c

# Rewritten only when its content changes (FORCE + cmp, like .profile).
$(DEV_TEST_REGISTRY): devices/gen-registry.sh devices/devices.mk FORCE
	@mkdir -p $(dir $@)
	@devices/gen-registry.sh host "$(DEV_TEST_DEVICES)" \
		"$(DEV_TEST_TRUSTED)" > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

# UBSan findings fail a test instead of printing and passing.
UNIT_CFLAGS := $(HOST_CFLAGS) -fno-sanitize-recover=all -DWISP_DISPLAY=1 \
	-DWISP_PCI=1 -DWISP_PASSTHRU=1

# Host objects: each source is compiled once (ASan, UBSan, the defines of
# every optional part) into build/host/obj/, and every unit test and fuzz
# replay that names it links that object; before, each test compiled its
# whole list again. A list may hold flags besides sources (LIB_FUZZ_EXTRA):
# host_objs takes the sources, host_flags the rest (link flags and
# libraries). OBJ_CFLAGS_<path without .c> adds flags to one object.
HOST_OBJ := build/host/obj
HOST_DEFINES := -DWISP_DISPLAY=1 -DWISP_PCI=1 -DWISP_PASSTHRU=1
HOST_OBJ_CFLAGS := $(UNIT_CFLAGS) -Ifuzz
host_objs = $(patsubst %.c,$(HOST_OBJ)/%.o,$(filter %.c,$(1)))
host_flags = $(filter-out %.c,$(1))

$(HOST_OBJ)/%.o: %.c | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_OBJ_CFLAGS) $(OBJ_CFLAGS_$*) -MMD -MP -c $< -o $@
-include $(shell find $(HOST_OBJ) -name '*.d' 2>/dev/null)
# Objects reached only through pattern rules would count as intermediate
# and be deleted after each build (and so compiled again the next time).
.SECONDARY:

# Second expansion lets each test's prerequisites name its own source list.
.SECONDEXPANSION:
$(UNIT_DIR)/%: $(HOST_OBJ)/tests/unit/%.o $$(call host_objs,$$(UNIT_SRCS_$$*)) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(UNIT_CFLAGS) -o $@ $(filter %.o,$^) \
		$(call host_flags,$(UNIT_SRCS_$*)) -lcmocka -lpthread $(UNIT_LIBS) -lz

unit-tests: $(addprefix $(UNIT_DIR)/,$(UNIT_TESTS))

# test_policy links a policies.c compiled from the fixture policies in
# tests/policy/ (not the real roles), and runs the compiler itself for its
# error cases; test_policy_debug is the same test against the --debug output.
# POLICY_COMPILE comes from policy/policy.mk, included after this file, so
# these prerequisites name it through second expansion ($$).
POLICY_FIXTURES := $(sort $(wildcard tests/policy/*.policy))
POLICY_FIXTURE_C := build/host/policies-fixture.c
POLICY_FIXTURE_DEBUG_C := build/host/policies-fixture-debug.c
POLICY_TEST_CFLAGS = -Ipolicy -DPOLICY_COMPILE='"$(abspath $(POLICY_COMPILE))"'
UNIT_SRCS_test_policy := $(POLICY_FIXTURE_C)

$(POLICY_FIXTURE_C): $$(POLICY_COMPILE) $(POLICY_FIXTURES)
	$(POLICY_COMPILE) -o $@ $(POLICY_FIXTURES)

$(POLICY_FIXTURE_DEBUG_C): $$(POLICY_COMPILE) $(POLICY_FIXTURES)
	$(POLICY_COMPILE) --debug -o $@ $(POLICY_FIXTURES)

OBJ_CFLAGS_tests/unit/test_policy = $(POLICY_TEST_CFLAGS)
$(HOST_OBJ)/tests/unit/test_policy.o: $$(POLICY_COMPILE)

$(UNIT_DIR)/test_policy_debug: tests/unit/test_policy.c $(POLICY_FIXTURE_DEBUG_C) policy/policy.h | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(UNIT_CFLAGS) $(POLICY_TEST_CFLAGS) -DPOLICY_DEBUG_BUILD \
		-o $@ $< $(POLICY_FIXTURE_DEBUG_C) -lcmocka

unit-tests: $(UNIT_DIR)/test_policy_debug

# test_policy_roles: the real policies (policy/*.policy), both ways.
POLICY_ROLES_C := build/host/policies-roles.c
$(POLICY_ROLES_C): $$(POLICY_COMPILE) $$(POLICY_FILES) $$(POLICY_INCS) $$(POLICY_LIST)
	@mkdir -p $(dir $@)
	$(POLICY_COMPILE) -o $@ $(POLICY_FILES)
UNIT_SRCS_test_policy_roles := $(POLICY_ROLES_C)
