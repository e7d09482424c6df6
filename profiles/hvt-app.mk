# hvt-app profile: a solo5-hvt drop-in built for one unikernel. `make hvt
# GUEST=app.hvt` writes build/hvt-app/backends.mk from the unikernel's
# manifest (monitor/tools/hvt_backends.c): DEV_EXTRA and CLI name only the
# back ends it declares; the rest is not in build/hvt-app/wisp.
include profiles/hvt.mk
DEV_EXTRA :=
CLI := cli_hvt
-include build/hvt-app/backends.mk
