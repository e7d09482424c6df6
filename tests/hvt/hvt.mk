# The project's own hvt-ABI test unikernels (tests/hvt/), freestanding C with
# the ABI and manifest notes, built into build/hvt-guests/<name>.hvt.
#   HVT_TESTS:  <name>.c + start.S + hvtlib.c
#   HVT_BAD:    bad.c + hvtlib.c built with one -D each: notes wisp refuses
HVT_GUEST_DIR := build/hvt-guests
HVT_TESTS := hello walltime poll halt wild zeropage block net maxmft
HVT_BAD_badver := -DABI_VER=3
HVT_BAD_badtarget := -DABI_TARGET=2
HVT_BAD_noabi := -DNO_ABI_NOTE
HVT_BAD_mftver := -DMFT_VERSION_USED=2
HVT_BAD_mftcount := -DMFT_ENTRIES_DELTA=1
HVT_BAD_mftattached := -DMFT_ATTACHED
HVT_BAD_mftname := -DMFT_BADNAME
HVT_BAD_mfttype := -DMFT_BADTYPE
HVT_BAD := badver badtarget noabi mftver mftcount mftattached mftname mfttype
HVT_GCFLAGS := $(GUEST_CFLAGS) -Idevices -Itests/hvt
HVT_GLDFLAGS := $(GUEST_LDFLAGS) -z max-page-size=0x1000 -T tests/hvt/hvt.ld
HVT_GDEPS := tests/hvt/hvtlib.h devices/hvt_abi.h tests/hvt/hvt.mk
HVT_GOBJ := $(HVT_GUEST_DIR)/obj

$(HVT_GOBJ)/%.o: tests/hvt/%.c $(HVT_GDEPS)
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(HVT_GCFLAGS) -c $< -o $@

$(HVT_GOBJ)/start.o: tests/hvt/start.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) -c $< -o $@

$(HVT_GUEST_DIR)/%.hvt: $(HVT_GOBJ)/start.o $(HVT_GOBJ)/%.o \
		$(HVT_GOBJ)/hvtlib.o tests/hvt/hvt.ld
	$(GUEST_LD) $(HVT_GLDFLAGS) -o $@ $(filter %.o,$^)

define hvt_bad_rule
$(HVT_GOBJ)/bad-$(1).o: tests/hvt/bad.c $(HVT_GDEPS)
	@mkdir -p $$(dir $$@)
	$(GUEST_CC) $(HVT_GCFLAGS) $(HVT_BAD_$(1)) -c $$< -o $$@
$(HVT_GOBJ)/hvtlib-$(1).o: tests/hvt/hvtlib.c $(HVT_GDEPS)
	@mkdir -p $$(dir $$@)
	$(GUEST_CC) $(HVT_GCFLAGS) $(HVT_BAD_$(1)) -c $$< -o $$@
$(HVT_GUEST_DIR)/bad-$(1).hvt: $(HVT_GOBJ)/start.o $(HVT_GOBJ)/bad-$(1).o \
		$(HVT_GOBJ)/hvtlib-$(1).o tests/hvt/hvt.ld
	$(GUEST_LD) $(HVT_GLDFLAGS) -o $$@ $$(filter %.o,$$^)
endef
$(foreach b,$(HVT_BAD),$(eval $(call hvt_bad_rule,$(b))))

.PRECIOUS: $(HVT_GOBJ)/%.o
hvt-guests: $(HVT_TESTS:%=$(HVT_GUEST_DIR)/%.hvt) \
	$(HVT_BAD:%=$(HVT_GUEST_DIR)/bad-%.hvt)

# Host side of the net echo test and benchmark.
HVT_ECHO := build/host/hvt-echo
$(HVT_ECHO): tests/hvt/hvt_echo.c | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(CFLAGS_COMMON) -o $@ $<
hvt-guests: $(HVT_ECHO)
