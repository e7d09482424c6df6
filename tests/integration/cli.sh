#!/bin/sh
# tests/integration/cli.sh - bad user input: each mistake gets its exit code
# from monitor/core/exitcode.h (64 usage, 65 image, 66 missing/unreadable file)
# and exactly one line on stderr, starting "wisp: ".
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_DEFAULT" "$GUESTS/hello.elf"
W=$WISP_DEFAULT
K=$GUESTS/hello.elf

cli_error "unknown option" 64 --bogus --kernel "$K"
cli_error "no --kernel" 64 --mem 64M
cli_error "bad size --mem 12x" 64 --mem 12x --kernel "$K"
cli_error "bad count --cpus 0" 64 --cpus 0 --kernel "$K"
cli_error "bad count --cpus abc" 64 --cpus abc --kernel "$K"
cli_error "too much memory --mem 100T" 64 --mem 100T --kernel "$K"
cli_error "unknown device" 64 --device nosuch --kernel "$K"
cli_error "bad device option value" 64 --device uart,port=zz --kernel "$K"
cli_error "unknown device option" 64 --device uart,bogus=1 --kernel "$K"
cli_error "five UART instances" 64 --device uart --device uart,port=0x2f8 \
	--device uart,port=0x3e8 --device uart,port=0x2e8 \
	--device uart,port=0x2e0 --kernel "$K"
cli_error "debug_exit twice" 64 --device debug_exit --device debug_exit \
	--kernel "$K"
cli_error "missing kernel file" 66 --kernel "$T/no-such-file.elf"
# Root reads any file whatever its mode, so "unreadable" uses a directory:
# opening it works, reading it fails (EISDIR).
cli_error "unreadable kernel (a directory)" 66 --kernel "$T"
if [ "$(id -u)" != 0 ]; then
	cp "$K" "$T/noread.elf" && chmod 000 "$T/noread.elf"
	cli_error "unreadable kernel (mode 000)" 66 --kernel "$T/noread.elf"
fi

run_wisp 10 "$W" --help
if [ "$RC" = 0 ] && grep -q -- --kernel "$T/out"; then
	pass "--help: exit 0, usage on stdout"
else
	fail "--help: exit 0, usage on stdout (exit $RC)"
	show_output
fi
run_wisp 10 "$W" --version
if [ "$RC" = 0 ] && [ -s "$T/out" ]; then
	pass "--version: exit 0, a version on stdout"
else
	fail "--version: exit 0, a version on stdout (exit $RC)"
	show_output
fi

finish
