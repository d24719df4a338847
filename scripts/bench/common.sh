# SPDX-License-Identifier: GPL-2.0
# common.sh: what every benchmark script starts with, sourced after its
# header comment (which --help prints, up to its `set -` line): bench_args
# takes the command line (-h/--help, or nothing) and sets ROOT (the
# repository), BUILD [ROOT/build] and OUT [BUILD/bench], which the
# environment may give.

# bench_args "$@": --help prints the calling script's header; any other
# argument is refused (exit 2).
bench_args() {
	local self=${BASH_SOURCE[1]}

	case ${1:-} in
	-h | --help)
		sed -n '3,/^set -/{/^set -/d;s/^# \{0,1\}//p}' "$self" | sed '/./,$!d'
		exit 0
		;;
	"") ;;
	*)
		echo "${self##*/}: $1: unknown argument (--help)" >&2
		exit 2
		;;
	esac
	ROOT=$(cd "$(dirname "$self")/../.." && pwd)
	BUILD=${BUILD:-$ROOT/build}
	OUT=${OUT:-$BUILD/bench}
}

# Run rather than sourced: say what this file is.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "usage: . scripts/bench/common.sh   (sourced by the benchmark scripts; run, it only prints this)"
fi
