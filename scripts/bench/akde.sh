#!/usr/bin/env bash
# Benchmark: locus AKDE (Rust, examples/bench_akde.rs) against the numpy
# reference (scripts/reference/akde.py) on the same images, in the same run.
#
# Cases: a simulated sparse filament image (1024², rendered localizations),
# a dense 2048² image (every pixel non-zero), and, when the full data are
# present, a real sparse/dense pair of the paper (FRCnet spot01_sub/full.png,
# looked up by the stdlib's cli::find_data: data/, $LOCUS_DATA, ../shared/data;
# scripts/fetch-data.sh fetches them).
# For each: both outputs are compared (max |locus − numpy| / max |numpy| must be
# ≤ 1e-5), and wall/CPU times and the speed ratios (wall, CPU) are printed.
# locus runs on all cores (RAYON_NUM_THREADS to change), numpy on one; its CPU
# time is the total over threads, so the CPU ratio compares work, not latency.
# On a loaded machine trust the CPU columns more than the wall-clock ones. The paper-style
# direct loop (one numpy window per source) is checked against the vectorised
# reference on a 256² crop and its cost per source reported.
#
# Usage: scripts/bench/akde.sh [--quick]     (--quick: skip the 2048² cases)
# Environment: PYTHON (default /work/venv/bin/python), WINDOW (11), SCALE (1).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-/work/venv/bin/python}
WINDOW=${WINDOW:-11}
SCALE=${SCALE:-1.0}
QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1
TARGET=${CARGO_TARGET_DIR:-target}

cargo build --release --quiet --example bench_akde --bin locus
BIN=$TARGET/release/examples/bench_akde
# The full data, found as the scripts find them (stdlib/cli.rhai, find_data).
DATA=$("$TARGET/release/locus" -e 'import "cli" as cli; let d = cli::find_data("frcnet/train"); if d != () { print(d); }')
if [[ -z "$DATA" ]]; then
  echo "note: the FRCnet pairs are absent, skipping the real-data cases; $("$TARGET/release/locus" -e 'import "cli" as cli; print(cli::missing_data("frcnet/train"));')" >&2
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "machine: $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "window $WINDOW, scale $SCALE"

# --- test images -------------------------------------------------------------
"$PY" - "$TMP" <<'EOF'
import sys, numpy as np
out = sys.argv[1]
rng = np.random.default_rng(2021)
# Sparse: 24 smooth random filaments, 150k localizations with 2 px jitter, 1024² histogram.
n = 1024
pts = []
for _ in range(24):
    p0 = rng.uniform(0, n, 2); ang = rng.uniform(0, 2 * np.pi)
    t = np.linspace(0, 1, 400)
    curv = rng.normal(0, 1.5)
    a = ang + curv * t
    seg = p0 + np.cumsum(np.stack([np.cos(a), np.sin(a)], 1), 0) * (n / 400)
    idx = rng.integers(0, len(seg), 6000)
    pts.append(seg[idx] + rng.normal(0, 2.0, (idx.size, 2)))
pts = np.concatenate(pts)
img, _, _ = np.histogram2d(pts[:, 1], pts[:, 0], bins=n, range=[[0, n], [0, n]])
np.save(f"{out}/sparse1024.npy", img.astype(np.float32))
# Dense: every pixel non-zero (Poisson counts + 1) with brighter filament-like stripes.
n = 2048
yy, xx = np.mgrid[0:n, 0:n]
lam = 3.0 + 20.0 * (np.abs(np.sin(xx / 37.0 + yy / 91.0)) > 0.97)
np.save(f"{out}/dense2048.npy", (rng.poisson(lam) + 1).astype(np.float32))
# Small crop for the direct (paper-style) loop.
np.save(f"{out}/crop256.npy", np.load(f"{out}/sparse1024.npy")[384:640, 384:640])
EOF

