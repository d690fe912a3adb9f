#!/usr/bin/env bash
# The first call of FRC, AKDE, render and MS-SSIM in a fresh process, next to
# the warm calls, for locus (examples/bench_first_call.rs) and for the numpy
# references (scripts/reference/first_call.py), each op in its own process.
#
# Inputs: a structured 4096² float32 pair (FRC; its 2048² corner for MS-SSIM),
# a dense 2048² image (AKDE, window 11), 10 M uniform positions in a
# 40.96 µm field (render at 10 nm: 4096²).
#
# usage: scripts/bench/first_call.sh [REPEATS=5]
# env:   PYTHON (default .venv-interop/bin/python, .venv-torch/bin/python, python3; needs numpy)
set -euo pipefail
REPEATS=${1:-5}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PY=${PYTHON:-}
for p in .venv-interop/bin/python .venv-torch/bin/python python3; do
  [ -n "$PY" ] && break
  if command -v "$p" >/dev/null && "$p" -c 'import numpy' 2>/dev/null; then PY=$p; fi
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$PY" - "$TMP" <<'PYEOF'
import sys, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(1)
n = 4096
img = np.zeros((n, n))
for _ in range(60):
    x0, y0 = rng.uniform(0, n, 2); ang = rng.uniform(0, np.pi)
    t = np.linspace(-n, n, 8 * n)
    xs = (x0 + t * np.cos(ang)).astype(int); ys = (y0 + t * np.sin(ang)).astype(int)
    ok = (xs >= 0) & (xs < n) & (ys >= 0) & (ys < n)
    np.add.at(img, (ys[ok], xs[ok]), 1.0)
lam = 0.05 * img + 0.01
a = rng.poisson(lam).astype(np.float32); b = rng.poisson(lam).astype(np.float32)
np.save(f"{d}/a.npy", a); np.save(f"{d}/b.npy", b)
np.save(f"{d}/a2k.npy", a[:2048, :2048] / max(a[:2048, :2048].max(), 1) * 2 - 1)
np.save(f"{d}/b2k.npy", b[:2048, :2048] / max(b[:2048, :2048].max(), 1) * 2 - 1)
np.save(f"{d}/dense.npy", rng.uniform(0.5, 1.5, (2048, 2048)).astype(np.float32))
np.save(f"{d}/xy.npy", rng.uniform(0, 40960.0, (10_000_000, 2)).astype(np.float32))
PYEOF

cargo build --release --example bench_first_call -q
BIN=target/release/examples/bench_first_call
printf '%-8s | %-28s | %-22s | %s\n' "op" "locus first / second / warm" "numpy first / warm" "first: numpy/locus; locus first/warm"
for case in "frc a.npy b.npy" "akde dense.npy" "render xy.npy" "ms_ssim a2k.npy b2k.npy"; do
  set -- $case
  op=$1; shift
  files=(); for f in "$@"; do files+=("$TMP/$f"); done
  l=$("$BIN" "$op" "${files[@]}" "$REPEATS")
  p=$("$PY" scripts/reference/first_call.py "$op" "${files[@]}" --repeat="$REPEATS")
  "$PY" - "$l" "$p" <<'PYEOF'
import json, sys
l, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{l['op']:<8} | {l['first']:.3f} / {l['second']:.3f} / {l['warm']:.3f} s | "
      f"{p['first']:.3f} / {p['warm']:.3f} s     | {p['first'] / l['first']:.1f}x; {l['first'] / l['warm']:.2f}x "
      f"(first call: {l['first_faults']:.0f} minor faults, {l['first_cpu']:.2f} s CPU; {l['threads']} threads)")
PYEOF
done
