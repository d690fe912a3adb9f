#!/usr/bin/env bash
# Benchmark of localization tables: locus vs h5py / numpy, in one run.
#
#   scripts/bench/locs.sh [N_ROWS] [N_RENDER] [REPEATS]
#
# 1. writes an N_ROWS-row (default 1 000 000) Picasso file with h5py (scripts/reference/locs.py make);
# 2. loads it with locus (examples/bench_locs.rs) and with h5py;
# 3. renders N_RENDER (default 10 000 000) uniform localizations into 4096 x 4096 pixels of 10 nm
#    with locus and with np.histogram2d;
# 4. prints the times (best of REPEATS, default 3) and the ratios reference / locus.
# Python: $PYTHON, else /work/venv/bin/python if present, else python3 (needs numpy and h5py).
set -euo pipefail
cd "$(dirname "$0")/../.."
N_ROWS=${1:-1000000}
N_RENDER=${2:-10000000}
REPEATS=${3:-3}
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  if [ -x /work/venv/bin/python ]; then PY=/work/venv/bin/python; else PY=python3; fi
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FILE="$TMP/bench_locs.hdf5"
"$PY" scripts/reference/locs.py make "$FILE" "$N_ROWS"
cargo build --release --quiet --example bench_locs
LOCUS=$(target/release/examples/bench_locs "$FILE" "$N_RENDER" "$REPEATS")
REF=$("$PY" scripts/reference/locs.py bench "$FILE" "$N_RENDER" "$REPEATS")
echo "== locus"; echo "$LOCUS"
echo "== reference (h5py / numpy)"; echo "$REF"
get() { echo "$1" | awk -v k="$2" '$1 == k { print $2 }'; }
echo "== summary (seconds; ratio = reference / locus)"
for k in load_hdf5 render; do
  a=$(get "$LOCUS" "$k"); b=$(get "$REF" "$k")
  awk -v k="$k" -v a="$a" -v b="$b" 'BEGIN { printf "%-10s locus %8.4f  reference %8.4f  ratio %6.1fx\n", k, a, b, b / a }'
done
for k in save_csv load_csv; do
  a=$(get "$LOCUS" "$k")
  awk -v k="$k" -v a="$a" 'BEGIN { printf "%-10s locus %8.4f\n", k, a }'
done
