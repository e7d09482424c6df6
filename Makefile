# wisp - build one static monitor per profile.
#   make [PROFILE=default|test]      build/<profile>/wisp
#   make DEVICES="uart i8042"        build/custom/wisp with exactly those
#   make run | test | bench | fuzz   see README.md
PROFILE ?= default
include devices/devices.mk
ifeq ($(origin DEVICES),command line)
PROFILE := custom
TRUSTED ?= $(call devs_with,trusted,$(DEVICES))
SANDBOXED ?= $(call devs_with,sandboxed,$(DEVICES))
LOADERS ?= testimg
else
include profiles/$(PROFILE).mk
endif

B := build/$(PROFILE)
DEPS := build/deps
CAPNG := $(DEPS)/capng
ZLIB := $(DEPS)/zlib
CJSON := $(DEPS)/cjson
MUSL_INC := $(CAPNG)/musl-include
SETUP := $(DEPS)/.packages

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS_COMMON := -std=gnu11 -O2 -g $(WARN) -Idevices -Imem -Ipci -Imonitor -Ipolicy -Ipassthru -D_GNU_SOURCE
MUSL_CC := musl-gcc
MUSL_CFLAGS := $(CFLAGS_COMMON) -I$(MUSL_INC) -I$(CAPNG)/include -I$(ZLIB)/include \
	-I$(CJSON)/include \
	-fstack-protector-strong
HOST_CC := gcc
HOST_CFLAGS := $(CFLAGS_COMMON) -fsanitize=address,undefined -fno-omit-frame-pointer

