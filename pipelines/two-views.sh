#!/usr/bin/env bash
# The mission end to end on one recording: the sample video cut into two time-separated views
# (its first and second half), fed as two cameras through hatdetect ! hattrack ! hatembed into
# one hatmatch with a gallery file (pipelines/multi-camera.sh). Writes both annotated videos, the
# identity events and the gallery, and prints how many global identities it found and which
# tracks each holds.
#
#   pipelines/two-views.sh [MODEL] [OUT_DIR] [VIDEO]
#
# MODEL defaults to the bundled default (runs/default/adapt/model.hat), OUT_DIR to runs/two-views,
# VIDEO to data/vtest.avi. The gallery starts empty on every run (OUT_DIR/gallery.db is
# replaced). MATCH_OPTS, EMBED_OPTS and DETECT_OPTS pass through to multi-camera.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
model=${1:-$root/runs/default/adapt/model.hat}
out=${2:-$root/runs/two-views}
video=${3:-$root/data/vtest.avi}
for f in "$model" "$video"; do
  [ -r "$f" ] || { echo "two-views: cannot read $f" >&2; exit 1; }
done
mkdir -p "$out"
read -r frames fps < <("$root/build/pipelines/hat-cut-video" count "$video")
half=$((frames / 2))
"$root/build/pipelines/hat-cut-video" cut "$video" "$out/view-a.avi" --first 0 --count "$half"
"$root/build/pipelines/hat-cut-video" cut "$video" "$out/view-b.avi" --first "$half" \
  --count "$((frames - half))"
rm -f "$out/gallery.db" "$out/gallery.db-wal" "$out/gallery.db-shm" "$out/identities.jsonl"
start=$EPOCHREALTIME
CAMERA_IDS=view-a,view-b "$root/pipelines/multi-camera.sh" "$model" "$out" \
  "$out/view-a.avi" "$out/view-b.avi"
end=$EPOCHREALTIME
"$root/.venv/bin/python" "$root/pipelines/summarize_identities.py" "$out/identities.jsonl" \
  --json "$out/identities-summary.json"
# Both views run at once, as two live cameras would: real time is the length of one view.
awk -v s="$start" -v e="$end" -v n="$half" -v fps="$fps" 'BEGIN {
  view = n / fps; wall = e - s
  printf "two views of %.1f s each (%d frames) in %.1f s: real-time factor %.2f (both at once)\n",
         view, n, wall, wall / view
  printf "{\"view_seconds\": %.3f, \"wall_seconds\": %.3f, \"real_time_factor\": %.3f}\n",
         view, wall, wall / view > "'"$out"'/timing.json" }'
