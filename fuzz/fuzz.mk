# Fuzz targets: fuzz/<dev>_fuzz.c, one per device. Built two ways:
#   make fuzz          clang libFuzzer + ASan + UBSan -> build/fuzz/lf/<dev>,
#                      each run for FUZZ_TIME seconds over a copy of
#                      fuzz/corpus/<dev>/ (crashes: build/fuzz/crashes/<dev>/)
#   make fuzz-replay   gcc + fuzz/replay.c driver     -> build/fuzz/replay/<dev>
# A target #includes its device's source (its invariants read device state),
# so it links only the framework, the fake helper table and a registry
# holding that one device.
FUZZ_TARGETS := $(patsubst fuzz/%_fuzz.c,%,$(wildcard fuzz/*_fuzz.c))
FUZZ_DIR := build/fuzz
FUZZ_TIME ?= 20
FUZZ_CC := clang
# Compiled with FUZZ_CC and FUZZ_SAN, linked with FUZZ_LD, FUZZ_LDFLAGS and
# FUZZ_ENGINE: fuzz/oss-fuzz/build.sh sets them from OSS-Fuzz's $CC $CFLAGS
# $CXX $CXXFLAGS $LIB_FUZZING_ENGINE (it links with $CXX, its engines being
# C++), and FUZZ_STATIC_LIBS to the -l libraries its runner lacks.
FUZZ_SAN := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := $(CFLAGS_COMMON) -Ifuzz $(FUZZ_SAN)
FUZZ_LD := $(FUZZ_CC)
FUZZ_LDFLAGS := $(FUZZ_SAN)
FUZZ_ENGINE :=
FUZZ_STATIC_LIBS :=
# What the fuzz builds need installed (scripts/setup.sh); OSS-Fuzz's image
# has it from its Dockerfile instead.
FUZZ_SETUP := setup
# UBSan findings must fail the replay, not scroll past.
FUZZ_REPLAY_CFLAGS := $(HOST_CFLAGS) -Ifuzz -fno-sanitize-recover=all
FUZZ_LIBSRCS := devices/framework.c devices/hlp_check.c \
	monitor/devhost/hlp_common.c fuzz/fuzz_core.c fuzz/fuzz_hlp.c fuzz/fuzz_file.c $(wildcard mem/*.c)
FUZZ_DEPS := $(FUZZ_LIBSRCS) devices/dev.h devices/hlp_check.h \
	monitor/devhost/hlp_common.h fuzz/fuzz_hlp.h fuzz/fuzz.mk $(wildcard mem/*.h)
# A virtio device's target links the transport and the virtqueue too
# (VIRTIO_SRCS, Makefile); fuzz/virtio_drv.h sets a driver up for it.
FUZZ_VIRTIO = $(if $(call devs_with,virtio,$(1)),$(VIRTIO_SRCS))

.PRECIOUS: $(FUZZ_DIR)/registry-%.c
$(FUZZ_DIR)/registry-%.c: devices/gen-registry.sh devices/devices.mk devices/%.c
	@mkdir -p $(dir $@)
	devices/gen-registry.sh fuzz-$* "$*" \
		"$(call devs_with,trusted,$*)" > $@.tmp
	mv $@.tmp $@

# Replays link the host objects the unit tests link (tests/unit/unit.mk:
# each source compiled once); libFuzzer builds their own, compiled once
# each into build/fuzz/obj/ with clang's fuzzer instrumentation.
LF_OBJ := $(FUZZ_DIR)/obj
LF_OBJ_CFLAGS := $(FUZZ_CFLAGS) $(HOST_DEFINES)
lf_objs = $(patsubst %.c,$(LF_OBJ)/%.o,$(filter %.c,$(1)))

$(LF_OBJ)/%.o: %.c | $(FUZZ_SETUP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(LF_OBJ_CFLAGS) -MMD -MP -c $< -o $@
-include $(shell find $(LF_OBJ) -name '*.d' 2>/dev/null)

FUZZ_DEV_SRCS = fuzz/$(1)_fuzz.c $(FUZZ_LIBSRCS) $(call FUZZ_VIRTIO,$(1)) \
	$(FUZZ_DIR)/registry-$(1).c

$(FUZZ_DIR)/replay/%: $(HOST_OBJ)/fuzz/replay.o \
		$$(call host_objs,$$(call FUZZ_DEV_SRCS,$$*)) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(FUZZ_REPLAY_CFLAGS) -o $@ $(filter %.o,$^)

# $(call FUZZ_LINK,flags): the target's objects linked with the list's
# libraries and link flags (FUZZ_STATIC_LIBS' -l static), then the engine.
FUZZ_LIBS_OF = $(filter-out %.c -D%,$(1))
define FUZZ_LINK
	@mkdir -p $(dir $@)
	$(FUZZ_LD) $(FUZZ_LDFLAGS) -o $@ $(filter %.o,$^) \
		$(filter-out $(FUZZ_STATIC_LIBS),$(FUZZ_LIBS_OF)) \
		$(if $(filter $(FUZZ_STATIC_LIBS),$(FUZZ_LIBS_OF)),-Wl$(,)-Bstatic \
		$(filter $(FUZZ_STATIC_LIBS),$(FUZZ_LIBS_OF)) -Wl$(,)-Bdynamic) \
		$(FUZZ_ENGINE)
endef
, := ,

$(FUZZ_DIR)/lf/%: $$(call lf_objs,$$(call FUZZ_DEV_SRCS,$$*)) | $(FUZZ_SETUP)
	$(call FUZZ_LINK,)

fuzz-replay: $(addprefix $(FUZZ_DIR)/replay/,$(FUZZ_TARGETS))

# New inputs libFuzzer finds stay in build/fuzz/corpus/<dev>; the committed
# seeds are copied in before each run.
fuzz: $(addprefix $(FUZZ_DIR)/lf/,$(FUZZ_TARGETS))
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/crashes/$$t; \
		cp fuzz/corpus/$$t/* $(FUZZ_DIR)/corpus/$$t/; \
		echo "fuzz: $$t for $(FUZZ_TIME)s"; \
		if ! $(FUZZ_DIR)/lf/$$t -max_total_time=$(FUZZ_TIME) -timeout=10 \
			-print_final_stats=1 \
			-artifact_prefix=$(FUZZ_DIR)/crashes/$$t/ \
			$(FUZZ_DIR)/corpus/$$t >$(FUZZ_DIR)/$$t.log 2>&1; then \
			tail -n 40 $(FUZZ_DIR)/$$t.log; \
			echo "fuzz: $$t FAILED; input in $(FUZZ_DIR)/crashes/$$t/"; \
			exit 1; \
		fi; \
		grep -h 'stat::number_of_executed_units\|stat::new_units_added' \
			$(FUZZ_DIR)/$$t.log | sed "s/^/fuzz: $$t: /"; \
	done

# Library targets: fuzz/<name>_target.c drives a library API (mem/), not a
# device; replayed and fuzzed like the device targets, corpus in
# fuzz/corpus/<name>/.
# A library target may link more of the tree: LIB_FUZZ_EXTRA_<name>.
LIB_FUZZ_TARGETS := $(patsubst fuzz/%_target.c,%,$(wildcard fuzz/*_target.c))
LIB_FUZZ_SRCS := $(wildcard mem/*.c)
LIB_FUZZ_DEPS := $(LIB_FUZZ_SRCS) $(wildcard mem/*.h) fuzz/fuzz.mk
LIB_FUZZ_EXTRA_loader := monitor/boot/loader_testimg.c monitor/boot/loader_hvt.c \
	$(LINUX_LOADER_SRCS) $(BOOT_ELF_SRCS)
# The PCI bus's config space and MSI-X (pci/pci.c) over mem/'s map.
LIB_FUZZ_EXTRA_pci := pci/pci.c devices/framework.c
# A passed-through function's virtualised config space (passthru/).
LIB_FUZZ_EXTRA_vfio_cfg := passthru/vfio_cfg.c
# A passed-through function's VM side over the PCI bus and mem/'s map,
# with a fake VFIO and KVM.
LIB_FUZZ_EXTRA_vfio_vm := $(wildcard passthru/*.c) pci/pci.c \
	devices/framework.c -DWISP_PCI=1 -DWISP_PASSTHRU=1
# The split virtqueue alone, over the fake helper table's RAM.
LIB_FUZZ_EXTRA_virtq := devices/virtq.c devices/framework.c devices/hlp_check.c \
	monitor/devhost/hlp_common.c fuzz/fuzz_core.c fuzz/fuzz_hlp.c \
	fuzz/fuzz_file.c
# Exit dispatch: exit.c with what the unit test of it links (test_exit).
LIB_FUZZ_EXTRA_exit = monitor/kvm/exit.c $(filter-out $(MEM_SRCS),$(DEVPROC_TEST_SRCS)) \
	-DWISP_DISPLAY=1 -lcap-ng -lz
# The control protocol (monitor/ctl/): parser, dispatcher and printers.
LIB_FUZZ_EXTRA_ctl := monitor/ctl/ctl_proto.c monitor/ctl/ctl_print.c -lcjson
# The CLI target: wisp's parser, the device-spec parser and every device's
# options (the unit tests' registry); exit() wrapped so die() returns.
LIB_FUZZ_EXTRA_cli := monitor/cli/cli.c monitor/cli/cli_memopt.c monitor/cli/cli_rom.c \
	passthru/vfio_addr.c \
	monitor/cli/cli_virtio.c \
	monitor/core/log.c monitor/jail/fd.c monitor/boot/loader_testimg.c $(BOOT_ELF_SRCS) \
	devices/framework.c \
	$(DEV_TEST_DEVICES:%=devices/%.c) $(call FUZZ_VIRTIO,$(DEV_TEST_DEVICES)) \
	$(DEV_TEST_REGISTRY) -Wl,--wrap=exit \
	-DWISP_PROFILE='"fuzz"'

# A static pattern rule puts the stem in for every '%' of its
# prerequisites, the filter's too: spelt $(PCT) there, it stays a pattern.
PCT := %
.SECONDEXPANSION:
$(LIB_FUZZ_TARGETS:%=$(FUZZ_DIR)/replay/%): $(FUZZ_DIR)/replay/%: \
		$(HOST_OBJ)/fuzz/%_target.o $(HOST_OBJ)/fuzz/replay.o \
		$$(call host_objs,$(LIB_FUZZ_SRCS) $$(LIB_FUZZ_EXTRA_$$*)) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(FUZZ_REPLAY_CFLAGS) -o $@ $(filter %.o,$^) \
		$(call host_flags,$(LIB_FUZZ_EXTRA_$*)) -lpthread

$(LIB_FUZZ_TARGETS:%=$(FUZZ_DIR)/lf/%): $(FUZZ_DIR)/lf/%: \
		$(LF_OBJ)/fuzz/%_target.o \
		$$(call lf_objs,$(LIB_FUZZ_SRCS) $$(LIB_FUZZ_EXTRA_$$*)) | $(FUZZ_SETUP)
	$(call FUZZ_LINK,$(LIB_FUZZ_EXTRA_$*) -lpthread)

fuzz-replay: $(addprefix $(FUZZ_DIR)/replay/,$(LIB_FUZZ_TARGETS))
fuzz: FUZZ_TARGETS += $(LIB_FUZZ_TARGETS)
fuzz: $(addprefix $(FUZZ_DIR)/lf/,$(LIB_FUZZ_TARGETS))

# The libFuzzer builds alone: `make test` runs each briefly from the
# committed corpus with a fixed seed and run count (tests/run-all.sh), so a
# CI run is short and nearly the same each time; a crash input is kept in
# build/fuzz/crashes/<dev>/ to replay.
fuzz-build: $(addprefix $(FUZZ_DIR)/lf/,$(FUZZ_TARGETS) $(LIB_FUZZ_TARGETS))

# The monitor-side targets: wisp's real helper tables, host-file layer and
# device-process protocol, as test_devhlp links them, with mon_harness.c's
# fake KVM (ioctl wrapped), log counter and futex hook (a device process's
# late answer).
MON_FUZZ_SRCS = fuzz/mon_harness.c monitor/kvm/exit.c \
	$(filter-out $(MEM_SRCS),$(DEVPROC_TEST_SRCS)) -DWISP_DISPLAY=1 \
	-lcap-ng -lz -Wl,--wrap=ioctl -Wl,--wrap=dp_futex_wait
LIB_FUZZ_EXTRA_devproc = $(MON_FUZZ_SRCS)
LIB_FUZZ_EXTRA_devhlp = $(MON_FUZZ_SRCS)
$(foreach t,devproc devhlp,$(FUZZ_DIR)/replay/$(t) $(FUZZ_DIR)/lf/$(t)): \
	fuzz/mon_harness.h $(wildcard monitor/*.h monitor/*/*.h pci/*.h)

# make fuzz-coverage: every target built with clang's source-based coverage
# over fuzz/replay.c (a replay, not libFuzzer) in build/fuzz-cov/, run over
# its corpus, and the line coverage of the code it targets printed
# (fuzz/coverage.sh: llvm-profdata, llvm-cov). That code: a device target's
# device, a library target's FUZZ_COVERS_<name>.
FUZZ_COVERS_cli := $(addprefix monitor/cli/,cli.c cli_memopt.c cli_rom.c cli_virtio.c)
FUZZ_COVERS_ctl := monitor/ctl/ctl_proto.c monitor/ctl/ctl_print.c
FUZZ_COVERS_devhlp := monitor/devhost/devhlp.c monitor/devhost/devfile.c
FUZZ_COVERS_devproc := monitor/devhost/devproc.c
FUZZ_COVERS_exit := monitor/kvm/exit.c
FUZZ_COVERS_loader := monitor/boot/loader_testimg.c monitor/boot/loader_hvt.c
FUZZ_COVERS_map := $(MEM_SRCS)
FUZZ_COVERS_pci := pci/pci.c
FUZZ_COVERS_vfio_cfg := passthru/vfio_cfg.c
FUZZ_COVERS_vfio_vm := passthru/vfio_pci.c passthru/vfio_vm.c
FUZZ_COVERS_virtq := devices/virtq.c
FUZZ_COVERS = $(or $(FUZZ_COVERS_$(1)),devices/$(1).c)
FUZZ_COV_DIR := build/fuzz-cov
FUZZ_COV_FLAGS := -fprofile-instr-generate -fcoverage-mapping
LLVM_VERSION ?= 14
fuzz-coverage: | setup
	$(MAKE) fuzz-replay FUZZ_DIR=$(FUZZ_COV_DIR) HOST_CC=clang \
		HOST_OBJ=$(FUZZ_COV_DIR)/obj \
		HOST_OBJ_CFLAGS="$(CFLAGS_COMMON) -Ifuzz $(FUZZ_COV_FLAGS) $(HOST_DEFINES)" \
		FUZZ_REPLAY_CFLAGS="$(CFLAGS_COMMON) -Ifuzz $(FUZZ_COV_FLAGS)"
	@printf '%-11s %-60s %s\n' target "code it targets" lines
	@rc=0; $(foreach t,$(FUZZ_TARGETS) $(LIB_FUZZ_TARGETS),\
		LLVM_VERSION=$(LLVM_VERSION) fuzz/coverage.sh $(FUZZ_COV_DIR)/replay/$(t) \
			fuzz/corpus/$(t) $(call FUZZ_COVERS,$(t)) || rc=1;) exit $$rc
.PHONY: fuzz-coverage
