#!/usr/bin/env bash
# Benchmark of the preprocessing numerics: locus vs Picasso 0.11 (PyPI `picassosr`), in one run.
#
#   scripts/bench/preprocess.sh [REPEATS] [N_LOCS]
#
# 1. installs picassosr into a virtual environment under target/bench-venv (once; $BENCH_VENV
#    overrides the folder, $PYTHON the interpreter that creates it);
# 2. examples/bench_preprocess.rs simulates the tables (N_LOCS localizations, default 100 000,
#    20 000 frames, 8 nm precision; drift of 50, 100, 200 nm; blinks over consecutive frames for
#    NeNA and linking), writes them as Picasso files and times locus (best of REPEATS, default 3);
# 3. scripts/reference/preprocess.py times Picasso's postprocess.undrift (segmentation 1000),
#    postprocess.nena and postprocess.link on the same files;
# 4. prints times, errors and ratios side by side (ratio = Picasso / locus).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPEATS=${1:-3}
N_LOCS=${2:-100000}
VENV=${BENCH_VENV:-target/bench-venv}
if [ ! -x "$VENV/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "picassosr==0.11.3"
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cargo build --release --quiet --example bench_preprocess
LOCUS=$("${CARGO_TARGET_DIR:-target}/release/examples/bench_preprocess" "$TMP" "$REPEATS" "$N_LOCS")
REF=$("$VENV/bin/python" scripts/reference/preprocess.py bench "$TMP" "$REPEATS" 2>/dev/null)
echo "== locus"; echo "$LOCUS"
echo "== Picasso $("$VENV/bin/python" -c 'import picasso; print(picasso.__version__)' 2>/dev/null)"; echo "$REF"
row() { echo "$1" | awk -v k="$2" '$1 == k'; }
echo "== summary (seconds; ratio = Picasso / locus; residual RMS per axis in nm, after the mean offset)"
for amp in 50 100 200; do
  k="undrift_${amp}nm"
  a=$(row "$LOCUS" "$k"); b=$(row "$REF" "$k")
  echo "$a $b" | awk '{ printf "%-16s locus %7.3f s (rms x %6.2f y %6.2f)   Picasso %7.3f s (rms x %6.2f y %6.2f)   ratio %5.1fx\n", $1, $2, $3, $4, $6, $7, $8, $6 / $2 }'
done
a=$(row "$LOCUS" nena); b=$(row "$REF" nena)
echo "$a $b" | awk '{ printf "%-16s locus %7.3f s (%6.3f nm)   Picasso %7.3f s (%6.3f nm)   truth %s nm   locus/Picasso %.3f   ratio %5.1fx\n", $1, $2, $3, $6, $7, $4, $3 / $7, $6 / $2 }'
a=$(row "$LOCUS" link); b=$(row "$REF" link)
echo "$a $b" | awk '{ printf "%-16s locus %7.3f s (%d events)   Picasso %7.3f s (%d events, %d differ)   ratio %5.1fx\n", $1, $2, $3, $5, $6, $7, $5 / $2 }'
a=$(row "$LOCUS" render_precision)
echo "$a" | awk '{ printf "%-16s locus %7.3f s\n", $1, $2 }'
