#!/usr/bin/env bash
# Pack the CUDA build of locus for a GPU machine that has no Rust toolchain:
# the stripped binary, scripts/gpu/{check,bench}.rhai and run.sh, into
# out/locus-gpu/ and out/locus-gpu.tar.gz. Fails if the binary is not a CUDA
# build or if the tarball (what travels) is over 64 MiB. The stripped binary
# itself is about 65 MiB (candle's CUDA kernels are embedded as PTX text) and
# about 21 MiB gzipped.
#
#   eval "$(scripts/cuda/setup.sh)"
#   cargo build --release --features cuda
#   scripts/gpu/pack.sh [--with-libs] [BINARY]
#
# --with-libs also copies the CUDA 13 libraries the binary needs (cudart,
# cublas, cublasLt, curand, nvrtc: about 850 MB, from the setup.sh venv) into
# lib/, for a GPU machine without them. Without it, run.sh finds them on the
# GPU machine (a Python environment with NVIDIA's CUDA 13 wheels, e.g.
# PyTorch's, or a CUDA 13 toolkit). libcuda is never packed: the GPU
# machine's driver provides it.
set -euo pipefail
cd "$(dirname "$0")/../.."
WITH_LIBS=0
BIN=target/release/locus
for a in "$@"; do
  case "$a" in
    --with-libs) WITH_LIBS=1 ;;
    -*) echo "pack.sh: unknown option $a" >&2; exit 2 ;;
    *) BIN="$a" ;;
  esac
done
fail() { echo "pack.sh: $*" >&2; exit 1; }
[ -x "$BIN" ] || fail "no binary at $BIN (cargo build --release --features cuda)"
readelf -d "$BIN" | grep -q 'NEEDED.*libcuda\.so' || fail "$BIN is not a CUDA build (does not link libcuda)"

DEST=out/locus-gpu
rm -rf "$DEST" "$DEST.tar.gz"
mkdir -p "$DEST/scripts/gpu"
objcopy --strip-all "$BIN" "$DEST/locus"
size=$(stat -c %s "$DEST/locus")
limit=$((64 * 1024 * 1024))
cp scripts/gpu/check.rhai scripts/gpu/bench.rhai "$DEST/scripts/gpu/"
cp scripts/gpu/run.sh "$DEST/run.sh"
chmod +x "$DEST/run.sh"
# The CUDA libraries it loads, directly or through each other (cublas needs
# cublasLt), as resolved here (setup.sh's LD_LIBRARY_PATH).
ldd "$BIN" | awk '{print $1}' | grep -E '^lib(cu|nvrtc)' | sort -u > "$DEST/cuda-libs.txt"
if [ "$WITH_LIBS" = 1 ]; then
  [ -n "${CUDA_ROOT:-}" ] || fail "--with-libs needs CUDA_ROOT (eval \"\$(scripts/cuda/setup.sh)\")"
  mkdir -p "$DEST/lib"
  while read -r lib; do
    [ "$lib" = libcuda.so.1 ] && continue
    cp -L "$CUDA_ROOT/lib/$lib" "$DEST/lib/" || fail "$lib not in $CUDA_ROOT/lib"
    # cublas loads cublasLt at run time.
    [ "$lib" != libcublas.so.13 ] || cp -L "$CUDA_ROOT/lib/libcublasLt.so.13" "$DEST/lib/"
  done < "$DEST/cuda-libs.txt"
  # nvrtc loads its builtins at run time.
  cp -L "$CUDA_ROOT"/lib/libnvrtc-builtins.so.* "$DEST/lib/" 2>/dev/null || true
fi
tar -C out -czf "$DEST.tar.gz" locus-gpu
tsize=$(stat -c %s "$DEST.tar.gz")
if [ "$WITH_LIBS" = 0 ] && [ "$tsize" -gt "$limit" ]; then
  fail "$DEST.tar.gz is $tsize bytes, over 64 MiB"
fi
echo "pack.sh: binary $size bytes stripped; $(du -h "$DEST.tar.gz" | cut -f1) in $DEST.tar.gz (needs: $(tr '\n' ' ' < "$DEST/cuda-libs.txt"))"
