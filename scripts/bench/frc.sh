#!/usr/bin/env bash
# FRC benchmark: a 4096² image pair; locus' FRC vs the numpy reference
# (scripts/reference/frc.py, np.fft.fft2 + bincount) vs the two 2-D FFTs
# alone (twice locus::frc::rfft2, and as one packed complex FFT of a + i·b,
# which is the FFT work locus' FRC does). Checks that the curves agree
# and prints times and ratios.
#
# Wall times are best-of-REPEATS; CPU times (user + system over all threads)
# are printed too, since wall times mean little on a shared, busy machine.
#
# usage: scripts/bench/frc.sh [N=4096] [REPEATS=5]
# env:   PYTHON (default /work/venv/bin/python, else python3)
set -euo pipefail
N=${1:-4096}
REPEATS=${2:-5}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PYTHON:-/work/venv/bin/python}
[ -x "$PY" ] || PY=python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# A structured pair: shared random filaments (smooth lines) + independent Poisson noise.
"$PY" - "$N" "$TMP" <<'PYEOF'
import sys, numpy as np
n, d = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(1)
img = np.zeros((n, n))
for _ in range(60):
    x0, y0 = rng.uniform(0, n, 2); ang = rng.uniform(0, np.pi)
    t = np.linspace(-n, n, 8 * n)
    xs = (x0 + t * np.cos(ang)).astype(int); ys = (y0 + t * np.sin(ang)).astype(int)
    ok = (xs >= 0) & (xs < n) & (ys >= 0) & (ys < n)
    np.add.at(img, (ys[ok], xs[ok]), 1.0)
lam = 0.05 * img + 0.01
np.save(f"{d}/a.npy", rng.poisson(lam).astype(np.float32))
np.save(f"{d}/b.npy", rng.poisson(lam).astype(np.float32))
PYEOF

cd "$ROOT"
cargo build --release --example bench_frc -q
./target/release/examples/bench_frc "$TMP/a.npy" "$TMP/b.npy" "$TMP/locus.json" "$REPEATS" 10
"$PY" scripts/reference/frc.py frc "$TMP/a.npy" "$TMP/b.npy" --pixel-nm 10 --repeat "$REPEATS" > "$TMP/numpy.json"

"$PY" - "$TMP/locus.json" "$TMP/numpy.json" <<'PYEOF'
import sys, json, numpy as np
l = json.load(open(sys.argv[1])); p = json.load(open(sys.argv[2]))
dv = np.max(np.abs(np.array(l["values"]) - np.array(p["values"])))
ds = np.max(np.abs(np.array(l["smoothed"]) - np.array(p["smoothed"])))
same_counts = l["counts"] == p["counts"]
print(f"N = {l['n']}, rayon threads = {l['threads']}")
print(f"agreement: max |dFRC| = {dv:.2e}, max |dsmoothed| = {ds:.2e}, ring counts equal: {same_counts}")
print(f"resolution (1/7, smoothed): locus {l['resolution']} nm, numpy {p['resolution']} nm")
print(f"area(0.2): locus {l['area02']:.10f}, numpy {p['area02']:.10f}")
print(f"times: locus frc {l['seconds_frc']:.3f} s | two FFTs alone: 2 x rfft2 {l['seconds_fft2x2']:.3f} s, "
      f"packed complex fft2 {l['seconds_fft2_packed']:.3f} s | numpy frc {p['seconds']:.3f} s")
print(f"ratios: numpy/locus = {p['seconds'] / l['seconds_frc']:.1f}x, "
      f"locus frc / (2 x rfft2) = {l['seconds_frc'] / l['seconds_fft2x2']:.2f}, "
      f"locus frc / packed fft2 = {l['seconds_frc'] / l['seconds_fft2_packed']:.2f}")
print(f"CPU time (user+sys, all threads; robust to a busy machine): locus frc {l['cpu_frc']:.2f} s, "
      f"2 x rfft2 {l['cpu_fft2x2']:.2f} s, packed fft2 {l['cpu_fft2_packed']:.2f} s, numpy frc {p['cpu_seconds']:.2f} s "
      f"-> numpy/locus {p['cpu_seconds'] / max(l['cpu_frc'], 1e-9):.1f}x")
print(f"first frc call in a fresh process: {l['seconds_frc_first']:.3f} s wall, {l['cpu_frc_first']:.2f} s CPU, "
      f"{l['faults_frc_first']} minor page faults | second call: {l['seconds_frc_second']:.3f} s, "
      f"{l['cpu_frc_second']:.2f} s CPU, {l['faults_frc_second']} faults | warm (best of REPEATS): {l['seconds_frc']:.3f} s "
      f"-> first/warm = {l['seconds_frc_first'] / l['seconds_frc']:.1f}x")
print(f"also: area_frc {l['seconds_area_frc']:.3f} s, ms_ssim {l['seconds_ms_ssim']:.3f} s")
ok = dv < 1e-6 and same_counts
sys.exit(0 if ok else 1)
PYEOF
