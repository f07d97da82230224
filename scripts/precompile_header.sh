#!/bin/sh
# precompile_header.sh HEADER OUT_HEADER OUT_GCH COMPILER [ARGS...]: copies HEADER next to its
# precompiled form, so that `-include OUT_HEADER` finds OUT_GCH (GCC's rule), and compiles it
# with ARGS, which must be the flags of the files that include it (pch/meson.build).
set -eu
header=$1 out_header=$2 out_gch=$3
shift 3
cp "$header" "$out_header"
"$@" -x c++-header "$out_header" -o "$out_gch.tmp"
mv "$out_gch.tmp" "$out_gch"
