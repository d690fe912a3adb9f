#!/usr/bin/env bash
# Benchmark of localization tables: locus vs h5py / numpy, in one run.
#
#   scripts/bench/locs.sh [N_ROWS] [N_RENDER] [REPEATS] [N_CSV]
#
# 1. writes an N_ROWS-row (default 1 000 000) Picasso file with h5py (scripts/reference/locs.py make);
# 2. loads it with locus (examples/bench_locs.rs) and with h5py;
# 3. renders N_RENDER (default 10 000 000) uniform localizations into 4096 x 4096 pixels of 10 nm
#    with locus and with np.histogram2d;
# 4. writes an N_CSV-row (default 10 000 000; 0 skips) ThunderSTORM CSV with locus and loads it
#    with locus and with pandas.read_csv(engine="pyarrow"), in rows per second;
# 5. prints the times (best of REPEATS, default 3) and the ratios reference / locus.
# Python: $PYTHON, else .venv/bin/python of the repository, else /work/venv/bin/python, else
# python3 (needs numpy and h5py; pandas and pyarrow for the CSV). A venv for it:
#   python3 -m venv .venv && .venv/bin/pip install numpy h5py pandas pyarrow
set -euo pipefail
cd "$(dirname "$0")/../.."
N_ROWS=${1:-1000000}
N_RENDER=${2:-10000000}
REPEATS=${3:-3}
N_CSV=${4:-10000000}
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python
  elif [ -x /work/venv/bin/python ]; then PY=/work/venv/bin/python
  else PY=python3; fi
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
if [ "$N_CSV" -gt 0 ]; then
  CSV="$TMP/bench_big.csv"
  target/release/examples/bench_locs make-csv "$CSV" "$N_CSV"
  LC=$(target/release/examples/bench_locs csv "$CSV" "$REPEATS")
  RC=$("$PY" scripts/reference/locs.py bench_csv "$CSV" "$REPEATS")
  echo "== CSV, $N_CSV rows ($(du -h "$CSV" | cut -f1))"; echo "locus  $LC"; echo "pandas $RC"
  a=$(echo "$LC" | awk '{ print $2 }'); b=$(echo "$RC" | awk '{ print $2 }')
  awk -v a="$a" -v b="$b" -v n="$N_CSV" 'BEGIN { printf "load_csv   locus %8.4f (%.1f M rows/s)  pandas+pyarrow %8.4f (%.1f M rows/s)  ratio %6.2fx\n", a, n / a / 1e6, b, n / b / 1e6, b / a }'
fi
