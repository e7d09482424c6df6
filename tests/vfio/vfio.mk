# tests/vfio/probe: passthru/'s setup path against a real device (the
# testbed's edu behind an emulated IOMMU), no VM; static, so it runs in
# the testbed whatever its root holds.
VFIO_PROBE := build/host/vfio-probe
$(VFIO_PROBE): tests/vfio/probe.c $(wildcard passthru/*.c passthru/*.h) mem/map.h | setup
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) -static -o $@ tests/vfio/probe.c \
		$(filter-out passthru/vfio_pci.c passthru/vfio_vm.c,$(wildcard passthru/*.c))
vfio-probe: $(VFIO_PROBE)
.PHONY: vfio-probe
