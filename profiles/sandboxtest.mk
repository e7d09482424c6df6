# sandboxtest profile: the sandbox tests. The test device and the
# misbehaving testbad device each run in their own process; the exit port
# stays trusted inside wisp so a guest can still report its status.
DEVICES := debug_exit testdev testbad
TRUSTED := debug_exit
SANDBOXED := testdev testbad
LOADERS := testimg
# The control plane (--api-sock, monitor/ctl/).
CTL := 1
