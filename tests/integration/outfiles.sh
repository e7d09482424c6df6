#!/bin/sh
# tests/integration/outfiles.sh - output files (--serial file:, --screenshot)
# are opened while wisp may be root: a symbolic link anywhere in the path, a
# second name (hard link) or, already there, another uid's file is refused
# with one line and exit 66, the file left untouched; a file wisp writes is
# 0600 and, with --user, the user's. The
# files are opened before /dev/kvm, so no guest runs (no KVM needed).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
W=$WISP_TEST
need_built "$W"

echo precious >"$T/target"
ln -s "$T/target" "$T/link"
ln "$T/target" "$T/hard"

# untouched NAME [FILE [MODE]]: FILE (the target) still says precious and
# has its mode (644 as echo made it).
untouched() {
	f=${2:-$T/target}
	m=$(stat -c %a "$f")
	if [ "$(cat "$f")" = precious ] && [ "$m" = "${3:-644}" ]; then
		pass "$1: the target is untouched"
	else
		fail "$1: the target was written (mode $m)"
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

# refused NAME WHY ARGS...: exit 66 with one line, which says WHY (the
# missing kernel gives 66 too, once the file is opened).
refused() {
	name=$1
	why=$2
	shift 2
	cli_error "$name" 66 "$@" --kernel /nonexistent
	grep -q "$why" "$T/err" || fail "$name: the line does not say '$why'"
}

# A link in a folder of the path, not only at its end: the kernel would
# follow it (as root) to a file of another's.
mkdir "$T/real"
echo precious >"$T/real/target"
ln -s "$T/real" "$T/dirlink"
refused "--serial file: through a linked folder refused" "symbolic link" \
	--serial "file:$T/dirlink/target"
untouched "--serial linked folder" "$T/real/target"
refused "--screenshot through a linked folder refused" "symbolic link" \
	--screenshot "$T/dirlink/target"
untouched "--screenshot linked folder" "$T/real/target"

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

	# A file already there must be the uid's wisp runs as: --user's,
	# else wisp's own (root here).
	echo precious >"$T/other"
	chown 4242 "$T/other"
	refused "--serial file: of another uid refused" "belongs to uid" \
		--serial "file:$T/other"
	untouched "--serial another uid's file" "$T/other"
	echo precious >"$T/mine"
	refused "--user: --screenshot of root's file refused" "belongs to uid" \
		--user 4242:4343 --screenshot "$T/mine"
	untouched "--user: root's file" "$T/mine"
	run_wisp 10 "$W" --user 4242:4343 --serial "file:$T/other" \
		--kernel /nonexistent
	o=$(stat -c '%a %s' "$T/other")
	if [ "$o" = "600 0" ]; then
		pass "--user: the user's own file is taken, 0600, truncated"
	else
		fail "--user: the user's own file is '$o', wanted '600 0'"
	fi
fi

finish
