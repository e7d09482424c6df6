#!/bin/sh
# tests/bench/size.sh NOCTL_DIR PROFILE... - `make bench`'s size figures:
# each profile's wisp stripped, with the control plane (build/<p>/wisp) and
# without it (NOCTL_DIR/<p>/wisp, the same profile built with CTL=0), as
# "bench size-<p>-ctl: N KiB (Rx vs without M KiB)". nm checks that the one
# has the control plane (ctl_open, cJSON) and the other none of it, so the
# ratio compares what it says.
cd "$(dirname "$0")/../.." || exit 1
N=$1
shift
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
ctlsyms() { nm "$1" 2>/dev/null | grep -c ' [Tt] \(ctl_\|cJSON_\)'; }
kib() { strip -o "$tmp/s" "$1" && echo $((($(stat -c %s "$tmp/s") + 512) / 1024)); }
rc=0
for p in "$@"; do
	with=build/$p/wisp without=$N/$p/wisp
	if [ "$(ctlsyms "$with")" -eq 0 ] || [ "$(ctlsyms "$without")" -ne 0 ]; then
		echo "bench size-$p-ctl: $with should have ctl_/cJSON_ symbols and $without none" >&2
		rc=1
		continue
	fi
	if ! a=$(kib "$with") || ! b=$(kib "$without"); then
		rc=1
		continue
	fi
	echo "bench size-$p-ctl: $a KiB ($(echo "$a $b" | awk '{printf "%.3f", $1 / $2}')x vs without $b KiB) [stripped, $(uname -m) build host]"
done
exit $rc
