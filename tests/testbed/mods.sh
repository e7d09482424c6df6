# tests/testbed/mods.sh - sourced (". mods.sh") by the scripts that put
# Debian kernel modules into an initramfs: tests/testbed/prepare.sh (the
# testbed's own guest) and tests/linux/mkinitramfs.sh (the Linux guest wisp
# boots). Set MODDIR (the package's lib/modules/VERSION/kernel) and MODS
# (the initramfs's module folder) first; the caller defines die().
# add_mod copies a module into MODS after its dependencies and appends its
# name to MODS/all, which is therefore a valid load order, and its
# "name: deps" line to MODS/deps.

modinfo_deps() { # file.ko -> its depends= names, one per line
	objcopy -O binary --only-section=.modinfo "$1" /dev/stdout |
		tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' '\n' | grep .
}

# Copy a module and, first, its dependencies; append to the load order.
add_mod() { # name (- and _ are the same to the kernel)
	local n f d
	n=$(echo "$1" | tr '-' '_')
	grep -qx "$n" "$MODS/all" 2>/dev/null && return 0
	f=$(find "$MODDIR" -name "$n.ko" -o -name "$(echo "$n" | tr '_' '-').ko" | head -n1)
	[ -n "$f" ] || die "module $1 is not in the kernel package"
	for d in $(modinfo_deps "$f" || true); do add_mod "$d"; done
	cp "$f" "$MODS/$n.ko"
	echo "$n" >>"$MODS/all"
	echo "$n: $(modinfo_deps "$f" | tr '-' '_' | tr '\n' ' ')" >>"$MODS/deps"
}
