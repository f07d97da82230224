#!/usr/bin/env bash
# Two pipelines, in two processes, sharing one gallery: a person that the first process's
# cameras saw keeps their global identity in the second's (WAL mode lets both write at once).
#
#   pipelines/shared-gallery.sh MODEL OUT_DIR SOURCE... -- SOURCE...
#
# The sources before -- go to the first process, those after it to the second; each process is a
# pipelines/multi-camera.sh run (same environment variables; CAMERA_IDS_1 and CAMERA_IDS_2 name
# each one's cameras). Outputs: OUT_DIR/process-1, OUT_DIR/process-2 and OUT_DIR/gallery.db.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
usage="usage: pipelines/shared-gallery.sh MODEL OUT_DIR SOURCE... -- SOURCE..."
model=${1:?$usage}
out=${2:?$usage}
shift 2
first=()
while (($# > 0)) && [ "$1" != -- ]; do first+=("$1"); shift; done
(($# > 1)) && ((${#first[@]} > 0)) || { echo "$usage" >&2; exit 2; }
shift
mkdir -p "$out"
export GALLERY=${GALLERY:-$out/gallery.db}
CAMERA_IDS=${CAMERA_IDS_1:-} "$root/pipelines/multi-camera.sh" "$model" "$out/process-1" "${first[@]}" &
one=$!
CAMERA_IDS=${CAMERA_IDS_2:-} "$root/pipelines/multi-camera.sh" "$model" "$out/process-2" "$@" &
two=$!
status=0
wait "$one" || status=1
wait "$two" || status=1
"$root/build/gallery/hat-gallery" list --gallery "$GALLERY"
exit $status
