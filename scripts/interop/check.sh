#!/usr/bin/env bash
# Interoperability check of locus's localization files with the Python stack.
#
#   scripts/interop/check.sh
#
# (a) h5py writes Picasso-layout files (contiguous; chunked + gzip; extra f8/i4/i8
#     columns; 0 rows; NaN coordinates) and a ThunderSTORM CSV; locus must read
#     them with equal values (examples/interop_locs.rs dumps what it read as JSON);
# (b) the files locus writes must load through pandas.read_hdf(path, key="locs")
#     and h5py with every field and type intact, and their YAML through PyYAML
#     (as Picasso reads it).
# The check runs in a Python venv: $LOCUS_INTEROP_VENV if set, else .venv-interop
# in the repository (created on first use with pip: numpy h5py pandas tables pyyaml;
# it holds a .gitignore of its own). Needs cargo and python3 (>= 3.9).
# Exit status 0 when every check passes; failures are listed on stderr.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${LOCUS_INTEROP_VENV:-.venv-interop}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  echo '*' > "$VENV/.gitignore"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet numpy h5py pandas tables pyyaml
fi
cargo build --release --quiet --example interop_locs
exec "$VENV/bin/python" scripts/interop/check.py target/release/examples/interop_locs
