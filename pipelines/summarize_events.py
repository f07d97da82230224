#!/usr/bin/env python3
"""Summarises a hatevents JSON-lines file: frames, people, tracks, embeddings and, given the wall
time of the run, frames per second and the real-time factor (processing time / video duration)."""
import argparse
import json
import os
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("events")
    p.add_argument("--started", type=float, help="when the pipeline started (epoch seconds)")
    p.add_argument("--ended", type=float, help="when it ended")
    p.add_argument("--json", help="also write the summary here")
    a = p.parse_args()
    frames, boxes, tracks, embedded, pts = 0, 0, set(), 0, []
    try:
        with open(a.events) as f:
            for n, line in enumerate(f, 1):
                try:
                    e = json.loads(line)
                except json.JSONDecodeError as err:
                    sys.exit(f"{a.events}:{n}: not JSON ({err})")
                frames += 1
                if "pts_ns" in e:
                    pts.append(e["pts_ns"])
                for o in e["objects"]:
                    boxes += 1
                    if "track_id" in o:
                        tracks.add(o["track_id"])
                    if o.get("embedding_age") == 0:
                        embedded += 1
    except OSError as err:
        sys.exit(f"{a.events}: {err.strerror}")
    s = {"frames": frames, "person_boxes": boxes, "tracks": len(tracks), "embeddings_computed": embedded}
    if len(pts) > 1:
        step = (pts[-1] - pts[0]) / (len(pts) - 1)
        s["video_seconds"] = round((pts[-1] - pts[0] + step) / 1e9, 3)
    if a.started and a.ended:
        wall = a.ended - a.started
        s["wall_seconds"] = round(wall, 3)
        s["frames_per_second"] = round(frames / wall, 2)
        if "video_seconds" in s:
            s["real_time_factor"] = round(wall / s["video_seconds"], 3)
    print(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in s.items()))
    if a.json:
        with open(a.json + ".tmp", "w") as f:
            json.dump(s, f, indent=2)
        os.replace(a.json + ".tmp", a.json)


if __name__ == "__main__":
    main()
