# test profile: what the tests and benchmarks drive: the exit port and the
# test device. No UART: a test checks that none of its code is in this binary.
DEVICES := debug_exit testdev
TRUSTED := debug_exit testdev
LOADERS := testimg