# name, label, border
CASES=("sparse1024" "simulated filaments 1024², clip" clip)
CASES+=("sparse1024" "simulated filaments 1024², skip" skip)
if [[ $QUICK == 0 ]]; then
  CASES+=("dense2048" "dense 2048², all non-zero, clip" clip)
  if [[ -n "$DATA" && -f "$DATA/spot01_sub.png" ]]; then
    $BIN "$DATA/spot01_sub.png" "$TMP/x.npy" --repeat 1 --save-input "$TMP/spot01_sub.npy" >/dev/null 2>&1
    $BIN "$DATA/spot01_full.png" "$TMP/x.npy" --repeat 1 --save-input "$TMP/spot01_full.npy" >/dev/null 2>&1
    CASES+=("spot01_sub" "FRCnet spot01_sub.png (real, sparse), clip" clip)
    CASES+=("spot01_full" "FRCnet spot01_full.png (real, dense), clip" clip)
  fi
fi

get() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }

printf "\n%-44s %8s %8s %8s %8s %8s %7s %7s %9s\n" "case" "sources" "locus s" "CPU s" "numpy s" "CPU s" "ratio" "CPU" "rel.err"
for ((i = 0; i < ${#CASES[@]}; i += 3)); do
  name=${CASES[i]}; label=${CASES[i+1]}; border=${CASES[i+2]}
  in="$TMP/$name.npy"
  lo=$($BIN "$in" "$TMP/$name.locus.npy" --window "$WINDOW" --scale "$SCALE" --border "$border" --repeat 3 2>/dev/null)
  py=$("$PY" scripts/reference/akde.py "$in" "$TMP/$name.numpy.npy" --window "$WINDOW" --scale "$SCALE" --border "$border")
  cmp=$("$PY" - "$in" "$TMP/$name.locus.npy" "$TMP/$name.numpy.npy" <<'EOF'
import sys, numpy as np
img, a, b = (np.load(p) for p in sys.argv[1:])
err = np.abs(a.astype(np.float64) - b).max() / np.abs(b).max()
print(f"sources={np.count_nonzero(img)} err={err:.2e} ok={int(err <= 1e-5)}")
EOF
)
  tl=$(get time_s "$lo"); cl=$(get cpu_s "$lo"); tp=$(get time_s "$py"); cp=$(get cpu_s "$py")
  ratio=$(awk -v a="$tp" -v b="$tl" 'BEGIN { printf "%.1f", a / b }')
  cratio=$(awk -v a="$cp" -v b="$cl" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }')
  err=$(sed -n 's/.*err=\([^ ]*\).*/\1/p' <<<"$cmp")
  ok=$(get ok "$cmp")
  printf "%-44s %8s %8.3f %8s %8.3f %8s %6sx %6sx %9s %s\n" "$label" "$(get sources "$cmp")" "$tl" "$cl" "$tp" "$cp" \
    "$ratio" "$cratio" "$err" \
    "$([[ $ok == 1 ]] && echo ok || echo MISMATCH)"
  [[ $ok == 1 ]] || { echo "locus and numpy disagree on $name" >&2; exit 1; }
done

# --- the paper-style direct loop on a crop ---------------------------------------
d=$("$PY" scripts/reference/akde.py "$TMP/crop256.npy" "$TMP/crop.direct.npy" --method direct --window "$WINDOW" --scale "$SCALE")
"$PY" scripts/reference/akde.py "$TMP/crop256.npy" "$TMP/crop.vec.npy" --window "$WINDOW" --scale "$SCALE" --kernel-dtype float64 >/dev/null
"$PY" - "$TMP/crop256.npy" "$TMP/crop.direct.npy" "$TMP/crop.vec.npy" "$(get time_s "$d")" <<'EOF'
import sys, numpy as np
img, a, b = (np.load(p) for p in sys.argv[1:4])
n = np.count_nonzero(img)
err = np.abs(a.astype(np.float64) - b).max() / np.abs(b).max()
t = float(sys.argv[4])
print(f"\nnumpy direct loop (paper style) on a 256² crop: {n} sources, {t:.2f} s = {t / n * 1e6:.0f} us/source;"
      f" vs vectorised reference: rel.err {err:.1e}")
if err > 1e-5:
    sys.exit("direct and vectorised references disagree")
EOF
