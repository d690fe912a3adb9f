#!/usr/bin/env bash
# Train the pretrained model shipped in models/ (scripts/train_model.rhai says
# what it does). Needs the full training data: scripts/fetch-data.sh first.
#
#   scripts/train_model.sh [--epochs=200] [--depth=6] [--filters=24] [--seed=1] [--out=models]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
exec target/release/locus run scripts/train_model.rhai "$@"
