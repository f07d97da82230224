#!/usr/bin/env python3
"""The build's layer check: which project folders (and which kinds of system headers) the files
of one folder may include. meson runs it for every folder before that folder's library compiles,
so a wrong include is a build error that names the file, the line and the rule
(docs/ARCHITECTURE.md draws the graph).

  check_layers.py --root SRC --folder F --may-include A,B --forbid torch,gstreamer \
      --stamp OUT --depfile OUT.d

The depfile lists every file and folder read, so ninja checks again when any of them changes.
"""
import argparse
import os
import re
import sys

# System header families a folder can be kept free of, by the first path component.
FAMILIES = {
    "torch": ("LibTorch", ("torch", "ATen", "c10", "caffe2")),
    "gstreamer": ("GStreamer", ("gst", "glib", "glib-object.h", "gio")),
    "opencv": ("OpenCV", ("opencv2",)),
    "sqlite": ("SQLite", ("sqlite3.h",)),
}
SOURCE_SUFFIXES = (".h", ".cpp", ".cu", ".h.in")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--folder", required=True)
    p.add_argument("--may-include", default="")
    p.add_argument("--forbid", default="")
    p.add_argument("--stamp", required=True)
    p.add_argument("--depfile", required=True)
    a = p.parse_args()

    root = os.path.abspath(a.root)
    allowed = {a.folder} | {f for f in a.may_include.split(",") if f}
    forbidden = [f for f in a.forbid.split(",") if f]
    for f in forbidden:
        if f not in FAMILIES:
            sys.exit(f"check_layers: unknown header family '{f}' (known: {', '.join(FAMILIES)})")
    # Project folders: every top-level directory that holds sources.
    project = {d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d))
               and not d.startswith(".")}

    errors, read = [], []
    top = os.path.join(root, a.folder)
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        read.append(dirpath)
        for name in sorted(filenames):
            if not name.endswith(SOURCE_SUFFIXES):
                continue
            path = os.path.join(dirpath, name)
            read.append(path)
            rel = os.path.relpath(path, root)
            with open(path, encoding="utf-8", errors="replace") as f:
                for number, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    quote, header = m.groups()
                    first = header.split("/")[0]
                    if quote == '"' and "/" in header and first in project and first not in allowed:
                        errors.append(f"{rel}:{number}: includes \"{header}\", but {a.folder}/ may "
                                      f"include only {', '.join(sorted(allowed))} "
                                      "(docs/ARCHITECTURE.md)")
                    for family in forbidden:
                        what, prefixes = FAMILIES[family]
                        if first in prefixes:
                            errors.append(f"{rel}:{number}: includes <{header}>, but {a.folder}/ "
                                          f"must not depend on {what} (docs/ARCHITECTURE.md)")
    if errors:
        print("\n".join(f"layer check: {e}" for e in errors), file=sys.stderr)
        return 1
    with open(a.depfile, "w") as d:
        d.write(a.stamp + ": " + " ".join(x.replace(" ", "\\ ") for x in read) + "\n")
    with open(a.stamp, "w") as s:
        s.write("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
