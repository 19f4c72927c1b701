#!/bin/sh
# package-check.sh - build the Debian package from the tree's committed
# state and run lintian on it (doc/packaging.md).
#
#   scripts/package-check.sh [OUTDIR]
#
# The tree is exported with `git archive` into a temporary directory (so
# the working tree and its _build stay untouched), built with
# `dpkg-buildpackage -us -uc -b`, and the .deb files are copied to OUTDIR
# (default: ./_package). Exits non-zero when the build fails or lintian
# reports an error or a warning that debian/ does not override.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/_package}
work=$(mktemp -d /tmp/posthorn-package.XXXXXX)
trap 'rm -rf "$work"' EXIT

for tool in dpkg-buildpackage dh lintian; do
  command -v "$tool" >/dev/null || { echo "package-check: $tool is missing (apt-get install dpkg-dev debhelper lintian)" >&2; exit 2; }
done

mkdir "$work/posthorn"
git -C "$top" archive HEAD | tar -x -C "$work/posthorn"
cd "$work/posthorn"
autoreconf -fi >/dev/null 2>&1
dpkg-buildpackage -us -uc -b -j"$(nproc)" >"$work/build.log" 2>&1 || { tail -40 "$work/build.log" >&2; exit 1; }
mkdir -p "$out"
cp "$work"/*.deb "$out"/
echo "package-check: built $(cd "$work" && ls *.deb | tr '\n' ' ')"
lintian --fail-on error,warning "$work"/*.changes
echo "package-check: lintian is clean"
