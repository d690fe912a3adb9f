#!/usr/bin/env bash
# Benchmark of vectorised columns and masks: locus vs numpy, in one run.
#
#   scripts/bench/columns.sh [N_ROWS] [REPEATS]
#
# Both sides build an N_ROWS-row (default 10 000 000) Picasso-shaped table in memory
# (frame sorted in 0..20000, ten f32 columns uniform in [0, 1); numpy as the structured
# array h5py returns, as Picasso keeps it) and time (best of REPEATS, default 5):
#   mask    (photons > 0.5) & (sx < 0.8) | (frame < 2000) on f64 columns
#   where   the selected rows as a new table (numpy: locs[mask] of the structured array;
#           where_columns: the same on separate column arrays, the layout locus uses)
#   filter  both from the table (locus: col() x3 + mask + where; numpy: on the struct fields)
# and prints the ratios reference / locus (> 1: locus is faster).
# Python: $PYTHON, else /work/venv/bin/python if present, else python3 (needs numpy).
set -euo pipefail
cd "$(dirname "$0")/../.."
N_ROWS=${1:-10000000}
REPEATS=${2:-5}
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  if [ -x /work/venv/bin/python ]; then PY=/work/venv/bin/python; else PY=python3; fi
fi
cargo build --release --quiet --example bench_columns
LOCUS=$(target/release/examples/bench_columns "$N_ROWS" "$REPEATS")
REF=$("$PY" scripts/reference/columns.py bench "$N_ROWS" "$REPEATS")
echo "== locus"; echo "$LOCUS"
echo "== reference (numpy)"; echo "$REF"
get() { echo "$1" | awk -v k="$2" '$1 == k { print $2 }'; }
echo "== summary (seconds; ratio = reference / locus)"
for k in mask where filter; do
  a=$(get "$LOCUS" "$k"); b=$(get "$REF" "$k")
  awk -v k="$k" -v a="$a" -v b="$b" 'BEGIN { printf "%-8s locus %8.4f  numpy %8.4f  ratio %6.2fx\n", k, a, b, b / a }'
done
a=$(get "$LOCUS" where); b=$(get "$REF" where_columns)
awk -v a="$a" -v b="$b" 'BEGIN { printf "%-8s locus %8.4f  numpy %8.4f  ratio %6.2fx  (numpy on separate column arrays)\n", "where", a, b, b / a }'
a=$(get "$LOCUS" col)
awk -v a="$a" 'BEGIN { printf "%-8s locus %8.4f  (three f32/u32 columns as f64; numpy reads struct fields in place)\n", "col", a }'
