#!/usr/bin/env bash
# One U-Net training step (forward, MSE, backward, Adam) at 256x256, batch 1,
# depth 8, 64 filters: locus (candle + im2col/col2im ops + fused BatchNorm,
# LeakyReLU and Adam, mimalloc) against its PyTorch twin
# (scripts/reference/unet_torch.py), and optionally against stock candle.
#
# Usage: scripts/bench/unet.sh [--stock] [--threads N] [--steps N] [--size N]
# Env: PYTHON (default .venv-torch/bin/python, then python3) must import torch.
# Prints both step times (median wall ms and process CPU ms) and the ratios
# locus/torch (< 1: locus is faster).
set -euo pipefail
cd "$(dirname "$0")/../.."

STOCK=0; THREADS=""; STEPS=5; SIZE=256
while [ $# -gt 0 ]; do
  case "$1" in
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
ARGS=(--size "$SIZE" --steps "$STEPS" --warmup 2)

if [ -n "$THREADS" ]; then export RAYON_NUM_THREADS="$THREADS"; TARGS=(--threads "$THREADS"); else TARGS=(); fi

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }

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
