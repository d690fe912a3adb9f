#!/usr/bin/env bash
# Run the GPU checks on a GPU machine with nothing but a CUDA build of locus
# and the scripts (no Rust toolchain needed): scripts/gpu/check.rhai (CPU
# against CUDA) then scripts/gpu/bench.rhai (speed), both with --device=cuda.
#
#   run.sh [--quick] [--device=cuda:N] [--bin=PATH] [--out=DIR]
#
# Works from the repository (binary target/release/locus) or from the folder
# made by scripts/gpu/pack.sh (binary ./locus, optional ./lib). The CUDA 13
# libraries the binary needs (cudart, cublas, cublasLt, curand, nvrtc) are
# taken from, in order: ./lib, $LOCUS_CUDA_LIBS, $CUDA_ROOT/lib(64), the
# site-packages of python3 (NVIDIA's CUDA 13 wheels, e.g. PyTorch's: nvidia/cu13/lib),
# /usr/local/cuda/lib64. libcuda comes from the driver (580 or newer for CUDA
# 13.0); never put the build's libcuda stub on LD_LIBRARY_PATH here.
# Output: the logs and the benchmark CSV in --out (default out/gpu-run).
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -f "$HERE/scripts/gpu/check.rhai" ]; then ROOT="$HERE"; else ROOT="$(cd "$HERE/../.." && pwd)"; fi
cd "$ROOT"
QUICK=(); DEVICE=cuda; BIN=""; OUT=out/gpu-run
for a in "$@"; do
  case "$a" in
    --quick) QUICK=(--quick) ;;
    --device=*) DEVICE="${a#--device=}" ;;
    --bin=*) BIN="${a#--bin=}" ;;
    --out=*) OUT="${a#--out=}" ;;
    *) echo "run.sh: unknown option $a" >&2; exit 2 ;;
  esac
done
if [ -z "$BIN" ]; then
  if [ -x ./locus ]; then BIN=./locus; else BIN=target/release/locus; fi
fi
[ -x "$BIN" ] || { echo "run.sh: no locus binary at $BIN" >&2; exit 1; }
mkdir -p "$OUT"

# Library folders holding CUDA 13 libraries.
dirs=()
[ -d ./lib ] && dirs+=("$PWD/lib")
[ -n "${LOCUS_CUDA_LIBS:-}" ] && dirs+=("$LOCUS_CUDA_LIBS")
[ -n "${CUDA_ROOT:-}" ] && for d in "$CUDA_ROOT/lib" "$CUDA_ROOT/lib64"; do [ -d "$d" ] && dirs+=("$d"); done
for py in python3 python; do
  command -v "$py" >/dev/null || continue
  while read -r sp; do
    [ -d "$sp/nvidia" ] || continue
    while read -r f; do dirs+=("$(dirname "$f")"); done < <(find "$sp/nvidia" -maxdepth 3 \( -name 'libcublas.so.13' -o -name 'libcurand.so.10' -o -name 'libnvrtc.so.13' -o -name 'libcudart.so.13' -o -name 'libcublasLt.so.13' \) 2>/dev/null)
  done < <("$py" -c 'import site, sys; print("\n".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null)
  break
done
[ -d /usr/local/cuda/lib64 ] && dirs+=(/usr/local/cuda/lib64)
libpath=""
for d in "${dirs[@]}"; do
  case ":$libpath:" in *":$d:"*) ;; *) libpath="${libpath:+$libpath:}$d" ;; esac
done
export LD_LIBRARY_PATH="${libpath}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
libs="$(ldd "$BIN")"
if grep -q 'not found' <<<"$libs"; then
  echo "run.sh: libraries not found (searched: ${libpath:-nothing}); libcuda comes from the GPU driver, the others: set LOCUS_CUDA_LIBS or pack with --with-libs:" >&2
  grep 'not found' <<<"$libs" >&2
  exit 1
fi
grep -E 'libcuda|cublas|curand|nvrtc|cudart' <<<"$libs" | tee "$OUT/libraries.txt"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/gpu.txt"

export LOCUS_NO_PROGRESS=1
rc=0
echo "== check.rhai --device=$DEVICE ${QUICK[*]}"
"$BIN" run scripts/gpu/check.rhai "--device=$DEVICE" "${QUICK[@]}" "--out=$OUT/check" 2>&1 | tee "$OUT/check.log"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
echo "== bench.rhai --device=$DEVICE ${QUICK[*]}"
"$BIN" run scripts/gpu/bench.rhai "--device=$DEVICE" "${QUICK[@]}" "--out=$OUT/bench.csv" 2>&1 | tee "$OUT/bench.log"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
echo "run.sh: $([ $rc = 0 ] && echo done || echo FAILED); logs in $OUT"
exit $rc
