#!/usr/bin/env bash
# The paper's training figures in standard mode (docs/paper.md): 4A on the
# real data (needs scripts/fetch-data.sh first), 3D and 4C on simulations.
# Each figure runs single-threaded, two at a time (4A on one core; 3D, then
# 4C on the other): on a 2-core machine that is faster than one figure at a
# time on both cores. Each must finish within 30 minutes and pass its
# assertions; the summary says which did.
#
#   scripts/paper/standard.sh [--out=out/standard] [--publish]
#
# --publish copies the figures and tables (fig*_standard.md) into docs/paper/.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=out/standard
publish=0
for a in "$@"; do
  case "$a" in
    --out=*) out="${a#--out=}" ;;
    --publish) publish=1 ;;
    *) echo "standard.sh: unknown argument $a (use --out=DIR, --publish)" >&2; exit 2 ;;
  esac
done
cargo build --release --quiet || exit 1
mkdir -p "$out/logs"
# A copy of the binary: rebuilding during the run does not change it.
cp target/release/locus "$out/locus"
export CANDLE_NUM_THREADS=1 RAYON_NUM_THREADS=1
limit=1800

run() { # name script
  local name=$1 script=$2 t0 rc
  t0=$(date +%s)
  timeout "$limit" "$out/locus" run "examples/paper/$script" --standard --out="$out/$name" \
    > "$out/logs/$name.log" 2>&1
  rc=$?
  echo "$name $rc $(( $(date +%s) - t0 ))" >> "$out/logs/summary"
}

rm -f "$out/logs/summary"
run fig4a fig4a_losses.rhai &
( run fig3d fig3d_targets.rhai; run fig4c fig4c_two_filaments.rhai ) &
wait

status=0
echo "figure  result   seconds (limit $limit)"
while read -r name rc secs; do
  case "$rc" in
    0) res=passed ;;
    124) res=TIMEOUT; status=1 ;;
    *) res=FAILED; status=1 ;;
  esac
  printf '%-7s %-8s %s\n' "$name" "$res" "$secs"
  [ "$rc" = 0 ] || tail -n 3 "$out/logs/$name.log" | sed 's/^/    /'
done < <(sort "$out/logs/summary")
if [ "$publish" = 1 ]; then
  mkdir -p docs/paper/standard
  for d in fig3d fig4a fig4c; do
    cp "$out/$d"/*.svg "$out/$d"/*_standard.md docs/paper/standard/ 2>/dev/null || true
  done
  echo "copied the figures and tables to docs/paper/standard/"
fi
exit $status
