# test profile: what the tests and benchmarks drive: the exit port, the
# test device and the framebuffer. No UART: a test checks that none of its
# code is in this binary. Everything runs inside wisp; --sandbox=all moves
# the exit port and the test device into processes.
DEVICES := debug_exit testdev fb
TRUSTED := debug_exit testdev
SANDBOXED :=
LOADERS := testimg
