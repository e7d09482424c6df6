# pcitest profile: the PCI bus's guest tests (tests/integration/pci.sh): the
# PCI test function, the exit port and a console. The function runs inside wisp, and
# in its own process with --sandbox=all (pci.sh runs both ways).
DEVICES := uart debug_exit pcitest
TRUSTED := debug_exit
SANDBOXED :=
LOADERS := testimg
# The control plane (--api-sock, monitor/ctl/).
CTL := 1
