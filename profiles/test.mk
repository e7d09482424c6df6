# test profile: what the tests and benchmarks drive: the exit port, the
# test device and the framebuffer. No UART: a test checks that none of its
# code is in this binary. Everything runs inside wisp (fb.sh, dirty.sh and
# the benches drive fb there); --sandbox=all moves every device, fb too,
# into its own process (fb.sh runs both ways).
DEVICES := debug_exit testdev fb
TRUSTED := debug_exit testdev
SANDBOXED :=
LOADERS := testimg
# The control plane (--api-sock, monitor/ctl/).
CTL := 1
