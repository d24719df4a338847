# SPDX-License-Identifier: GPL-2.0
#
# This file holds the KTAP output and check helpers the end-to-end scripts
# source (e2e.sh, lab-selftest.sh, scripts-help.sh, lab_env.sh), so they
# all print the same format (Documentation/dev-tools/ktap.rst):
#
#   KTAP version 1
#   1..N                          the plan, declared before the first test
#   ok 1 - description
#   not ok 2 - description
#   # why it failed               diagnostics: "# " lines
#   ok 3 - description # SKIP reason
#   ...
#   # totals: pass:P fail:F skip:S
#   P passed, F failed            last line, plain: CI reads it
#
# Usage: . selftests/e2e/ktap.sh; KTAP_LOG=FILE (check's scratch output, in
# the caller's work dir); ktap_begin N; checks; ktap_finish (exit status: 0
# when nothing failed). A run that ends with fewer or more results than its
# plan fails, so a skipped or doubled check cannot go unnoticed.

# shellcheck shell=bash

# ktap_args "$@": a suite's command line: -h/--help prints the suite's
# header comment (line 3 to its "set -" line), anything else is refused.
ktap_args()
{
	case ${1:-} in
	-h | --help)
		sed -n '3,/^set -/{/^set -/d;s/^# \{0,1\}//p}' "$0" | sed '/./,$!d'
		exit 0
		;;
	"") ;;
	*)
		echo "$(basename "$0"): $1: unknown argument (--help)" >&2
		exit 2
		;;
	esac
}

KTAP_PLAN=0
KTAP_N=0
KTAP_PASS=0
KTAP_FAIL=0
KTAP_SKIP=0

# ktap_begin N: the version line and the plan.
ktap_begin()
{
	KTAP_PLAN=$1
	echo "KTAP version 1"
	echo "1..$KTAP_PLAN"
}

# ktap_diag TEXT...: TEXT as diagnostic lines, one "# " line per line.
ktap_diag()
{
	local line

	while IFS= read -r line; do
		echo "# $line"
	done <<<"$*"
}

# A description is one line, and a "#" in it would start a directive.
ktap_desc()
{
	local d=${1//$'\n'/ }

	echo "${d//#/no.}"
}

ktap_pass()
{
	KTAP_N=$((KTAP_N + 1))
	KTAP_PASS=$((KTAP_PASS + 1))
	echo "ok $KTAP_N - $(ktap_desc "$1")"
}

# ktap_fail DESCRIPTION [WHY]: WHY goes out as diagnostics.
ktap_fail()
{
	KTAP_N=$((KTAP_N + 1))
	KTAP_FAIL=$((KTAP_FAIL + 1))
	echo "not ok $KTAP_N - $(ktap_desc "$1")"
	[ -z "${2:-}" ] || ktap_diag "$2"
}

# ktap_skip DESCRIPTION REASON
ktap_skip()
{
	KTAP_N=$((KTAP_N + 1))
	KTAP_SKIP=$((KTAP_SKIP + 1))
	echo "ok $KTAP_N - $(ktap_desc "$1") # SKIP $(ktap_desc "$2")"
}

# ktap_skip_to N REASON: the tests up to number N did not run (a step they
# all need failed); each is reported as skipped, so the plan still holds.
ktap_skip_to()
{
	while ((KTAP_N < $1)); do
		ktap_skip "not run" "$2"
	done
}

# check DESCRIPTION CMD...: passes if CMD succeeds. CMD runs in this shell
# (so it may set variables, e.g. start a daemon and keep its pid); its
# output goes to $KTAP_LOG and, if it fails, out as diagnostics (the last
# 20 lines).
check()
{
	local what=$1
	shift

	if "$@" >"${KTAP_LOG:?KTAP_LOG is not set}" 2>&1; then
		ktap_pass "$what"
	else
		ktap_fail "$what" "$(tail -n 20 "$KTAP_LOG")"
	fi
}

# expect_eq DESCRIPTION WANT GOT
expect_eq()
{
	if [ "$2" = "$3" ]; then
		ktap_pass "$1"
	else
		ktap_fail "$1" "want '$2', got '$3'"
	fi
}

# ktap_finish: totals and the summary line; returns 1 if anything failed
# or the number of results is not the plan.
ktap_finish()
{
	if ((KTAP_N != KTAP_PLAN)); then
		KTAP_FAIL=$((KTAP_FAIL + 1))
		echo "# plan was $KTAP_PLAN tests, $KTAP_N reported (the plan or a check is wrong)"
	fi
	echo "# totals: pass:$KTAP_PASS fail:$KTAP_FAIL skip:$KTAP_SKIP"
	echo "$KTAP_PASS passed, $KTAP_FAIL failed"
	[ "$KTAP_FAIL" -eq 0 ]
}

# Run rather than sourced: say what this file is.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "usage: . selftests/e2e/ktap.sh   (sourced; run, it only prints this)"
	sed -n '3,/^$/s/^# \{0,1\}//p' "$0"
	exit 0
fi
