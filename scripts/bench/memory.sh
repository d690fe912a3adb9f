#!/usr/bin/env bash
# Peak resident memory (GNU time's %M, the whole process) of large jobs, next
# to the size of the data they hold:
#   AKDE of a dense 8000² float32 image (data: input + output, 2 × 256 MB);
#   FRC of an 8192² float32 pair (data: the pair, 2 × 268 MB);
#   loading a 10 M-row Picasso HDF5 file (data: the columns in memory, 44 B/row);
#   a U-Net training step at 512², depth 8 × 64, batch 1 (locus and PyTorch;
#   the data are the weights, gradients and Adam moments);
#   h5py loading the same Picasso file, as a reference.
#
# usage: scripts/bench/memory.sh
# env:   PYTHON (default .venv-interop/bin/python, .venv-torch/bin/python, python3; numpy, h5py)
#        TORCH_PYTHON (default .venv-torch/bin/python; optional)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PY=${PYTHON:-}
for p in .venv-interop/bin/python .venv-torch/bin/python python3; do
  [ -n "$PY" ] && break
  if command -v "$p" >/dev/null && "$p" -c 'import numpy, h5py' 2>/dev/null; then PY=$p; fi
done
TPY=${TORCH_PYTHON:-.venv-torch/bin/python}
[ -x /usr/bin/time ] || { echo "memory.sh needs GNU time (/usr/bin/time)" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$PY" - "$TMP" <<'PYEOF'
import sys, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(1)
np.save(f"{d}/dense8k.npy", rng.uniform(0.5, 1.5, (8000, 8000)).astype(np.float32))
np.save(f"{d}/a8k.npy", rng.poisson(0.2, (8192, 8192)).astype(np.float32))
np.save(f"{d}/b8k.npy", rng.poisson(0.2, (8192, 8192)).astype(np.float32))
PYEOF
"$PY" -c "import sys; sys.path.insert(0, 'scripts/reference'); import locs; locs.make('$TMP/t10m.hdf5', 10_000_000)"

cargo build --release -q
cargo build --release --example bench_unet -q
L=target/release/locus
peak() { # label data_mb command...
  local label=$1 data=$2; shift 2
  /usr/bin/time -f "%M" -o "$TMP/rss" "$@" > "$TMP/out" 2>&1 || { cat "$TMP/out"; exit 1; }
  awk -v l="$label" -v d="$data" -v k="$(tail -1 "$TMP/rss")" \
    'BEGIN { m = k / 1024; if (d > 0) printf "%-44s peak %7.0f MB | data %6.0f MB | %.2fx\n", l, m, d, m / d; else printf "%-44s peak %7.0f MB\n", l, m }'
}
echo "peak RSS (GNU time %M) against the data's own size"
peak "locus -e '1' (start-up)" 0 $L -e '1'
peak "AKDE 8000², window 11" $((2 * 256)) $L -e "let d = load_image(\"$TMP/dense8k.npy\").akde(); print(d.width)"
peak "FRC 8192² pair" $((2 * 268)) $L -e "let c = frc(load_image(\"$TMP/a8k.npy\"), load_image(\"$TMP/b8k.npy\")); print(c.values.len())"
peak "load 10 M-row Picasso file" 440 $L -e "let l = load_locs(\"$TMP/t10m.hdf5\"); print(l.len)"
peak "h5py: load the same file (reference)" 440 "$PY" -c "import h5py; f = h5py.File('$TMP/t10m.hdf5'); a = f['locs'][...]; print(len(a))"
peak "U-Net step 512², depth 8 x 64 (locus)" 0 target/release/examples/bench_unet --size 512 --steps 2 --warmup 0
if "$TPY" -c "import torch" 2>/dev/null; then
  peak "U-Net step 512², depth 8 x 64 (PyTorch)" 0 "$TPY" scripts/reference/unet_torch.py --size 512 --steps 2 --warmup 0
fi
