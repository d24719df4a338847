#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Measures xlb-pktgen at full speed over a veth pair in a network namespace
# of its own (deleted on exit): the sender on one end, the sink (count and
# drop) on the other, for each flow count asked. Prints one line per run:
# Mpps sent, Mpps received, packets lost. Everything runs on whatever CPU
# the sender gets: veth delivers to the peer in the sender's softirq.
#
# usage: pktgen-veth-bench.sh [--count N (5000000)] [--size BYTES (64)]
#                             [--flows "1 1000"] [--runs N (3)] [--batch N]
#                             [--proto udp|tcp-syn|tcp-ack]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="$ROOT/build/xlb-pktgen"
count=5000000 size=64 flows_list="1 1000" runs=3 batch='' proto=udp

while [ $# -gt 0 ]; do
	case "$1" in
	--count) count="$2" ;;
	--size) size="$2" ;;
	--flows) flows_list="$2" ;;
	--runs) runs="$2" ;;
	--batch) batch="$2" ;;
	--proto) proto="$2" ;;
	-h | --help)
		sed -n '3,/^set -/{/^set -/d;s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*) echo "pktgen-veth-bench.sh: $1: unknown option" >&2; exit 2 ;;
	esac
	shift 2
done
[ -x "$BIN" ] || { echo "pktgen-veth-bench.sh: $BIN: missing (run make)" >&2; exit 1; }

ns="xlbpgb-$$"
sink_pid=''
cleanup() {
	[ -z "$sink_pid" ] || kill "$sink_pid" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$ns"
nsx() { nsenter --net="/run/netns/$ns" "$@"; }
# no IPv6 chatter into the sink's count
nsx sysctl -qw net.ipv6.conf.default.disable_ipv6=1
nsx ip link add pg0 type veth peer name pg1
nsx ip link set pg0 up
nsx ip link set pg1 up
# not /sys/class/net: nsenter keeps the host's /sys, which shows its netns
mac1="$(nsx ip -br link show dev pg1 | awk '{print $3}')"

out="$(mktemp -d)"
trap 'cleanup; rm -rf "$out"' EXIT
printf '%-6s %-5s %-9s %-10s %-10s %-8s %s\n' flows run packets sent_Mpps recv_Mpps lost command
for flows in $flows_list; do
	for run in $(seq 1 "$runs"); do
		nsx "$BIN" sink --dev pg1 --until-idle 300 --json >"$out/sink" 2>/dev/null &
		sink_pid=$!
		for _ in $(seq 100); do
			nsx ip link show dev pg1 | grep -q xdp && break
			sleep 0.02
		done
		cmd=("$BIN" --dev pg0 --dst-mac "$mac1" --src 10.0.0.1 --dst 10.0.0.2
			--dport 9 --proto "$proto" --size "$size" --flows "$flows"
			--count "$count" ${batch:+--batch "$batch"} --json)
		nsx "${cmd[@]}" >"$out/gen"
		wait "$sink_pid"
		sink_pid=''
		num() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$out/$1"; }
		printf '%-6s %-5s %-9s %-10s %-10s %-8s %s\n' "$flows" "$run" \
			"$(num gen packets)" "$(num gen mpps)" "$(num sink mpps)" \
			"$(($(num gen packets) - $(num sink packets)))" \
			"${cmd[*]##*/}"
	done
done
