# vfio profile: the linuxpci profile with VFIO raw-PCI passthrough
# (passthru/, --vfio; PASSTHRU=1 links it and forces the PCI bus). The
# other profiles contain none of it (nm finds no vfio_ symbol).
include profiles/linuxpci.mk
PASSTHRU := 1
