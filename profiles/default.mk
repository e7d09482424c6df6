# default profile: a console machine for the project's test images.
# DEVICES: compiled-in device models (devices/<name>.c).
# TRUSTED: those granted the trusted helper table; all others are untrusted.
# SANDBOXED: those run in their own process under policy/dev_<name>.policy
#   (the others run inside wisp under the main and vCPU filters).
# LOADERS: guest loaders compiled in (monitor/boot/loader_<name>.c).
DEVICES := uart i8042 debug_exit
TRUSTED := i8042 debug_exit
SANDBOXED := uart
LOADERS := testimg
# The control plane (--api-sock, monitor/ctl/).
CTL := 1
