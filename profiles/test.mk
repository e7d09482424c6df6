# test profile: what the tests and benchmarks drive: the exit port and the
# test device. No UART: a test checks that none of its code is in this binary.
# Everything runs inside wisp; --sandbox=all moves both into processes.
DEVICES := debug_exit testdev
TRUSTED := debug_exit testdev
SANDBOXED :=
LOADERS := testimg
