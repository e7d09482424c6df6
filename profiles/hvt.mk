# hvt profile: a drop-in for solo5-hvt. Runs unchanged Solo5 hvt unikernels
# (ABI version 2) with solo5-hvt's command line; block and net back ends.
# `make hvt GUEST=app.hvt` builds profile hvt-app: only the back ends that
# unikernel's manifest declares (profiles/hvt-app.mk).
DEVICES := hvt
TRUSTED := hvt
DEV_EXTRA := hvt_block hvt_net
LOADERS := hvt
CLI := cli_hvt cli_hvt_disk cli_hvt_tap
