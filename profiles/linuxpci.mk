# linuxpci profile: the linux profile with the PCI test function, so a
# Linux guest's view of wisp's PCI bus (MCFG, the DSDT's root bridge, BAR
# assignment) is tested before the virtio devices exist
# (tests/integration/linux.sh).
include profiles/linux.mk
DEVICES += pcitest
