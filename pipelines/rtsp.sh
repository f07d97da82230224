#!/usr/bin/env bash
# An RTSP camera (an NVR channel, an IP camera), live: detection -> tracking -> embedding ->
# overlay, recorded to MP4 with events.
#
#   pipelines/rtsp.sh URL [MODEL] [OUT_DIR]
#   e.g. pipelines/rtsp.sh rtsp://user:pass@192.168.1.20:554/stream1
#
# latency=200 on rtspsrc buffers jitter; drop-on-latency keeps the stream live when the network
# stalls. Stop with Ctrl-C: -e sends EOS so mp4mux finishes the file.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
url=${1:?usage: pipelines/rtsp.sh URL [MODEL] [OUT_DIR]}
model=${2:-$root/runs/default/adapt/model.hat}
out=${3:-$root/runs/rtsp}
mkdir -p "$out"
export GST_PLUGIN_PATH_1_0=$root/build/gst-plugin${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}
exec gst-launch-1.0 -e -m rtspsrc location="$url" latency=200 drop-on-latency=true ! decodebin \
  ! videoconvert ! video/x-raw,format=I420 \
  ! hatdetect inference-interval=2 ! hattrack ! hatembed model="$model" \
  ! hatevents location="$out/events.jsonl" camera-id=rtsp \
  ! hatoverlay ! videoconvert ! avenc_mpeg4 bitrate=4000000 ! mp4mux ! filesink location="$out/annotated.mp4"
