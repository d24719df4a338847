#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# check-layout.sh - checks the layering rules of README's Layout section by
# reading includes and calls: user/lib includes nothing above it, user/config
# includes only lib, nothing in user/xlbd touches a BPF map directly.
# Usage: selftests/check-layout.sh [-h|--help]   (make test-unit runs it)
set -uo pipefail
case "${1:-}" in -h|--help) sed -n '3,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

bad=0
fail() { echo "check-layout: $*" >&2; bad=1; }

# allowed DIR PATTERN: every quoted include in user/DIR must match PATTERN
allowed() {
	local dir=$1 pat=$2 f inc
	for f in user/"$dir"/*.[ch]; do
		[ -e "$f" ] || continue
		while IFS= read -r inc; do
			[[ $inc =~ $pat ]] || fail "$f includes \"$inc\": user/$dir may include only ${3}"
		done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
	done
}
# Skeletons (*.skel.h) are generated from bpf/ and sit below everything.
allowed lib '^(lib/[a-z_0-9]+\.h|[a-z_0-9]+\.skel\.h)$' 'lib/ and skeletons'
allowed config '^(lib|config)/[a-z_0-9]+\.h$' 'lib/ and config/'

while IFS= read -r hit; do
	fail "$hit: user/xlbd calls bpf_map_* directly; go through user/lib"
done < <(grep -n 'bpf_map_[a-z_]*(' user/xlbd/*.c 2>/dev/null | cut -d: -f1,2)

if ((bad)); then
	echo "check-layout: FAILED (README, Layout)" >&2
	exit 1
fi
echo "check-layout: ok"
