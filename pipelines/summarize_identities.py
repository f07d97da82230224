#!/usr/bin/env python3
"""What hatmatch found: global identities and the tracks each holds, from its JSON-lines
identity events (docs/METADATA.md). A track's identity is the one of its last event (a switch
replaces the earlier one).

Usage: summarize_identities.py IDENTITIES.jsonl [--json OUT]
"""
import argparse
import json
import os
import sys
from collections import defaultdict


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("events")
    ap.add_argument("--json")
    a = ap.parse_args()
    identity_of = {}  # (camera, track) -> global id
    try:
        with open(a.events) as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    e = json.loads(line)
                    identity_of[(e["camera"], e["track"])] = e["global_id"]
                except (ValueError, KeyError) as err:
                    sys.exit(f"{a.events}:{number}: not an identity event ({err})")
    except OSError as err:
        sys.exit(f"{a.events}: {err.strerror}")
    tracks = defaultdict(list)
    for (camera, track), gid in sorted(identity_of.items()):
        tracks[gid].append(f"{camera}:{track}")
    cameras = {gid: sorted({t.split(":")[0] for t in ts}) for gid, ts in tracks.items()}
    across = sum(1 for c in cameras.values() if len(c) > 1)
    print(f"global identities: {len(tracks)} for {len(identity_of)} tracks; "
          f"{across} seen by more than one camera")
    for gid in sorted(tracks, key=lambda g: (-len(tracks[g]), g)):
        print(f"  identity {gid}: {len(tracks[gid])} track(s): {' '.join(tracks[gid])}")
    if a.json:
        summary = {"identities": len(tracks), "tracks": len(identity_of),
                   "identities_across_cameras": across,
                   "tracks_per_identity": {str(g): tracks[g] for g in sorted(tracks)}}
        with open(a.json + ".tmp", "w") as f:
            json.dump(summary, f, indent=1)
        os.replace(a.json + ".tmp", a.json)


if __name__ == "__main__":
    main()
