#!/usr/bin/env bash
# Interleaved `petite run` wall time of two builds on the same files (best of REPS, default 3):
#   bash bench/compare_builds.sh OLD_PETITE NEW_PETITE file.pte ...
# Used to show a change is no speed regression (load + one run, as an app's first inference).
set -euo pipefail
old=$1 new=$2
shift 2
reps=${REPS:-3}
best() { awk 'NR == 1 || $1 < m { m = $1 } END { printf "%.3f", m }'; }
for f in "$@"; do
  o=() n=()
  for ((r = 0; r < reps; r++)); do
    o+=("$( { /usr/bin/time -f %e "$old" run "$f" >/dev/null; } 2>&1 | tail -1)")
    n+=("$( { /usr/bin/time -f %e "$new" run "$f" >/dev/null; } 2>&1 | tail -1)")
  done
  printf "%-52s old %8s s   new %8s s\n" "$(basename "$f")" "$(printf '%s\n' "${o[@]}" | best)" "$(printf '%s\n' "${n[@]}" | best)"
done
