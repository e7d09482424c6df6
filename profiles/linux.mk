# linux profile: a Linux microVM (issue 13): Debian's stock kernels boot as
# a bzImage or a PVH vmlinux (LOADERS linux, with ACPI tables), and the
# platform devices such a guest expects: the 16550A console, the keyboard
# controller (reset), the CMOS clock, pvpanic, the boot debug port, ACPI
# power management (pm: S5 power-off, reset register), and the exit port
# for the project's test images.
# Trusted: the devices that end the VM (i8042 and pm reset, pm powers off,
# pvpanic panics, debug_exit exits). Sandboxed: the console and the clock,
# untrusted and rarely touched after boot (the clock is read at boot and by
# hwclock; its tick runs only while an interrupt is enabled). bootport
# stays in wisp: Linux may write port 0x80 for I/O delays, and a write
# there costs no round trip to a device process. The virtio-pci devices
# (entropy, disks, NICs; devices/virtio.h) are untrusted and each runs in
# its own process: their doorbells are ioeventfds and their interrupts
# MSI-X, so the hot path does not cross wisp.
DEVICES := uart i8042 rtc pvpanic bootport pm debug_exit virtio_rng \
	virtio_blk virtio_net
TRUSTED := i8042 pvpanic pm debug_exit
SANDBOXED := uart rtc virtio_rng virtio_blk virtio_net
LOADERS := testimg linux
# The control plane (--api-sock, monitor/ctl/).
CTL := 1
