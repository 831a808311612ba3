#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# scripts/deb-build.sh [OUTDIR]: builds the cgtier Debian package (debian/)
# with `dpkg-buildpackage -b -us -uc` and leaves cgtier_*.deb, the
# .buildinfo and the .changes in OUTDIR (default build/deb).
#
# dpkg-buildpackage writes its results into the parent of the source tree
# and its intermediate files into debian/ and the tree itself, so it runs
# in a copy of the tracked and untracked-but-not-ignored files under
# OUTDIR/src: the checkout stays clean and nothing lands next to it.
# Extra arguments for dpkg-buildpackage: DEB_BUILD_ARGS; DEB_BUILD_OPTIONS
# is passed through (nocheck skips the unit tests in the build).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
src=$out/src/cgtier

rm -rf "$out/src"
mkdir -p "$src"
# The files git knows and those it would add (a file deleted in the work
# tree but still in the index is skipped); never build outputs.
(cd "$top" && git ls-files -z --cached --others --exclude-standard) |
	while IFS= read -r -d '' f; do
		if [ -e "$top/$f" ] || [ -L "$top/$f" ]; then
			printf '%s\0' "$f"
		fi
	done | (cd "$top" && xargs -0 -r cp --parents -P -t "$src")
rm -f "$out"/cgtier_*.deb "$out"/cgtier-dbgsym_*.deb "$out"/cgtier_*.buildinfo \
	"$out"/cgtier_*.changes
# shellcheck disable=SC2086
(cd "$src" && dpkg-buildpackage -b -us -uc ${DEB_BUILD_ARGS:-}) >"$out/build.log" 2>&1 || {
	tail -n 30 "$out/build.log" >&2
	echo "deb-build: dpkg-buildpackage failed (full log: $out/build.log)" >&2
	exit 1
}
mv "$out"/src/cgtier_* "$out"/src/cgtier-dbgsym_* "$out"/ 2>/dev/null || true
ls "$out"/cgtier_*.deb
