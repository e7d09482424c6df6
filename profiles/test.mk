# test profile: what the tests and benchmarks drive: the exit port, the
# test device and the framebuffer. No UART: a test checks that none of its
# code is in this binary.
DEVICES := debug_exit testdev fb
TRUSTED := debug_exit testdev
LOADERS := testimg
