#!/bin/sh
# tests/integration/outfiles.sh - output files (--serial file:, --screenshot)
# are opened while wisp may be root: a symbolic link or a second name (hard
# link) at the path is refused with one line and exit 66, its target left
# untouched; a file wisp writes is 0600 and, with --user, the user's. The
# files are opened before /dev/kvm, so no guest runs (no KVM needed).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
W=$WISP_TEST
need_built "$W"

echo precious >"$T/target"
ln -s "$T/target" "$T/link"
ln "$T/target" "$T/hard"

untouched() {
	if [ "$(cat "$T/target")" = precious ]; then
		pass "$1: the target is untouched"
	else
		fail "$1: the target was written"
	fi
}

cli_error "--serial file: through a symlink refused" 66 \
	--serial "file:$T/link" --kernel /nonexistent
untouched "--serial symlink"
cli_error "--screenshot through a symlink refused" 66 \
	--screenshot "$T/link" --kernel /nonexistent
untouched "--screenshot symlink"
cli_error "--serial file: with a second name refused" 66 \
	--serial "file:$T/hard" --kernel /nonexistent
untouched "--serial hard link"

# The kernel is missing (66 after the files are open): what the files are
# like is all this case looks at.
echo old >"$T/serial"
chmod 644 "$T/serial"
run_wisp 10 "$W" --serial "file:$T/serial" --screenshot "$T/shot.png" \
	--kernel /nonexistent
for f in serial shot.png; do
	m=$(stat -c '%a %s' "$T/$f" 2>/dev/null)
	if [ "$m" = "600 0" ]; then
		pass "$f: mode 0600, truncated"
	else
		fail "$f: mode and size '$m', wanted '600 0'"
	fi
done

if [ "$(id -u)" = 0 ]; then
	rm -f "$T/serial"
	run_wisp 10 "$W" --user 4242:4343 --serial "file:$T/serial" \
		--kernel /nonexistent
	o=$(stat -c '%u:%g' "$T/serial" 2>/dev/null)
	if [ "$o" = 4242:4343 ]; then
		pass "--user: the serial file is the user's"
	else
		fail "--user: the serial file is owned by '$o', wanted 4242:4343"
	fi
fi

finish
