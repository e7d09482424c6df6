#!/bin/bash -eu
# fuzz/oss-fuzz/build.sh - every fuzz target of fuzz/fuzz.mk (device targets
# fuzz/*_fuzz.c, library targets fuzz/*_target.c) built as OSS-Fuzz and
# ClusterFuzzLite build them: make fuzz-build with their toolchain, so the
# sources and flags are fuzz.mk's own.
#   $CC $CFLAGS          compile (the run's sanitizer and engine flags)
#   $CXX $CXXFLAGS       link, with $LIB_FUZZING_ENGINE (engines are C++)
#   $OUT                 <target>, <target>_seed_corpus.zip (fuzz/corpus/
#                        <target>/), <target>.dict, <target>.options
#   $SRC                 cJSON's sources in $SRC/cJSON (the Dockerfile's
#                        clone), built static; without them the system's
#   $WORK                objects (wisp-fuzz/) and cJSON
# By hand: CC=clang CFLAGS="-fsanitize=address,fuzzer-no-link" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/o SRC=.. WORK=/tmp/w \
#   fuzz/oss-fuzz/build.sh
: "${CXX:=clang++}" "${CXXFLAGS:=$CFLAGS}"
mkdir -p "$OUT" "$WORK"
OUT=$(cd "$OUT" && pwd) WORK=$(cd "$WORK" && pwd)
# In the repository, or copied to $SRC/build.sh with the tree in $SRC/wisp.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[ -f "$top/fuzz/fuzz.mk" ] || top=$SRC/wisp
here=$top/fuzz/oss-fuzz

# cJSON (the ctl target's parser) from source: OSS-Fuzz's runner has no
# libcjson.so, and an instrumented copy is fuzzed along.
cj_cflags="" cj_ldflags=""
if [ -f "$SRC/cJSON/cJSON.c" ]; then
	mkdir -p "$WORK/cjson/lib" "$WORK/cjson/include/cjson"
	$CC $CFLAGS -c "$SRC/cJSON/cJSON.c" -o "$WORK/cjson/cJSON.o"
	ar rcs "$WORK/cjson/lib/libcjson.a" "$WORK/cjson/cJSON.o"
	cp "$SRC/cJSON/cJSON.h" "$WORK/cjson/include/cjson/"
	cj_cflags="-I$WORK/cjson/include" cj_ldflags="-L$WORK/cjson/lib"
fi

# -Wno-error: a newer clang's new warning, or the coverage build's -Wl
# flags unused at -c, must not fail the build; fuzz.mk's own build keeps
# -Werror. libcap-ng and zlib linked static: the runner has neither.
make -C "$top" -j"$(nproc)" fuzz-build FUZZ_DIR="$WORK/wisp-fuzz" FUZZ_SETUP= \
	FUZZ_CC="$CC" FUZZ_SAN="$CFLAGS -Wno-error $cj_cflags" \
	FUZZ_LD="$CXX" FUZZ_LDFLAGS="$CXXFLAGS $cj_ldflags" \
	FUZZ_ENGINE="$LIB_FUZZING_ENGINE" FUZZ_STATIC_LIBS="-lcap-ng -lz"

for bin in "$WORK"/wisp-fuzz/lf/*; do
	t=$(basename "$bin")
	cp "$bin" "$OUT/$t"
	rm -f "$OUT/${t}_seed_corpus.zip"
	(cd "$top/fuzz/corpus/$t" && zip -q -r -X "$OUT/${t}_seed_corpus.zip" .)
	case "$t" in
	virtio_*) cp "$here/virtio.dict" "$OUT/$t.dict" ;;
	ctl) cp "$here/ctl.dict" "$OUT/$t.dict" ;;
	esac
	[ ! -f "$here/$t.options" ] || cp "$here/$t.options" "$OUT/"
done
