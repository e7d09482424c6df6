#!/bin/sh
# tests/integration/build.sh - what the build promises about its binaries:
# static, containing exactly their profile's devices, each placed (trust,
# process) as its registration allows, a DEVICES= build too.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_DEFAULT" "$WISP_TEST" build/pcitest/wisp build/vfio/wisp \
	build/linuxpci/wisp build/custom/wisp

for p in default test; do
	b=build/$p/wisp
	if file -b "$b" | grep -q 'statically linked'; then
		pass "$p: file says statically linked"
	else
		fail "$p: file says: $(file -b "$b")"
	fi
	if ldd "$b" 2>&1 | grep -q 'not a dynamic executable'; then
		pass "$p: ldd says not a dynamic executable"
	else
		fail "$p: ldd says: $(ldd "$b" 2>&1 | head -n 3)"
	fi
done

# No UART code in the test profile. A stripped binary would pass that
# vacuously, so first insist nm sees symbols at all.
nsym=$(nm "$WISP_TEST" 2>/dev/null | grep -c '')
nuart_test=$(nm "$WISP_TEST" 2>/dev/null | grep -ci uart)
nuart_default=$(nm "$WISP_DEFAULT" 2>/dev/null | grep -ci uart)
if [ "$nsym" -gt 0 ] && [ "$nuart_test" -eq 0 ]; then
	pass "test: nm shows no uart symbols (of $nsym)"
else
	fail "test: nm shows $nuart_test uart symbols (of $nsym)"
	nm "$WISP_TEST" | grep -i uart | head -n 5 | sed 's/^/    /'
fi
if [ "$nuart_default" -gt 0 ]; then
	pass "default: nm shows uart symbols ($nuart_default)"
else
	fail "default: nm shows no uart symbols"
fi

# zlib and the PNG writer only where a display device is (test has fb,
# default has none): deflate's symbols and png_encode, counted by nm.
zsyms() { nm "$1" 2>/dev/null | grep -c ' [Tt] \(deflate\|png_encode\|crc32\)'; }
nz_test=$(zsyms "$WISP_TEST")
nz_default=$(zsyms "$WISP_DEFAULT")
if [ "$nz_test" -gt 0 ] && [ "$nz_default" -eq 0 ]; then
	pass "zlib and the PNG writer: $nz_test symbols in test (fb), none in default"
else
	fail "zlib/PNG symbols: $nz_test in test, $nz_default in default (wanted >0 and 0)"
fi

# The PCI bus only where a PCI device is (pcitest has one; default and
# test have none): pci/'s and monitor/pci/'s symbols, counted by nm.
psyms() { nm "$1" 2>/dev/null | grep -c ' [Tt] \(pcibus_\|pci_cfg_\|pci_msix_\)'; }
np_pci=$(psyms build/pcitest/wisp)
np_test=$(psyms "$WISP_TEST")
np_default=$(psyms "$WISP_DEFAULT")
if [ "$np_pci" -gt 0 ] && [ "$np_test" -eq 0 ] && [ "$np_default" -eq 0 ]; then
	pass "PCI bus: $np_pci symbols in pcitest, none in test or default"
else
	fail "PCI symbols: $np_pci in pcitest, $np_test in test, $np_default in default (wanted >0, 0, 0)"
fi

# VFIO passthrough only with PASSTHRU=1 (the vfio profile): passthru/'s
# and the bus's raw-function symbols, none in linuxpci (the same profile
# without it) or default.
vsyms() { nm "$1" 2>/dev/null | grep -ci 'vfio\|pci_bus_add_raw'; }
nv_vfio=$(vsyms build/vfio/wisp)
nv_lpci=$(vsyms build/linuxpci/wisp)
nv_default=$(vsyms "$WISP_DEFAULT")
if [ "$nv_vfio" -gt 0 ] && [ "$nv_lpci" -eq 0 ] && [ "$nv_default" -eq 0 ]; then
	pass "VFIO: $nv_vfio symbols in vfio, none in linuxpci or default"
else
	fail "VFIO symbols: $nv_vfio in vfio, $nv_lpci in linuxpci, $nv_default in default (wanted >0, 0, 0)"
fi

profile_devices() {
	sed -n 's/^DEVICES[ :]*= *//p' "profiles/$1.mk"
}

# Every device name the tree knows: profiles and device sources.
all_devices() {
	{
		for f in profiles/*.mk; do
			sed -n 's/^DEVICES[ :]*= *//p' "$f" | tr ' ' '\n'
		done
		for f in devices/*.c; do
			basename "$f" .c
		done
	} | grep -v -e '^framework$' -e '^$' | sort -u
}

for p in default test; do
	run_wisp 10 "build/$p/wisp" --list-devices
	if [ "$RC" != 0 ]; then
		fail "$p: --list-devices exits 0 (exit $RC)"
		show_output
		continue
	fi
	want=" $(profile_devices "$p") "
	bad=""
	for d in $(all_devices); do
		has=no
		grep -qw -- "$d" "$T/out" && has=yes
		case "$want" in
		*" $d "*) [ "$has" = yes ] || bad="$bad missing:$d" ;;
		*) [ "$has" = no ] || bad="$bad extra:$d" ;;
		esac
	done
	if [ -z "$bad" ]; then
		pass "$p: --list-devices lists exactly:$want"
	else
		fail "$p: --list-devices:$bad"
		show_output
	fi
done

# What wisp checks before it constructs a device (devmgr_check_placement)
# against the registry's trust and place, which --list-devices prints: a
# DEV_F_NEEDS_TRUST device must be trusted, only a DEV_F_TRUSTABLE one may
# be, a DEV_F_NO_SANDBOX one never runs in a process. The flags are read
# from each device's own source, not from devices/devices.mk, which gave
# build/custom (make DEVICES="uart pm debug_exit") its defaults. Running a
# guest needs KVM: placement.sh runs build/custom's.
placed_badly() { # FLAGS TRUST RUNS-IN
	case "$1" in *DEV_F_NEEDS_TRUST*) [ "$2" = trusted ] || return 0 ;; esac
	case "$1" in *DEV_F_TRUSTABLE*) ;; *) [ "$2" = untrusted ] || return 0 ;; esac
	case "$1" in *DEV_F_NO_SANDBOX*) [ "$3" != process ] || return 0 ;; esac
	return 1
}
for p in default test custom; do
	run_wisp 10 "build/$p/wisp" --list-devices
	bad=""
	# shellcheck disable=SC2034
	while read -r d cls trust runs rest; do
		[ -f "devices/$d.c" ] || continue
		flags=$(grep -E '^[[:space:]]*\.flags[[:space:]]*=' "devices/$d.c")
		placed_badly "$flags" "$trust" "$runs" && bad="$bad $d:$trust/$runs"
	done <"$T/out"
	n=$(grep -c '^[a-z_0-9][a-z_0-9]* ' "$T/out")
	if [ "$RC" = 0 ] && [ -z "$bad" ] && [ "$n" -gt 1 ]; then
		pass "$p: every device placed as its flags allow ($((n - 1)) devices)"
	else
		fail "$p: exit $RC, placed against the flags:$bad"
		show_output
	fi
done

finish
