#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-mpps.sh: packets per second through an xlb node, beside the same
# path with a trivial XDP_TX program in xlb's place, in one run.
#
#   xlb-pktgen ──gen0═══lb0── xlb_lb (xlbd, tunnel to 3 backends via the
#   (live frames)  ▲ veth    │ next hop = gen0's MAC) or xlb_tx (floor)
#                  └─ sink ◄─┘ XDP_TX: counted on gen0, then dropped
#
# 64-byte TCP ACKs to the VIP over 1, 1k and 1M flows (source port and
# address vary). Each figure is the median of RUNS runs after a warm-up run
# that fills conntrack, so "1 flow" and "1k flows" are conntrack hits and
# "1M flows" is a table of a million tracked flows. Delivered = what the
# sink counted / the generator's send time. Every xlb run is checked: the
# sink count equals what xlb counted as tx_forward, and nothing was lost.
#
# Everything shares this machine's cores: the generator, the veth NAPI that
# runs the LB and the sink. The ratio to the floor is the figure to read.
# Writes build/bench/mpps.{json,md}.
#
# Usage: scripts/bench/bench-mpps.sh   (root; `make bench` runs it).
# Environment (defaults in brackets): BUILD [<repo>/build], OUT [BUILD/bench],
# RUNS [3], COUNT [3000000 packets per run], FLOWS ["1 1000 1000000"].
set -euo pipefail

case ${1:-} in
-h | --help)
	sed -n '3,/^set -/{/^set -/d;s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" | sed '/./,$!d'
	exit 0
	;;
"") ;;
*)
	echo "bench-mpps.sh: $1: unknown argument (--help)" >&2
	exit 2
	;;
esac

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
OUT=${OUT:-$BUILD/bench}
RUNS=${RUNS:-3}
COUNT=${COUNT:-3000000}
FLOWS=${FLOWS:-"1 1000 1000000"}
NS=xlbmp$$
PIN=/sys/fs/bpf/xlb-mpps-$$
WORK=$(mktemp -d /tmp/xlb-mpps.XXXXXX)
XLBD=

cleanup() {
	if [ -n "$XLBD" ]; then
		kill "$XLBD" 2>/dev/null
		wait "$XLBD" 2>/dev/null
	fi
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$PIN" "$WORK"
}
trap cleanup EXIT

in_ns() { nsenter --net="/run/netns/$NS" "$@"; }
die() { echo "bench-mpps: $*" >&2; exit 1; }
json() { jq -r "$1"; } # json FILTER: one value of the JSON on stdin
# ratio A B DIGITS: A / B with DIGITS decimals
ratio() { awk -v a="$1" -v b="$2" -v d="$3" 'BEGIN { printf "%.*f\n", d, a / b }'; }

ip netns add "$NS"
ip -n "$NS" link add gen0 type veth peer name lb0
for d in gen0 lb0; do
	# the sink counts every frame: no neighbour discovery chatter
	ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$d.disable_ipv6=1"
	ip -n "$NS" link set "$d" up
done
GENMAC=$(ip -n "$NS" -j link show gen0 | json '.[0].address')
LBMAC=$(ip -n "$NS" -j link show lb0 | json '.[0].address')

cat >"$WORK/xlb.yaml" <<EOF
pin_dir: $PIN
hash_seed: 24301
conntrack: { entries: 2097152 }
encap: { source4: 198.19.0.0 }
nexthop: { mac: '$GENMAC' }
backends:
  - { id: 1, address: 198.18.0.11 }
  - { id: 2, address: 198.18.0.12 }
  - { id: 3, address: 198.18.0.13 }
vips:
  - { name: web4, address: 192.0.2.10, port: 80, protocol: tcp,
      backends: [ {id: 1}, {id: 2}, {id: 3} ] }
EOF

tx_forward() {
	in_ns "$BUILD/xlb" -s "$WORK/sock" --pin-dir "$PIN" --json stats |
		json '["counters"]["tx_forward"]'
}

