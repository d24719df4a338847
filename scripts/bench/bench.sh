#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh: every benchmark behind `make bench`, into build/bench/:
#   results.{md,json}  ns per packet (BPF_PROG_TEST_RUN) and Maglev build time
#   mpps.{md,json,png} Mpps through the node vs a trivial XDP_TX, 1/1k/1M flows
#   http.{md,json,png} HTTP through the VIP, xlb vs HAProxy (TCP mode)
#   sync.{md,json}     state sync between two nodes: entries/s streamed and
#                      by bulk resync, lag p50/p99/max at 10k and 100k flows/s
#   health.{md,json}   xlbd's CPU for 1,000 and 10,000 TCP-checked backends,
#                      and 100 backends going down at once in 100 VIPs
#   summary.md         all of the above, in one page
# Each part checks that what it timed was the intended work; a part that
# fails stops the run with its reason.
#
# Usage: scripts/bench/bench.sh   (root; `make bench` builds first). BUILD
# names the build directory (default <repo>/build); the HTTP part takes the
# BENCH_* variables of scripts/bench/bench_http.py --help.
set -euo pipefail

# shellcheck source=scripts/bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_args "$@"
mkdir -p "$OUT"

"$BUILD/xlb-bench" "$OUT" >/dev/null
BUILD=$BUILD OUT=$OUT bash "$ROOT/scripts/bench/bench-mpps.sh" >/dev/null
if [ -x "$(command -v gnuplot)" ]; then
	# one row per flow count: "FLOWS" XLB_MPPS FLOOR_MPPS
	jq -r '.[] | "\"\(.flows)\" \(.xlb_mpps) \(.floor_mpps)"' "$OUT/mpps.json" >"$OUT/mpps.dat"
	gnuplot <<GP
set terminal pngcairo size 800,480 noenhanced
set output "$OUT/mpps.png"
set title "Mpps through the node, 64-byte frames (veth, $(nproc) CPUs)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "Mpps delivered"
set xlabel "flows"
set yrange [0:*]
set key top right
plot "$OUT/mpps.dat" using 2:xtic(1) title "xlb", "" using 3 title "trivial XDP_TX (floor)"
GP
fi
BUILD=$BUILD OUT=$OUT bash "$ROOT/scripts/bench/bench-sync.sh" >/dev/null
BUILD=$BUILD OUT=$OUT bash "$ROOT/scripts/bench/bench-health.sh" >/dev/null
if [ -f "$ROOT/scripts/bench/bench_http.py" ]; then
	BUILD=$BUILD python3 "$ROOT/scripts/bench/bench_http.py" >/dev/null
fi
for f in results mpps sync health http; do
	if [ -f "$OUT/$f.md" ]; then
		cat "$OUT/$f.md"
		echo
	fi
done >"$OUT/summary.md"
cat "$OUT/summary.md"
echo
echo "files: $(cd "$OUT" && ls)"
