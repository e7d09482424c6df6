# linux profile: the platform devices a stock Linux guest (issue 13)
# expects: the 16550A console, the keyboard controller (reset), the CMOS
# clock, pvpanic, the boot debug port, and the exit port for tests.
# Trusted: the devices that end the VM (i8042 resets, pvpanic panics,
# debug_exit powers off). Sandboxed: the console and the clock, untrusted
# and rarely touched after boot (the clock is read at boot and by hwclock;
# its tick runs only while an interrupt is enabled). bootport stays in
# wisp: Linux may write port 0x80 for I/O delays, and a write there costs
# no round trip to a device process.
# LOADERS: the test images for now; the Linux loader (bzImage/PVH) joins
# with issue 13's loader work.
DEVICES := uart i8042 rtc pvpanic bootport debug_exit
TRUSTED := i8042 pvpanic debug_exit
SANDBOXED := uart rtc
LOADERS := testimg
