#!/usr/bin/env bash
# One U-Net training step (forward, MSE, backward, Adam) at 256x256, batch 1,
# depth 8, 64 filters: locus (candle + im2col/col2im ops + fused BatchNorm,
# LeakyReLU and Adam, mimalloc) against its PyTorch twin
# (scripts/reference/unet_torch.py), and optionally against stock candle.
#
# Usage: scripts/bench/unet.sh [--stock] [--threads N] [--steps N] [--size N]
#        scripts/bench/unet.sh --matrix [--steps N]
# --matrix prints the whole table of the performance issue: 256² and 512²
# (the paper's size), 1 and 2 threads, batch 1 and 4, depth 8 x 64, locus
# and PyTorch side by side (median step ms and the ratio), then tiled
# prediction of a 2,048² image (512 px tiles) with time and peak RSS.
# Env: PYTHON (default .venv-torch/bin/python, then python3) must import torch.
# Prints both step times (median wall ms and process CPU ms) and the ratios
# locus/torch (< 1: locus is faster).
set -euo pipefail
cd "$(dirname "$0")/../.."

STOCK=0; THREADS=""; STEPS=5; SIZE=256; MATRIX=0
while [ $# -gt 0 ]; do
  case "$1" in
    --matrix) MATRIX=1 ;;
    --stock) STOCK=1 ;;
    --threads) THREADS="$2"; shift ;;
    --steps) STEPS="$2"; shift ;;
    --size) SIZE="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x .venv-torch/bin/python ]; then PY=.venv-torch/bin/python; else PY=python3; fi
fi

cargo build --release --example bench_unet >/dev/null 2>&1 || cargo build --release --example bench_unet
BIN=target/release/examples/bench_unet
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }

if [ "$MATRIX" = 1 ]; then
  "$PY" -c "import torch" >/dev/null 2>&1 || { echo "--matrix needs PyTorch: set PYTHON to a python that imports torch" >&2; exit 2; }
  printf '%-6s %-8s %-6s | %10s | %10s | %s\n' size threads batch "locus ms" "torch ms" "locus/torch"
  for size in 256 512; do
    for threads in 1 2; do
      for batch in 1 4; do
        A=(--size "$size" --batch "$batch" --steps "$STEPS" --warmup 1)
        o=$(RAYON_NUM_THREADS=$threads "$BIN" "${A[@]}" --mode ours | tail -1)
        t=$("$PY" scripts/reference/unet_torch.py "${A[@]}" --threads "$threads" | tail -1)
        a=$(field step_ms "$o"); b=$(field step_ms "$t")
        awk -v s="$size" -v th="$threads" -v ba="$batch" -v a="$a" -v b="$b" \
          'BEGIN { printf "%-6s %-8s %-6s | %10.0f | %10.0f | %.2f\n", s, th, ba, a, b, a / b }'
      done
    done
  done
  for threads in 1 2; do
    o=$(RAYON_NUM_THREADS=$threads "$BIN" --size 512 --steps 3 --mode predict --image 2048 | tail -1)
    t=$("$PY" scripts/reference/unet_torch.py --size 512 --steps 3 --predict 2048 --threads "$threads" | tail -1)
    echo "predict 2048², 512 px tiles, $threads thread(s): locus $(field predict_ms "$o") ms, peak RSS $(field peak_rss_mb "$o") MB | torch $(field predict_ms "$t") ms, peak RSS $(field peak_rss_mb "$t") MB"
  done
  exit 0
fi
ARGS=(--size "$SIZE" --steps "$STEPS" --warmup 2)

if [ -n "$THREADS" ]; then export RAYON_NUM_THREADS="$THREADS"; TARGS=(--threads "$THREADS"); else TARGS=(); fi

ours=$("$BIN" "${ARGS[@]}" --mode ours | tail -1)
echo "$ours"
if [ "$STOCK" = 1 ]; then
  stock=$("$BIN" "${ARGS[@]}" --mode stock --steps 2 --warmup 1 | tail -1)
  echo "$stock"
  awk -v a="$(field step_ms "$ours")" -v b="$(field step_ms "$stock")" \
    'BEGIN { printf "ratio locus/stock-candle wall %.2f\n", a / b }'
fi
if "$PY" -c "import torch" >/dev/null 2>&1; then
  torch=$("$PY" scripts/reference/unet_torch.py "${ARGS[@]}" "${TARGS[@]}" | tail -1)
  echo "$torch"
  awk -v a="$(field step_ms "$ours")" -v b="$(field step_ms "$torch")" \
      -v c="$(field cpu_ms "$ours")" -v d="$(field cpu_ms "$torch")" \
    'BEGIN { printf "ratio locus/torch wall %.2f cpu %.2f\n", a / b, c / d }'
else
  echo "torch not importable with $PY: only locus timed (set PYTHON, or use --stock)"
fi
