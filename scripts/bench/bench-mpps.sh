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
# 64-byte TCP ACKs to the VIP over 1, 1k, 100k, 1M and 4M flows (source
# port and address vary). Each figure is the median of RUNS runs after a
# warm-up run of max(COUNT, flows) packets that shows conntrack every flow,
# so a point is all conntrack hits as long as the table holds its flows;
# the hit rate of each point (ct_hit over ct_hit + ct_miss during the timed
# runs) says whether it did. Conntrack is sized by README's rule for the
# largest point: the flows with a quarter of headroom (the LRU is common to
# the CPUs), rounded up to a power of two. Delivered = what the sink counted / the generator's send time.
# Every xlb run is checked: the sink count equals what xlb counted as
# tx_forward, and nothing was lost.
#
# Everything shares this machine's cores: the generator, the veth NAPI that
# runs the LB and the sink. The ratio to the floor is the figure to read.
# Writes build/bench/mpps.{json,md}.
#
# Usage: scripts/bench/bench-mpps.sh   (root; `make bench` runs it).
# Environment (defaults in brackets): BUILD [<repo>/build], OUT [BUILD/bench],
# RUNS [3], COUNT [3000000 packets per run], FLOWS ["1 1000 100000 1000000
# 4000000"], CT_ENTRIES [by the rule above].
set -euo pipefail

# shellcheck source=scripts/bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_args "$@"
RUNS=${RUNS:-3}
COUNT=${COUNT:-3000000}
FLOWS=${FLOWS:-"1 1000 100000 1000000 4000000"}
max_flows=$(printf '%s\n' $FLOWS | sort -g | tail -1)
# every CPU may hold every flow, plus a quarter: the next power of two
CT_SIZED="sized for $max_flows flows on any one CPU"
[ -n "${CT_ENTRIES:-}" ] && CT_SIZED="set by CT_ENTRIES"
pow2_at_least() { # the next power of two >= $1, at least 1024
	local p=1024
	while ((p < $1)); do p=$((p * 2)); done
	echo "$p"
}
CT_ENTRIES=${CT_ENTRIES:-$(pow2_at_least $((max_flows * 5 / 4)))}
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
conntrack: { entries: $CT_ENTRIES }
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

# counters NAME... -> their values, one line. xlbd may be busy (its reaper
# walks millions of entries): a failed read is retried, then fatal, never
# taken for zero.
counters() {
	local out try
	for try in 1 2 3 4 5; do
		if out=$(in_ns "$BUILD/xlb" -s "$WORK/sock" --pin-dir "$PIN" --json stats 2>"$WORK/stats.err" |
			jq -r --args '[.counters[$ARGS.positional[]]] | map(tostring) | join(" ")' "$@" \
			2>>"$WORK/stats.err") && [ -n "$out" ]; then
			echo "$out"
			return 0
		fi
		sleep 1
	done
	die "xlb stats: no counters after 5 tries: $(tr '\n' ' ' <"$WORK/stats.err")"
}

# run FLOWS [COUNT] -> "sent received seconds" of one generator run into the sink
run() {
	local flows=$1 count=${2:-$COUNT} sink
	in_ns "$BUILD/xlb-pktgen" sink --dev gen0 --until-idle 400 --json \
		>"$WORK/sink.json" 2>/dev/null &
	sink=$!
	sleep 0.3
	in_ns "$BUILD/xlb-pktgen" --dev gen0 --dst-mac "$LBMAC" \
		--src 203.0.113.7 --dst 192.0.2.10 --dport 80 --proto tcp-ack \
		--size 64 --flows "$flows" --count "$count" --json \
		>"$WORK/gen.json" 2>/dev/null
	wait "$sink"
	echo "$(json '.packets' <"$WORK/gen.json")" \
		"$(json '.packets' <"$WORK/sink.json")" \
		"$(json '.seconds' <"$WORK/gen.json")"
}

# measure LABEL FLOWS -> "median delivered Mpps" over RUNS runs (and
# checks), and for xlb " hit-rate" of conntrack over those runs
measure() {
	local label=$1 flows=$2 r sent got secs fwd0 fwd1 hit0 hit1 miss0 miss1
	local hits=0 misses=0 rates=()
	# warm-up: conntrack learns every flow
	run "$flows" $((flows > COUNT ? flows : COUNT)) >/dev/null
	for ((r = 0; r < RUNS; r++)); do
		if [ "$label" = xlb ]; then
			c=$(counters tx_forward ct_hit ct_miss) || exit 1
			read -r fwd0 hit0 miss0 <<<"$c"
		fi
		read -r sent got secs < <(run "$flows")
		[ "$sent" = "$COUNT" ] || die "$label $flows flows: sent $sent of $COUNT"
		if [ "$label" = xlb ]; then
			c=$(counters tx_forward ct_hit ct_miss) || exit 1
			read -r fwd1 hit1 miss1 <<<"$c"
			[ $((fwd1 - fwd0)) -eq "$got" ] ||
				die "xlb $flows flows: sink got $got, xlb forwarded $((fwd1 - fwd0))"
			hits=$((hits + hit1 - hit0))
			misses=$((misses + miss1 - miss0))
		fi
		rates+=("$(awk -v g="$got" -v s="$secs" 'BEGIN { printf "%.3f\n", g / s / 1e6 }')")
		echo "  $label, $flows flows, run $((r + 1)): sent $sent, delivered $got in ${secs}s" >&2
	done
	echo -n "$(printf '%s\n' "${rates[@]}" | sort -g | sed -n "$(((RUNS + 1) / 2))p")"
	if [ "$label" = xlb ]; then
		echo -n " $(awk -v h="$hits" -v m="$misses" 'BEGIN { t = h + m; printf "%.4f", h / (t > 0 ? t : 1) }')"
	fi
	echo
}

mkdir -p "$OUT"
declare -A XLB FLOOR HIT

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
for f in $FLOWS; do
	m=$(measure xlb "$f") # a failed check stops the script here
	read -r "XLB[$f]" "HIT[$f]" <<<"$m"
done
ct=$(in_ns "$BUILD/xlb" -s "$WORK/sock" --json conntrack count | json '.count')

{
	echo
	echo "### Throughput through the node, 64-byte TCP ACKs (median of $RUNS runs of $COUNT packets)"
	echo
	echo "machine: $(uname -r), $(nproc) CPUs; generator, LB and sink share them (veth pair)."
	echo "conntrack: $CT_ENTRIES entries ($CT_SIZED), $ct held at the end."
	echo "Hit rate: ct_hit / (ct_hit + ct_miss) over the timed runs, after the warm-up."
	echo
	echo "| flows | xlb Mpps | floor (XDP_TX) Mpps | xlb / floor | conntrack hit rate |"
	echo "|---:|---:|---:|---:|---:|"
	for f in $FLOWS; do
		echo "| $f | ${XLB[$f]} | ${FLOOR[$f]} | $(ratio "${XLB[$f]}" "${FLOOR[$f]}" 2) | ${HIT[$f]} |"
	done
} >"$OUT/mpps.md"
{
	first=1
	echo "["
	for f in $FLOWS; do
		[ $first = 1 ] || echo ","
		first=0
		printf '{"bench":"mpps","flows":%s,"xlb_mpps":%s,"floor_mpps":%s,"ct_hit_rate":%s,"ct_entries":%s,"runs":%s,"packets":%s}' \
			"$f" "${XLB[$f]}" "${FLOOR[$f]}" "${HIT[$f]}" "$CT_ENTRIES" "$RUNS" "$COUNT"
	done
	echo
	echo "]"
} >"$OUT/mpps.json"
cat "$OUT/mpps.md"