# run FLOWS -> "sent received seconds" of one generator run into the sink
run() {
	local flows=$1 sink
	in_ns "$BUILD/xlb-pktgen" sink --dev gen0 --until-idle 400 --json \
		>"$WORK/sink.json" 2>/dev/null &
	sink=$!
	sleep 0.3
	in_ns "$BUILD/xlb-pktgen" --dev gen0 --dst-mac "$LBMAC" \
		--src 203.0.113.7 --dst 192.0.2.10 --dport 80 --proto tcp-ack \
		--size 64 --flows "$flows" --count "$COUNT" --json \
		>"$WORK/gen.json" 2>/dev/null
	wait "$sink"
	echo "$(json '.packets' <"$WORK/gen.json")" \
		"$(json '.packets' <"$WORK/sink.json")" \
		"$(json '.seconds' <"$WORK/gen.json")"
}

# measure LABEL FLOWS -> median delivered Mpps over RUNS runs (and checks)
measure() {
	local label=$1 flows=$2 r sent got secs before after rates=()
	run "$flows" >/dev/null # warm-up: conntrack learns the flows
	for ((r = 0; r < RUNS; r++)); do
		[ "$label" = xlb ] && before=$(tx_forward)
		read -r sent got secs < <(run "$flows")
		[ "$sent" = "$COUNT" ] || die "$label $flows flows: sent $sent of $COUNT"
		if [ "$label" = xlb ]; then
			after=$(tx_forward)
			[ $((after - before)) -eq "$got" ] ||
				die "xlb $flows flows: sink got $got, xlb forwarded $((after - before))"
		fi
		rates+=("$(awk -v g="$got" -v s="$secs" 'BEGIN { printf "%.3f\n", g / s / 1e6 }')")
		echo "  $label, $flows flows, run $((r + 1)): sent $sent, delivered $got in ${secs}s" >&2
	done
	printf '%s\n' "${rates[@]}" | sort -g | sed -n "$(((RUNS + 1) / 2))p"
}

mkdir -p "$OUT"
declare -A XLB FLOOR

# the floor first: the trivial program, then xlb in its place
ip -n "$NS" link set dev lb0 xdpdrv obj "$BUILD/xlb_tx.bpf.o" sec xdp
for f in $FLOWS; do FLOOR[$f]=$(measure floor "$f"); done
ip -n "$NS" link set dev lb0 xdpdrv off

# nsenter execs xlbd, so $! is xlbd itself (a shell function here would
# leave $! the subshell's, and the cleanup would miss the daemon)
nsenter --net="/run/netns/$NS" "$BUILD/xlbd" -c "$WORK/xlb.yaml" \
	-s "$WORK/sock" -i lb0 >"$WORK/xlbd.log" 2>&1 &
XLBD=$!
for _ in $(seq 50); do
	in_ns "$BUILD/xlb" -s "$WORK/sock" --json status >/dev/null 2>&1 && break
	sleep 0.1
done
for f in $FLOWS; do XLB[$f]=$(measure xlb "$f"); done
ct=$(in_ns "$BUILD/xlb" -s "$WORK/sock" --json conntrack count | json '.count')

{
	echo
	echo "### Throughput through the node, 64-byte TCP ACKs (median of $RUNS runs of $COUNT packets)"
	echo
	echo "machine: $(uname -r), $(nproc) CPUs; generator, LB and sink share them (veth pair)."
	echo "conntrack held $ct entries at the end."
	echo
	echo "| flows | xlb Mpps | floor (XDP_TX) Mpps | xlb / floor |"
	echo "|---:|---:|---:|---:|"
	for f in $FLOWS; do
		echo "| $f | ${XLB[$f]} | ${FLOOR[$f]} | $(ratio "${XLB[$f]}" "${FLOOR[$f]}" 2) |"
	done
} >"$OUT/mpps.md"
{
	first=1
	echo "["
	for f in $FLOWS; do
		[ $first = 1 ] || echo ","
		first=0
		printf '{"bench":"mpps","flows":%s,"xlb_mpps":%s,"floor_mpps":%s,"runs":%s,"packets":%s}' \
			"$f" "${XLB[$f]}" "${FLOOR[$f]}" "$RUNS" "$COUNT"
	done
	echo
	echo "]"
} >"$OUT/mpps.json"
cat "$OUT/mpps.md"
