#!/bin/sh
# tests/integration/cli_image.sh - bad guest images: each gets exit 65 and
# one "wisp: " line. These errors come from the loader, which needs guest
# RAM, so KVM (on the host or in the testbed).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_DEFAULT" "$GUESTS/hello.elf"
need_kvm
W=$WISP_DEFAULT
K=$GUESTS/hello.elf

printf 'this is not an ELF file\n' >"$T/text"
cli_error "non-ELF kernel" 65 --kernel "$T/text"
head -c 100 "$K" >"$T/short.elf"
cli_error "truncated ELF kernel" 65 --kernel "$T/short.elf"
cli_error "dynamic executable as kernel" 65 --kernel /bin/true
cli_error "memory too small for the stacks" 65 --mem 4M --kernel "$K"
cli_error "command line too long" 65 --kernel "$K" \
	--cmdline "$(head -c 5000 /dev/zero | tr '\0' x)"

finish
