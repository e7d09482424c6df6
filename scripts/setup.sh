#!/bin/sh
# scripts/setup.sh - install what wisp needs on Debian 12 and build the musl
# dependencies. Idempotent; `make` runs it through a stamp file.
#   setup.sh packages   install missing Debian packages
#   setup.sh capng DIR  build libcap-ng for musl into DIR (lib/ and include/)
#   setup.sh zlib DIR   build zlib for musl into DIR (lib/ and include/)
set -eu

PKGS="build-essential musl-tools libcmocka-dev libseccomp-dev libcap-ng-dev clang
libfuzzer-14-dev libclang-rt-14-dev dpkg-dev iproute2 file binutils
qemu-system-x86 busybox-static xz-utils cpio acpica-tools zlib1g-dev
e2fsprogs libcjson-dev python3 llvm-14"

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

packages() {
	missing=""
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "setup: installing Debian packages:$missing"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends $missing
}

# deb-src entries derived from the machine's own apt sources (deb822 and
# one-line formats), written into a private apt state under $1 so the host
# configuration is never modified and no archive host is named here.
derive_src_lists() {
	out="$1/sources.list.d"
	mkdir -p "$out"
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		sed -e 's/^Types:.*/Types: deb-src/' "$f" >"$out/$(basename "$f")"
	done
	if [ -f /etc/apt/sources.list ]; then
		sed -n -e 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list \
			>"$out/from-sources-list.list"
	fi
}

apt_private() {
	state="$1"; shift
	apt-get -o APT::Sandbox::User=root -o Dir::Etc::SourceList=/dev/null \
		-o Dir::Etc::SourceParts="$state/sources.list.d" \
		-o Dir::State::Lists="$state/lists" \
		-o Dir::Cache="$state/cache" "$@"
}

# A source package into $2: the newest version first, then older ones (a
# security update's source may be missing from the mirror the binary came
# from).
fetch_source() { # state work package
	(cd "$2" && apt_private "$1" source -qq "$3" 2>/dev/null) && return 0
	for v in $(apt-cache -o Dir::Etc::SourceList=/dev/null \
		-o Dir::Etc::SourceParts="$1/sources.list.d" \
		-o Dir::State::Lists="$1/lists" -o Dir::Cache="$1/cache" \
		showsrc "$3" 2>/dev/null |
		sed -n 's/^Version: //p' | sort -ruV); do
		rm -rf "${2:?}"/*
		(cd "$2" && apt_private "$1" source -qq "$3=$v" 2>/dev/null) &&
			return 0
	done
	echo "setup: cannot fetch the source package $3" >&2
	exit 1
}

# Debian's source of package $2 unpacked under $1/src, through a private
# apt state in $1/apt; sets srcdir to its folder.
unpack_source() { # dest package
	work="$1/src"
	state="$1/apt"
	rm -rf "$work" && mkdir -p "$work" "$state/lists/partial" \
		"$state/cache/archives/partial"
	derive_src_lists "$state"
	apt_private "$state" update -qq
	fetch_source "$state" "$work" "$2"
	srcdir=$(find "$work" -maxdepth 1 -type d -name "$2-*" | head -n1)
	[ -n "$srcdir" ] || { echo "setup: $2 source not found" >&2; exit 1; }
}

capng() {
	dest="$1"
	[ -f "$dest/lib/libcap-ng.a" ] && return 0
	unpack_source "$dest" libcap-ng
	inc="$dest/musl-include"
	mkdir -p "$inc"
	ln -sfn /usr/include/linux "$inc/linux"
	ln -sfn /usr/include/x86_64-linux-gnu/asm "$inc/asm"
	ln -sfn /usr/include/asm-generic "$inc/asm-generic"
	(cd "$srcdir" && CC="musl-gcc -I$inc" ./configure -q --disable-shared \
		--enable-static --without-python --without-python3 >/dev/null &&
		make -s -C src >/dev/null)
	mkdir -p "$dest/lib" "$dest/include"
	cp "$srcdir/src/.libs/libcap-ng.a" "$dest/lib/"
	cp "$srcdir/src/cap-ng.h" "$dest/include/"
	echo "setup: built libcap-ng for musl in $dest"
}

# zlib for musl (the PNG screenshots of profiles with a display device),
# from Debian's source package like libcap-ng.
zlib() {
	dest="$1"
	[ -f "$dest/lib/libz.a" ] && return 0
	unpack_source "$dest" zlib
	(cd "$srcdir" && CC=musl-gcc CFLAGS="-O2 -fPIC" ./configure --static \
		>/dev/null && make -s libz.a >/dev/null)
	mkdir -p "$dest/lib" "$dest/include"
	cp "$srcdir/libz.a" "$dest/lib/"
	cp "$srcdir/zlib.h" "$srcdir/zconf.h" "$dest/include/"
	echo "setup: built zlib for musl in $dest"
}

# cJSON for musl (the control socket's JSON, monitor/ctl/), from Debian's
# source package like libcap-ng: one C file, compiled as it is.
cjson() {
	dest="$1"
	[ -f "$dest/lib/libcjson.a" ] && return 0
	unpack_source "$dest" cjson
	mkdir -p "$dest/lib" "$dest/include/cjson"
	musl-gcc -O2 -fPIC -c "$srcdir/cJSON.c" -o "$dest/cJSON.o"
	ar rcs "$dest/lib/libcjson.a" "$dest/cJSON.o"
	cp "$srcdir/cJSON.h" "$dest/include/cjson/"
	echo "setup: built cJSON for musl in $dest"
}

case "${1:-}" in
packages) packages ;;
capng) capng "$2" ;;
zlib) zlib "$2" ;;
cjson) cjson "$2" ;;
*) echo "usage: $0 packages | capng DIR | zlib DIR | cjson DIR" >&2; exit 2 ;;
esac