# CLI: the profile's command line, monitor/cli/<name>.c for each name: cli
# (wisp's own, with cli_virtio's --disk/--net/--rng) or cli_hvt [cli_hvt_disk] [cli_hvt_tap] (solo5-hvt's).
CLI ?= cli cli_memopt cli_rom cli_virtio
# monitor/'s rooms (docs/architecture.md); the CLI and the loaders
# are the profile's. LOADER_EXTRA_<name>: what a loader brings along.
# A profile with a display device ("display" in devices/devices.mk) gets
# the PNG writer and zlib; the others contain neither (build.sh checks with
# nm). A profile with a PCI device ("pci" there) gets the PCI bus (pci/,
# and its glue monitor/pci/; WISP_PCI=1: host bridge, conf1, ECAM, MSI-X,
# the DSDT's root bridge and the MCFG table); the others contain none of it.
HAS_PCI := $(if $(call devs_with,pci,$(DEVICES)),1,0)
MON_ROOMS := core jail kvm devhost $(if $(filter 1,$(HAS_PCI)),pci)
# The control plane (monitor/ctl/, --api-sock): a profile sets CTL=1; the
# others link none of it (nm finds no ctl_ symbol, no cJSON). WISP_CTL=1.
CTL ?= 0
HAS_CTL := $(if $(filter 1,$(CTL)),1,0)
# VFIO raw-PCI passthrough (passthru/, --vfio): a profile sets PASSTHRU=1
# (it needs the PCI bus, so HAS_PCI is forced on); WISP_PASSTHRU=1. The
# others link none of it (nm finds no vfio_ symbol).
PASSTHRU ?= 0
HAS_PASSTHRU := $(if $(filter 1,$(PASSTHRU)),1,0)
ifeq ($(HAS_PASSTHRU),1)
HAS_PCI := 1
MON_ROOMS := core jail kvm devhost pci
endif
PASSTHRU_SRCS := $(if $(filter 1,$(HAS_PASSTHRU)),$(wildcard passthru/*.c))
LOADER_EXTRA_linux := monitor/boot/acpi.c
HAS_DISPLAY := $(if $(call devs_with,display,$(DEVICES)),1,0)
DISPLAY_SRCS := monitor/display/check.c $(if $(filter 1,$(HAS_DISPLAY)),\
	monitor/display/render.c monitor/display/png.c)
MON_SRCS := $(wildcard monitor/*.c) \
	$(foreach r,$(MON_ROOMS) $(if $(filter 1,$(HAS_CTL)),ctl),$(wildcard monitor/$(r)/*.c)) $(DISPLAY_SRCS) \
	monitor/boot/cpu_x86.c monitor/boot/elf.c $(CLI:%=monitor/cli/%.c) \
	$(foreach l,$(LOADERS),monitor/boot/loader_$(l).c $(LOADER_EXTRA_$(l)))
PCI_SRCS := $(if $(filter 1,$(HAS_PCI)),$(wildcard pci/*.c))
CORE_SRCS := $(MON_SRCS) $(wildcard mem/*.c) $(PCI_SRCS) devices/framework.c \
	devices/hlp_check.c $(PASSTHRU_SRCS)
# DEV_EXTRA: parts of a device linked only when a profile names them (the
# hvt device's back ends: hvt_block hvt_net).
# The virtio transport and virtqueue (devices/virtio.h): a library, not a
# registration, linked when the profile names a "virtio" device.
VIRTIO_SRCS := devices/virtio_pci.c devices/virtq.c
DEV_SRCS := $(foreach d,$(DEVICES) $(DEV_EXTRA),devices/$(d).c) \
	$(if $(call devs_with,virtio,$(DEVICES)),$(VIRTIO_SRCS))
WISP_SRCS := $(CORE_SRCS) $(DEV_SRCS)
WISP_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(WISP_SRCS)) $(B)/obj/registry.o \
	$(B)/obj/policies.o $(if $(filter linux,$(LOADERS)),$(B)/obj/dsdt.o)
# wisp-debug: the same monitor whose filters trap and name a denied syscall
# instead of killing (development only, never the default binary).
WISP_DEBUG_OBJS := $(filter-out $(B)/obj/monitor/jail/sandbox.o $(B)/obj/policies.o,$(WISP_OBJS)) \
	$(B)/obj/sandbox-debug.o $(B)/obj/policies-debug.o

.PHONY: all run test bench fuzz setup clean guests unit-tests fuzz-replay \
	fuzz-build
all: $(B)/wisp $(B)/wisp-debug

setup: $(SETUP) $(CAPNG)/lib/libcap-ng.a $(ZLIB)/lib/libz.a $(CJSON)/lib/libcjson.a

$(SETUP): scripts/setup.sh
	@mkdir -p $(DEPS)
	scripts/setup.sh packages
	@touch $@

$(CAPNG)/lib/libcap-ng.a: scripts/setup.sh | $(SETUP)
	scripts/setup.sh capng $(abspath $(CAPNG))
	@touch $@

$(CJSON)/lib/libcjson.a: scripts/setup.sh | $(SETUP)
	scripts/setup.sh cjson $(abspath $(CJSON))
	@touch $@

$(ZLIB)/lib/libz.a: scripts/setup.sh | $(SETUP)
	scripts/setup.sh zlib $(abspath $(ZLIB))
	@touch $@

# The registry depends on the profile's content, so it is regenerated when the
# device list or trust changes (the .profile stamp holds both).
$(B)/.profile: FORCE
	@mkdir -p $(B)
	@echo "$(DEVICES)|$(TRUSTED)|$(SANDBOXED)|$(LOADERS)|$(CLI)|$(DEV_EXTRA)|$(HAS_DISPLAY)|$(HAS_PCI)|$(HAS_PASSTHRU)|$(HAS_CTL)" | cmp -s - $@ || \
		echo "$(DEVICES)|$(TRUSTED)|$(SANDBOXED)|$(LOADERS)|$(CLI)|$(DEV_EXTRA)|$(HAS_DISPLAY)|$(HAS_PCI)|$(HAS_PASSTHRU)|$(HAS_CTL)" > $@
FORCE:

$(B)/registry.c: devices/gen-registry.sh devices/devices.mk $(B)/.profile
	devices/gen-registry.sh "$(PROFILE)" "$(DEVICES)" "$(TRUSTED)" \
		"$(SANDBOXED)" > $@.tmp
	mv $@.tmp $@

$(B)/obj/registry.o: $(B)/registry.c devices/dev.h | setup
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) -c $< -o $@

# The DSDT: monitor/boot/dsdt.asl compiled by iasl (acpica-tools) into a C array.
# With a PCI bus: -DWISP_PCI adds the root bridge (iasl's preprocessor);
# with passthrough -DWISP_PASSTHRU its _PRT (INTx of passed-through functions).
$(B)/dsdt.hex: monitor/boot/dsdt.asl $(B)/.profile | setup
	@mkdir -p $(dir $@)
	iasl -tc $(if $(filter 1,$(HAS_PCI)),-DWISP_PCI) \
		$(if $(filter 1,$(HAS_PASSTHRU)),-DWISP_PASSTHRU) -p $(B)/dsdt $< >/dev/null
$(B)/dsdt.c: $(B)/dsdt.hex
	printf '%s\n' '#include <stddef.h>' '#include "dsdt.hex"' \
		'const unsigned char *const acpi_dsdt_aml = dsdt_aml_code;' \
		'const size_t acpi_dsdt_len = sizeof(dsdt_aml_code);' > $@
$(B)/obj/dsdt.o: $(B)/dsdt.c
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) -I$(B) -c $< -o $@

$(B)/obj/policies.o $(B)/obj/policies-debug.o: $(B)/obj/%.o: $(B)/%.c policy/policy.h | setup
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) -c $< -o $@

$(B)/obj/sandbox-debug.o: monitor/jail/sandbox.c | setup
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) -DWISP_SECCOMP_DEBUG -c $< -o $@

$(B)/obj/%.o: %.c $(B)/.profile | setup
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) -DWISP_PROFILE='"$(PROFILE)"' \
		-DWISP_LOADERS='"$(LOADERS)"' $(LOADERS:%=-DWISP_LOADER_%) \
		-DWISP_DISPLAY=$(HAS_DISPLAY) -DWISP_PCI=$(HAS_PCI) \
		-DWISP_PASSTHRU=$(HAS_PASSTHRU) -DWISP_CTL=$(HAS_CTL) -MMD -MP -c $< -o $@

WISP_LIBS := $(CAPNG)/lib/libcap-ng.a $(if $(filter 1,$(HAS_DISPLAY)),$(ZLIB)/lib/libz.a) \
	$(if $(filter 1,$(HAS_CTL)),$(CJSON)/lib/libcjson.a)
$(B)/wisp: $(WISP_OBJS) $(WISP_LIBS)
	$(MUSL_CC) -static -o $@ $(WISP_OBJS) $(WISP_LIBS) -lpthread

$(B)/wisp-debug: $(WISP_DEBUG_OBJS) $(WISP_LIBS)
	$(MUSL_CC) -static -o $@ $(WISP_DEBUG_OBJS) $(WISP_LIBS) -lpthread

-include $(WISP_OBJS:.o=.d)

include tests/guests/guests.mk
include tests/hvt/hvt.mk
include tests/unit/unit.mk
include fuzz/fuzz.mk
include tests/bench/bench.mk
include tests/vfio/vfio.mk
include policy/policy.mk

# make hvt: build/hvt/wisp, a solo5-hvt drop-in with block and net.
# make hvt GUEST=app.hvt: build/hvt-app/wisp with only the back ends the
# unikernel's manifest declares (read at build time by HVT_BACKENDS).
HVT_BACKENDS := build/host/hvt-backends
HVT_BACKENDS_SRCS := monitor/tools/hvt_backends.c monitor/boot/loader_hvt.c \
	monitor/boot/elf.c $(wildcard mem/*.c)
$(HVT_BACKENDS): $(HVT_BACKENDS_SRCS) monitor/boot/hvt.h monitor/boot/elf.h devices/hvt_abi.h | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(CFLAGS_COMMON) -o $@ $(HVT_BACKENDS_SRCS) -lpthread

.PHONY: hvt
ifdef GUEST
hvt: $(HVT_BACKENDS) $(GUEST)
	@mkdir -p build/hvt-app
	$(HVT_BACKENDS) $(GUEST) > build/hvt-app/backends.mk.tmp
	@cmp -s build/hvt-app/backends.mk.tmp build/hvt-app/backends.mk || \
		mv build/hvt-app/backends.mk.tmp build/hvt-app/backends.mk
	@rm -f build/hvt-app/backends.mk.tmp
	$(MAKE) all PROFILE=hvt-app
else
hvt:
	$(MAKE) all PROFILE=hvt
endif

# The profiles tests/integration/placement.sh runs (and slowcon.sh's UART
# inside wisp, and build.sh's DEVICES= build): built here, on the host, so the guest tier (perhaps inside
# the testbed) never compiles.
PLACE = $(MAKE) -s PROFILE=place-$(1) DEVICES="debug_exit fb" TRUSTED="$(2)" \
	SANDBOXED="$(3)" build/place-$(1)/wisp
test-profiles:
	$(call PLACE,fbtrusted,debug_exit fb,)
	$(call PLACE,untrusted,,)
	$(call PLACE,control,debug_exit,)
	$(call PLACE,fbsandboxed,debug_exit,fb)
	$(MAKE) -s PROFILE=uartin DEVICES="uart debug_exit" \
		TRUSTED=debug_exit SANDBOXED= build/uartin/wisp
	$(MAKE) -s DEVICES="$(CUSTOM_TEST_DEVICES)" build/custom/wisp
.PHONY: test-profiles
# A DEVICES= build with the defaults of devices/devices.mk (build.sh,
# placement.sh); pm and debug_exit need the trusted table.
CUSTOM_TEST_DEVICES := uart pm debug_exit

# The Linux guest of tests/integration/linux.sh: Debian's kernel (the
# testbed's cached package: bzImage and PVH vmlinux) and a busybox
# initramfs (tests/linux/) holding that kernel's virtio modules, so the
# testbed is prepared first: its .stamp is rewritten whenever prepare.sh
# rebuilds the kernel tree (touched here when prepare.sh found it current).
LINUX_GUEST := build/linux-guest/initramfs.cpio
TESTBED_STAMP := build/testbed/.stamp
$(TESTBED_STAMP): tests/testbed/prepare.sh tests/testbed/mods.sh \
		tests/testbed/init | setup
	tests/testbed/prepare.sh build/testbed
	touch $@
$(LINUX_GUEST): tests/linux/init tests/linux/mkinitramfs.sh \
		tests/testbed/mods.sh $(TESTBED_STAMP) | setup
	@mkdir -p $(dir $@)
	tests/linux/mkinitramfs.sh $@ build/testbed
# Debian's cloud kernel (tests/linux/cloud-kernel.sh: the
# linux-image-cloud-amd64 package, cached in build/linux-cloud/pkg) and an
# initramfs of that package's own modules.
LINUX_CLOUD := build/linux-cloud
LINUX_CLOUD_GUEST := $(LINUX_CLOUD)/initramfs.cpio
$(LINUX_CLOUD)/.stamp: tests/linux/cloud-kernel.sh | setup
	tests/linux/cloud-kernel.sh $(LINUX_CLOUD)
	touch $@
$(LINUX_CLOUD_GUEST): tests/linux/init tests/linux/mkinitramfs.sh \
		tests/testbed/mods.sh $(LINUX_CLOUD)/.stamp | setup
	tests/linux/mkinitramfs.sh $@ $(LINUX_CLOUD)
linux-guest: $(TESTBED_STAMP) $(LINUX_GUEST) $(LINUX_CLOUD_GUEST)
.PHONY: linux-guest

run: $(B)/wisp $(GUEST_DIR)/hello.elf
	tests/testbed/on-kvm $(B)/wisp --kernel $(GUEST_DIR)/hello.elf

# make test: what the guest tier needs first, then that tier starts in the
# background (tests/run-all.sh --start-guests: the testbed's vCPU on one
# core) while the host tests build and run on the other; builds use every
# core (NPROC jobs). run-all.sh prints each tier's time.
NPROC := $(shell nproc 2>/dev/null || echo 2)
test: setup
	$(MAKE) -j$(NPROC) all PROFILE=default
	$(MAKE) -j$(NPROC) all PROFILE=test
	$(MAKE) -j$(NPROC) all PROFILE=sandboxtest
	$(MAKE) -j$(NPROC) all PROFILE=hvt
	$(MAKE) -j$(NPROC) all PROFILE=linux
	$(MAKE) -j$(NPROC) all PROFILE=pcitest
	$(MAKE) -j$(NPROC) all PROFILE=linuxpci
	$(MAKE) -j$(NPROC) all PROFILE=vfio
	$(MAKE) -j$(NPROC) guests hvt-guests test-profiles
	$(MAKE) linux-guest # one apt download at a time
	$(MAKE) hvt GUEST=$(HVT_GUEST_DIR)/hello.hvt
	tests/run-all.sh --start-guests
	$(MAKE) -j$(NPROC) unit-tests fuzz-replay fuzz-build bench-tools
	tests/run-all.sh

clean:
	rm -rf build/default build/test build/linux build/pcitest build/linuxpci build/vfio build/custom build/place-* build/host build/guests build/fuzz build/fuzz-cov build/bench \
		build/hvt build/hvt-app build/hvt-guests
