# devices/devices.mk - what each device model (devices/<name>.c) needs, one
# line per device; adding a device adds its line. Read by the Makefile (a
# DEVICES= build's TRUSTED and SANDBOXED, and which parts a profile links),
# tests/unit/unit.mk and fuzz/fuzz.mk (the unit tests' registry, the virtio
# transport) and devices/gen-registry.sh (a device without a line fails the
# build). A profile's own TRUSTED and SANDBOXED lists override the defaults.
#   trusted      gets the trusted helper table by default: every device
#                whose dev_reg has DEV_F_NEEDS_TRUST (wisp refuses to start
#                it without), and testdev (DEV_F_TRUSTABLE)
#   sandboxed    runs in its own process by default
#   pci          a PCI function: the profile gets the PCI bus (pci/, monitor/pci/)
#   virtio       links the virtio transport (devices/virtio_pci.c, virtq.c)
#   display      the profile gets the PNG writer and zlib (--screenshot)
# tests/integration/build.sh checks the builds against the registrations'
# own flags.
DEV_bootport :=
DEV_debug_exit := trusted
DEV_fb := display
DEV_hvt := trusted
DEV_i8042 := trusted
DEV_pcitest := pci
DEV_pm := trusted
DEV_pvpanic := trusted
DEV_rtc :=
DEV_testbad :=
DEV_testdev := trusted
DEV_uart := sandboxed
DEV_virtio_blk := pci virtio
DEV_virtio_net := pci virtio
DEV_virtio_rng := pci virtio

# $(call devs_with,WORD,DEVICES): those of DEVICES whose line has WORD.
devs_with = $(strip $(foreach d,$(2),$(if $(filter $(1),$(DEV_$(d))),$(d))))
