#!/usr/bin/env bash
# The CUDA build of locus on a machine without a GPU (CI), run with the
# environment of scripts/cuda/setup.sh (its CUDA libraries and libcuda stub on
# LD_LIBRARY_PATH):
#   * it is a CUDA build (links libcuda);
#   * unet(#{ device: "cuda" }) and load_unet(path, #{ device: "cuda" }) exit 1
#     with one line "no usable CUDA driver or device", no panic or backtrace
#     (RUST_BACKTRACE=1 set on purpose);
#   * everything else works as in the CPU build: the GPU check and bench
#     scripts pass with --device=cpu --quick.
#
#   eval "$(scripts/cuda/setup.sh)" && scripts/cuda/smoke.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${1:-target/release/locus}"
fail() { echo "smoke.sh: FAIL: $*" >&2; exit 1; }
[ -x "$BIN" ] || fail "no binary at $BIN"
readelf -d "$BIN" | grep -q 'NEEDED.*libcuda\.so' || fail "$BIN is not a CUDA build (does not link libcuda)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export LOCUS_NO_PROGRESS=1
"$BIN" -e "unet(#{ depth: 2, filters: 2 }).save(\"$tmp/m.safetensors\")" || fail "saving a CPU net"

for code in 'unet(#{ device: "cuda" })' "load_unet(\"$tmp/m.safetensors\", #{ device: \"cuda\" })"; do
  rc=0
  RUST_BACKTRACE=1 "$BIN" -e "$code" > "$tmp/out" 2> "$tmp/err" || rc=$?
  if [ "$rc" = 0 ]; then
    echo "smoke.sh: $code succeeded: a usable GPU is present; skipping the no-GPU checks" >&2
    continue
  fi
  [ "$rc" = 1 ] || fail "$code: exit code $rc, expected 1: $(cat "$tmp/err")"
  head -1 "$tmp/err" | grep -q 'no usable CUDA driver or device' ||
    fail "$code: the first line does not say 'no usable CUDA driver or device': $(cat "$tmp/err")"
  ! grep -Eqi 'panicked|backtrace|DriverError|^ *[0-9]+: ' "$tmp/err" ||
    fail "$code: panic or backtrace in the message: $(cat "$tmp/err")"
  [ "$(wc -l < "$tmp/err")" -le 3 ] || fail "$code: more than message, source line and caret: $(cat "$tmp/err")"
  echo "smoke.sh: ok: $code -> $(head -1 "$tmp/err")"
done

"$BIN" run scripts/gpu/check.rhai --device=cpu --quick "--out=$tmp/check" > "$tmp/check.log" 2>&1 ||
  fail "check.rhai --device=cpu --quick: $(cat "$tmp/check.log")"
grep -q 'all 5 checks passed' "$tmp/check.log" || fail "check.rhai: $(cat "$tmp/check.log")"
"$BIN" run scripts/gpu/bench.rhai --device=cpu --quick --steps=1 "--out=$tmp/bench.csv" > "$tmp/bench.log" 2>&1 ||
  fail "bench.rhai --device=cpu --quick: $(cat "$tmp/bench.log")"
echo "smoke.sh: ok: the CUDA binary runs check.rhai and bench.rhai on the CPU device"
