#!/usr/bin/env bash
# locus batch on a SLURM cluster: one array task per data file, then a summary job.
#
# Submit (on the login node):
#   scripts/slurm/array.sh SCRIPT LIST OUT [sbatch options...]
#     SCRIPT  the .rhai script, run once per file as `locus run SCRIPT FILE --out=OUT/NAME`
#     LIST    a text file with one data file per line (# comments and blank lines skipped)
#     OUT     the output folder (per-file folders, logs/NAME.log, logs/NAME.done, summary.csv)
#     sbatch options, e.g. --time=01:00:00 --cpus-per-task=8 --mem=16G --partition=gpu --gres=gpu:1
#   Submits `sbatch --array=0-(N-1)` running this same file as the task body, and a summary job
#   (`locus batch --summary OUT`, after all tasks, whatever their outcome) whose output is
#   OUT/summary.log; the table is also saved as OUT/summary.csv. Resubmitting skips the files
#   whose done-markers are current (same script and arguments), exactly as `locus batch` does.
#
# As the array task (SLURM sets SLURM_ARRAY_TASK_ID; to try one task by hand, set it yourself):
#   SLURM_ARRAY_TASK_ID=3 scripts/slurm/array.sh SCRIPT LIST OUT
#   runs `locus batch SCRIPT --files-from LIST --task 3 --out OUT --jobs 1`: file 3 (0-based) of
#   LIST, with the same log, done-marker and result as a local `locus batch`.
#
# Environment: LOCUS, the locus binary (default: `locus` on PATH). Extra script arguments go in
# LOCUS_SCRIPT_ARGS (split on spaces), e.g. LOCUS_SCRIPT_ARGS="--quick".
set -euo pipefail
if [ $# -lt 3 ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 2
fi
SCRIPT=$1 LIST=$2 OUT=$3
shift 3
LOCUS=${LOCUS:-locus}
read -r -a EXTRA <<< "${LOCUS_SCRIPT_ARGS:-}"
if [ -n "${SLURM_ARRAY_TASK_ID:-}" ]; then
  # The task body. The file count, the names and the markers all come from `locus batch` itself.
  if [ ${#EXTRA[@]} -gt 0 ]; then
    exec "$LOCUS" batch "$SCRIPT" --files-from "$LIST" --task "$SLURM_ARRAY_TASK_ID" --out "$OUT" --jobs 1 -- "${EXTRA[@]}"
  else
    exec "$LOCUS" batch "$SCRIPT" --files-from "$LIST" --task "$SLURM_ARRAY_TASK_ID" --out "$OUT" --jobs 1
  fi
fi
N=$(grep -v '^[[:space:]]*\(#\|$\)' "$LIST" | wc -l)
if [ "$N" -eq 0 ]; then
  echo "array.sh: $LIST lists no files" >&2
  exit 2
fi
command -v sbatch > /dev/null || { echo "array.sh: sbatch not found (not on a SLURM login node?)" >&2; exit 2; }
mkdir -p "$OUT/logs"
SELF=$(readlink -f "$0")
# Task ids 0..N-1 index the list as `locus batch --task` does. Slurm's own output is only for
# failures to start: each file's log is OUT/logs/NAME.log.
JOB=$(sbatch --parsable --job-name=locus-batch --array="0-$((N - 1))" \
  --output="$OUT/logs/slurm-%A_%a.out" --export=ALL,LOCUS="$LOCUS" "$@" \
  "$SELF" "$SCRIPT" "$LIST" "$OUT")
JOB=${JOB%%;*}
SUM=$(sbatch --parsable --job-name=locus-summary --dependency="afterany:$JOB" \
  --output="$OUT/summary.log" --time=00:05:00 --wrap "'$LOCUS' batch --summary '$OUT'")
echo "submitted array job $JOB ($N tasks) and summary job $SUM; table in $OUT/summary.log"
