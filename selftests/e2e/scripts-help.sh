#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts-help.sh - every script under scripts/ and selftests/e2e/ answers
# --help and -h with help and does nothing else: it exits 0, prints
# "usage", creates no network namespace and writes nothing under
# build/bench (once, `bench.sh --help` ran the benchmarks and emptied
# build/bench/results.*; `demo.sh --help` brought the demo up).
#
# Each run happens in a mount namespace of its own with a fresh tmpfs on
# /run/netns, so a namespace the script creates lands there and is seen,
# while other people's labs on the machine cannot disturb the count.
# build/bench is compared (names, sizes, times) before and after.
#
# Usage: selftests/e2e/scripts-help.sh [SCRIPT...]   (root; `make test-e2e`
# runs it on every *.sh and *.py of scripts/ and selftests/e2e/). Output in
# KTAP; the last line is "N passed, N failed"; the exit status is 1 if any
# failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case ${1:-} in
-h | --help)
	sed -n '3,/^set -/{/^set -/d;s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" | sed '/./,$!d'
	exit 0
	;;
esac
# shellcheck source=selftests/e2e/ktap.sh
. "$ROOT/selftests/e2e/ktap.sh"

[ "$(id -u)" -eq 0 ] || { echo "scripts-help: need root (unshare, mount)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/xlb-scripts-help.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
KTAP_LOG=$WORK/check.log

if [ $# -gt 0 ]; then
	scripts=("$@")
else
	mapfile -t scripts < <(cd "$ROOT" && find scripts selftests/e2e -type f \
		\( -name '*.sh' -o -name '*.py' \) | sort)
fi

# What build/bench holds: every path with its size and modification time.
bench_state()
{
	[ -d "$BUILD/bench" ] || return 0
	find "$BUILD/bench" -printf '%p %s %T@\n' | sort
}

# help_run SCRIPT FLAG: runs it with a private /run/netns, output to
# $WORK/out, the namespaces it left to $WORK/netns; its exit status.
help_run()
{
	local interp=bash

	[[ $1 == *.py ]] && interp=python3
	# shellcheck disable=SC2016
	(cd "$ROOT" && OUT=$WORK/out NETNS=$WORK/netns timeout -k 5 30 \
		unshare --mount --propagation private bash -c '
		mkdir -p /run/netns && mount -t tmpfs xlb-help /run/netns || exit 99
		"$@" >"$OUT" 2>&1 </dev/null
		rc=$?
		ls -A /run/netns >"$NETNS"
		exit $rc' _ "$interp" "$1" "$2")
}

ktap_begin $((2 * ${#scripts[@]}))
for s in "${scripts[@]}"; do
	for flag in --help -h; do
		before=$(bench_state)
		: >"$WORK/out"
		: >"$WORK/netns"
		help_run "$s" "$flag"
		rc=$?
		why=
		[ "$rc" -eq 0 ] || why+="exit status $rc; "
		grep -qi usage "$WORK/out" || why+="no \"usage\" in its output; "
		[ ! -s "$WORK/netns" ] || why+="created namespaces: $(xargs <"$WORK/netns"); "
		[ "$before" = "$(bench_state)" ] || why+="changed build/bench; "
		if [ -z "$why" ]; then
			ktap_pass "$s $flag prints help and does nothing else"
		else
			ktap_fail "$s $flag prints help and does nothing else" \
				"${why%; }"$'\n'"$(head -n 5 "$WORK/out")"
		fi
	done
done
ktap_finish
