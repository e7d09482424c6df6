# pcitest profile: the PCI bus's guest tests (tests/integration/pci.sh): the
# PCI test function and the exit port. The function runs inside wisp, and
# in its own process with --sandbox=all (pci.sh runs both ways).
DEVICES := debug_exit pcitest
TRUSTED := debug_exit
SANDBOXED :=
LOADERS := testimg
