#!/bin/sh
# tests/integration/hlt.sh - a guest halted with interrupts off can never
# wake: wisp should notice and exit 72 instead of waiting forever.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_DEFAULT" "$GUESTS/hlt.elf"
need_kvm

run_wisp 10 "$WISP_DEFAULT" --kernel "$GUESTS/hlt.elf"
expect "cli; hlt: wisp exits 72 within 10 s" 72

finish
