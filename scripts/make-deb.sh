#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds the Debian package xlb_VERSION_ARCH.deb into OUTDIR with
# dpkg-buildpackage, from a copy of the source (the files git tracks or
# would add, as they are in the work tree), so the tree's build/ is left
# alone. VERSION is XLB_VERSION from the environment (make deb passes the
# Makefile's), written into the copy's debian/changelog: the package and
# xlbd --version say the same.
#
# Usage: XLB_VERSION=V scripts/make-deb.sh OUTDIR   (or: make deb)
set -euo pipefail

case ${1:-} in
-h | --help)
	sed -n '3,/^set -/{/^set -/d;s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" | sed '/./,$!d'
	exit 0
	;;
"")
	echo "make-deb.sh: missing OUTDIR (--help)" >&2
	exit 2
	;;
esac

out=$(realpath -m "$1")
version=${XLB_VERSION:?make-deb.sh: set XLB_VERSION (make deb does)}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
stage=$out/xlb-$version

rm -rf "$out"
mkdir -p "$stage"
cd "$root"
if git rev-parse --git-dir >/dev/null 2>&1; then
	# tracked or new files, minus those deleted in the work tree
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			[ -e "$f" ] && printf '%s\0' "$f"
		done | tar --null -T - -cf - | tar -xf - -C "$stage"
	commit="commit $(git rev-parse --short HEAD)"
	when=$(git log -1 --format=%ct)
else
	tar --exclude=./build --exclude="./${out#./}" -cf - . | tar -xf - -C "$stage"
	commit="a tree without git"
	when=$(date +%s)
fi

cat >"$stage/debian/changelog" <<EOT
xlb ($version) unstable; urgency=medium

  * Built by make deb from $commit.

 -- xlb developers <xlb@example.org>  $(date -R -u -d "@$when")
EOT

cd "$stage"
echo "xlb: dpkg-buildpackage in $stage" >&2
# -b: binary only; -us -uc: unsigned; -j2: the machines have two cores
if ! dpkg-buildpackage -b -us -uc -j2 >"$out/build.log" 2>&1; then
	tail -40 "$out/build.log" >&2
	echo "xlb: make deb: dpkg-buildpackage failed (all of it: $out/build.log)" >&2
	exit 1
fi
ls "$out"/*.deb
