#!/usr/bin/env bash
# Several cameras into one hatmatch: per camera detection -> tracking -> embedding, then global
# identities across the cameras from one gallery. Writes an annotated MP4 per camera, the
# identity events (JSON lines) and the gallery file.
#
#   pipelines/multi-camera.sh MODEL OUT_DIR SOURCE [SOURCE...]
#   e.g. pipelines/multi-camera.sh runs/default/adapt/model.hat runs/cameras \
#          rtsp://nvr.local:554/ch1 rtsp://nvr.local:554/ch2 /recordings/door.mp4
#
# A SOURCE is a file or a URI (rtsp://, http://, file://). Environment:
#   GALLERY     the gallery file (default OUT_DIR/gallery.db); other processes may share it
#   CAMERA_IDS  comma-separated camera names (default camera-0, camera-1, ...)
#   MATCH_OPTS, EMBED_OPTS, DETECT_OPTS  extra hatmatch / hatembed / hatdetect properties
#   MQTT        host:port of an MQTT broker: each camera's people are published there in
#               Frigate's format (hatpublish; docs/METADATA.md "MQTT"), e.g. MQTT=127.0.0.1:1883
#   PUBLISH_OPTS extra hatpublish properties (topic-prefix=, username=, ca-file=, ha-discovery=true)
# Live sources run until Ctrl-C; -e sends EOS so every MP4 is finished.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
usage="usage: pipelines/multi-camera.sh MODEL OUT_DIR SOURCE [SOURCE...]"
model=${1:?$usage}
out=${2:?$usage}
shift 2
(($# > 0)) || { echo "$usage" >&2; exit 2; }
[ -r "$model" ] || { echo "multi-camera: cannot read model $model" >&2; exit 1; }
mkdir -p "$out"
gallery=${GALLERY:-$out/gallery.db}
publish=()
if [ -n "${MQTT:-}" ]; then
  [[ $MQTT =~ ^([^:]+):([0-9]+)$ ]] || { echo "multi-camera: MQTT=$MQTT is not host:port" >&2; exit 2; }
  # shellcheck disable=SC2206  # PUBLISH_OPTS is a list of property=value words
  publish=(hatpublish host="${BASH_REMATCH[1]}" port="${BASH_REMATCH[2]}" ${PUBLISH_OPTS:-})
fi
IFS=, read -r -a ids <<<"${CAMERA_IDS:-}"
export GST_PLUGIN_PATH_1_0=$root/build/gst-plugin${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}

# shellcheck disable=SC2206  # the *_OPTS are lists of property=value words
match=(hatmatch name=m gallery-location="$gallery" events-location="$out/identities.jsonl" ${MATCH_OPTS:-})
branches=()
outputs=()
i=0
for source in "$@"; do
  case $source in
    *://*) uri=$source ;;
    *) [ -r "$source" ] || { echo "multi-camera: cannot read $source" >&2; exit 1; }
       uri=file://$(realpath "$source") ;;
  esac
  camera=${ids[$i]:-camera-$i}
  match+=("sink_$i::camera-id=$camera")
  # shellcheck disable=SC2206,SC2054  # the *_OPTS are property=value words; caps hold commas
  branches+=(uridecodebin uri="$uri" ! videoconvert ! video/x-raw,format=I420
         ! hatdetect ${DETECT_OPTS:-} ! hattrack
         ! hatembed model="$model" ${EMBED_OPTS:-} ! m.sink_$i
         m.src_$i ${publish[@]:+! ${publish[*]} camera-id=$camera} ! hatoverlay ! videoconvert ! avenc_mpeg4 bitrate=2000000 ! mp4mux
         ! filesink location="$out/$camera.mp4.tmp")
  outputs+=("$out/$camera.mp4")
  i=$((i + 1))
done
gst-launch-1.0 -q -e "${match[@]}" "${branches[@]}"
# Renamed once complete: an interrupted run never leaves a truncated file where a good one was.
for f in "${outputs[@]}"; do mv "$f.tmp" "$f"; done
echo "annotated videos: ${outputs[*]}"
echo "identity events (JSON lines): $out/identities.jsonl"
echo "gallery: $gallery (hat-gallery list --gallery $gallery; hat-gallery serve --gallery $gallery --model $model)"
[ -z "${MQTT:-}" ] || echo "people and identities published to the MQTT broker $MQTT (topics: docs/METADATA.md)"

