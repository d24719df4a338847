#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-sync.sh: connection-state sync between two xlb nodes: entries per
# second replicated (streaming new flows, and a bulk resync of the whole
# table) and the sync lag distribution (p50, p99, max) at 10k and 100k new
# flows per second, plus an unthrottled burst.
#
#   xlb-pktgen ──gen0═══lb0── xlb_lb + xlbd (lb1) ──s1═══s2── xlbd (lb2)
#   (TCP SYNs,    ▲ veth    │ XDP_TX to 3 backends   veth    (its own
#    new flows)   └─ sink ◄─┘ via gen0's MAC          sync    maps, on d0)
#
# Each run starts both xlbd afresh (new pin dirs) and waits until they say
# synced, then xlb-pktgen sends FLOWS distinct flows' SYNs at RATE through
# lb1. Streaming: entries/s = flows / (time from the first SYN to lb2
# having written the last one: its xlb_sync_entries_applied_total reached
# the flows and lb1's queue for it is empty, every entry acknowledged);
# at a fixed rate this is bounded by the rate, so it says whether sync kept
# up; the burst (rate 0) shows the ceiling. Lag: lb1's xlb_sync_lag_seconds
# histogram over the run, one sample per entry: datapath writing the entry
# to lb2's ACK of it (an upper bound of "in lb2's map", README); p50 and p99
# are the upper bounds of their histogram buckets (xlb_sync_lag_seconds'
# buckets: 4 ms, 5, 6, 8, 10, 12, 15, 20 ms...), max is exact. Bulk: lb2 is
# then killed, its maps removed, and started again: entries/s = entries /
# (time from its xlbd answering to `xlb ha status` exiting 0). Verified each
# run: lb1 holds every flow sent, lb2 holds as many after streaming and
# after the resync, no ring record was lost at a fixed rate (else the walk,
# not the stream, carried some), and every entry streamed got a lag sample.
#
# Everything shares this machine's CPUs (generator, both daemons, the
# veths' softirqs), so each point runs RUNS times and the spread is shown.
# Writes build/bench/sync.{json,md}.
#
# Usage: scripts/bench/bench-sync.sh   (root; `make bench` runs it).
# Environment (defaults in brackets): BUILD [<repo>/build], OUT
# [BUILD/bench], RUNS [3], SECONDS_PER_RUN [3], RATES ["10000 100000"],
# BURST [200000 flows unthrottled; 0: none], NICE_RATES ["100000": these
# rates again with both xlbd at nice -10, as a node that gives its control
# plane priority over other work would run; "": none], CT_ENTRIES
# [1048576], BENCH_KEEP [0; 1 keeps the work dir with the daemons' logs].
#
# Then the hold point (HOLD flows [500000]; 0: none), run HOLD_RUNS [1]
# times: lb1's table filled with HOLD distinct flows (unthrottled SYNs
# through its XDP), lb2 must hold exactly as many entries as lb1, after
# streaming and again after a bulk resync from empty. Both nodes run
# sync.interval 1 and conntrack.timeout_tcp_fin 8, so each walks its whole
# table for a refresh every 2 s. Meanwhile scripts/bench/ctl-latency.py
# times `status` requests one after another: on both nodes for
# HOLD_PROBE_S [6] seconds of refresh walks, then on lb1 (which walks its
# table for the answer) and lb2 (which writes it) during the bulk resync:
# the worst answer is how long a walk holds xlbd's loop.
set -euo pipefail

# shellcheck source=scripts/bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_args "$@"
RUNS=${RUNS:-3}
SECS=${SECONDS_PER_RUN:-3}
RATES=${RATES:-"10000 100000"}
BURST=${BURST:-200000}
NICE_RATES=${NICE_RATES-100000}
CT_ENTRIES=${CT_ENTRIES:-1048576}
HOLD=${HOLD:-500000}
HOLD_RUNS=${HOLD_RUNS:-1}
HOLD_PROBE_S=${HOLD_PROBE_S:-6}
INTERVAL=10
FIN_TIMEOUT=120
NS1=xlbsy1-$$
NS2=xlbsy2-$$
PIN1=/sys/fs/bpf/xlb-bsync1-$$
PIN2=/sys/fs/bpf/xlb-bsync2-$$
WORK=$(mktemp -d /tmp/xlb-bsync.XXXXXX)
MPORT=9651
SPORT=7410
X1=
X2=
SINK=
NICE=0

stop() { # stop PID: TERM, reaped
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
cleanup() {
	stop "$SINK"
	stop "$X1"
	stop "$X2"
	ip netns del "$NS1" 2>/dev/null || true
	ip netns del "$NS2" 2>/dev/null || true
	rm -rf "$PIN1" "$PIN2"
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "bench-sync: kept $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	rm -f /run/xlb/pin-*bsync*-$$*.lock 2>/dev/null || true
}
trap cleanup EXIT

die() { echo "bench-sync: $*" >&2; exit 1; }
in1() { nsenter --net="/run/netns/$NS1" "$@"; }
in2() { nsenter --net="/run/netns/$NS2" "$@"; }
x1() { in1 "$BUILD/xlb" -s "$WORK/1.sock" --pin-dir "$PIN1" "$@"; }
x2() { in2 "$BUILD/xlb" -s "$WORK/2.sock" --pin-dir "$PIN2" "$@"; }
now_ms() { date +%s%3N; }
# m NODE SERIES: one sample of NODE's /metrics (0 when absent)
m() {
	local v
	v=$("in$1" curl -s --max-time 5 "http://127.0.0.1:$MPORT/metrics" |
		awk -v s="$2" '$1 == s {print $2}')
	echo "${v:-0}"
}

ip netns add "$NS1"
ip netns add "$NS2"
ip -n "$NS1" link add gen0 type veth peer name lb0
ip -n "$NS1" link add s1 type veth peer name s2 netns "$NS2"
ip -n "$NS2" link add d0 type veth peer name d1
for d in gen0 lb0; do
	ip netns exec "$NS1" sysctl -qw "net.ipv6.conf.$d.disable_ipv6=1"
done
ip -n "$NS1" addr add 10.99.0.1/24 dev s1
ip -n "$NS2" addr add 10.99.0.2/24 dev s2
for l in lo gen0 lb0 s1; do ip -n "$NS1" link set "$l" up; done
for l in lo s2 d0 d1; do ip -n "$NS2" link set "$l" up; done
GENMAC=$(ip -n "$NS1" -j link show gen0 | jq -r '.[0].address')
LBMAC=$(ip -n "$NS1" -j link show lb0 | jq -r '.[0].address')
(umask 077 && echo "1 $(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$WORK/sync.key")

config() { # config PIN ME PEER
	cat <<EOF
pin_dir: $1
hash_seed: 24301
conntrack: { entries: $CT_ENTRIES, timeout_tcp_fin: $FIN_TIMEOUT }
encap: { source4: 198.19.0.0 }
nexthop: { mac: '$GENMAC' }
metrics: { listen: 127.0.0.1:$MPORT }
backends:
  - { id: 1, address: 198.18.0.11 }
  - { id: 2, address: 198.18.0.12 }
  - { id: 3, address: 198.18.0.13 }
vips:
  - { name: web4, address: 192.0.2.10, port: 80, protocol: tcp,
      backends: [ {id: 1}, {id: 2}, {id: 3} ] }
sync: { listen: '$2:$SPORT', peers: [ '$3:$SPORT' ], key_file: $WORK/sync.key,
        key_id: 1, interval: $INTERVAL }
EOF
}
configs() {
	config "$PIN1" 10.99.0.1 10.99.0.2 >"$WORK/1.yaml"
	config "$PIN2" 10.99.0.2 10.99.0.1 >"$WORK/2.yaml"
}
configs

up() { # up N: xlbd N started, answering its socket; sets XN
	local n=$1 ns dev pid
	ns=NS$n
	dev=lb0
	[ "$n" = 2 ] && dev=d0
	# nsenter execs xlbd: $! is the daemon
	nice -n "$NICE" nsenter --net="/run/netns/${!ns}" "$BUILD/xlbd" -c "$WORK/$n.yaml" \
		-s "$WORK/$n.sock" -i "$dev" --state-dir "$WORK" >>"$WORK/xlbd$n.log" 2>&1 &
	pid=$!
	eval "X$n=$pid"
	for _ in $(seq 100); do
		"x$n" --json status >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	tail -5 "$WORK/xlbd$n.log" >&2
	die "xlbd $n did not come up"
}
down() { # down N: xlbd N stopped, its program detached, its maps gone
	local n=$1 pin dev=lb0
	pin=PIN$n
	[ "$n" = 2 ] && dev=d0
	eval "stop \"\$X$n\"; X$n="
	# else a fresh xlbd would keep the old program, on the old maps
	"x$n" detach "$dev" >/dev/null 2>&1 || true
	rm -rf "${!pin}"
}
synced() { # synced N SECONDS: until `xlb ha status` exits 0 and the peer is up
	local n=$1 t=$2 i
	for ((i = 0; i < t * 20; i++)); do
		[ "$("x$n" --json ha status 2>/dev/null | jq -r '.synced and .peers[0].up')" = true ] &&
			return 0
		sleep 0.05
	done
	return 1
}
count() { "x$1" --json conntrack count --vip web4 | jq -r .count; }
lost() { x1 --json stats | jq -r .counters.ct_learn_lost; }

PEER2=10.99.0.2:$SPORT # lb1's name for lb2
PEER1=10.99.0.1:$SPORT
# hist: lb1's lag buckets for lb2, "LE CUMULATIVE" lines
hist() {
	in1 curl -s --max-time 5 "http://127.0.0.1:$MPORT/metrics" |
		awk -v p="$PEER2" 'index($0, "xlb_sync_lag_seconds_bucket{peer=\"" p "\"") == 1 {
			match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5)
			print le, $2 }'
}
# quant BEFORE AFTER Q TOTAL: the upper bound (ms) of the bucket holding
# the Q-quantile of TOTAL entries, from the samples between two hist
# snapshots; entries without a sample are past every bucket (-1: the
# quantile is among them, unmeasured)
quant() {
	join <(sort "$1") <(sort "$2") |
		awk '{ le = $1; c = $3 - $2; if (le == "+Inf") le = 1e9; print le, c }' |
		sort -g | awk -v q="$3" -v n="$4" '{ l[NR] = $1; c[NR] = $2 }
			END { for (i = 1; i < NR; i++) if (c[i] >= q * n) {
				printf "%g\n", l[i] * 1000; exit }
			print -1 }'
}

# one_run RATE FLOWS: appends a JSON object of the run to runs.jsonl (in
# this shell, not a subshell: the cleanup must see the daemons' pids)
one_run() {
	local rate=$1 flows=$2 t0 t_gen t_done t_up t_sync a0 applied c1 c2 c2b
	local lost0 lost1 n0 n1 p50 p99 mx sent cpu1 cpu2 ovf rsd serr bulk rs0 rs1 cpub
	down 1 2>/dev/null || true
	down 2 2>/dev/null || true
	up 1
	up 2
	if ! synced 1 20 || ! synced 2 20; then die "the nodes did not sync"; fi
	in1 "$BUILD/xlb-pktgen" sink --dev gen0 --until-idle 1500 --json >"$WORK/sink.json" 2>/dev/null &
	SINK=$!
	sleep 0.3
	hist >"$WORK/h0"
	n0=$(m 1 "xlb_sync_lag_seconds_count{peer=\"$PEER2\"}")
	a0=$(m 2 "xlb_sync_entries_applied_total{peer=\"$PEER1\"}")
	lost0=$(lost)
	cpu1=$(x1 --json ha status | jq -r .cpu_s)
	cpu2=$(x2 --json ha status | jq -r .cpu_s)
	t0=$(now_ms)
	in1 "$BUILD/xlb-pktgen" --dev gen0 --dst-mac "$LBMAC" --src 10.1.0.1 \
		--dst 192.0.2.10 --dport 80 --proto tcp-syn --flows "$flows" \
		--count "$flows" --rate "$rate" --json >"$WORK/gen.json" 2>"$WORK/gen.err" ||
		die "xlb-pktgen: $(cat "$WORK/gen.err")"
	t_gen=$(now_ms)
	sent=$(jq -r .packets "$WORK/gen.json")
	[ "$sent" = "$flows" ] || die "sent $sent of $flows"
	# done: lb2 applied as many entries as were sent (resends count
	# again) and lb1 has nothing left unacknowledged for it
	applied=0
	for _ in $(seq 600); do
		applied=$(($(m 2 "xlb_sync_entries_applied_total{peer=\"$PEER1\"}") - a0))
		((applied >= flows)) &&
			[ "$(m 1 "xlb_sync_queue_entries{peer=\"$PEER2\"}")" = 0 ] &&
			[ "$(m 1 "xlb_sync_bulk_pending_entries{peer=\"$PEER2\"}")" = 0 ] && break
		sleep 0.05
	done
	t_done=$(now_ms)
	hist >"$WORK/h1"
	stop "$SINK"
	SINK=
	lost1=$(lost)
	n1=$(m 1 "xlb_sync_lag_seconds_count{peer=\"$PEER2\"}")
	ovf=$(m 1 "xlb_sync_queue_overflows_total{peer=\"$PEER2\"}")
	rsd=$(m 1 "xlb_sync_resends_total{peer=\"$PEER2\"}")
	serr=$(m 1 "xlb_sync_send_errors_total{peer=\"$PEER2\"}")
	bulk=$(m 1 "xlb_sync_entries_sent_total{peer=\"$PEER2\",kind=\"bulk\"}")
	mx=$(m 1 "xlb_sync_lag_max_seconds{peer=\"$PEER2\"}")
	# entries with no lag sample (their message fell out of a full
	# resend queue; the peer got them by a walk) count as beyond 10 s
	p50=$(quant "$WORK/h0" "$WORK/h1" 0.5 "$flows")
	p99=$(quant "$WORK/h0" "$WORK/h1" 0.99 "$flows")
	cpu1=$(jq -n "$(x1 --json ha status | jq -r .cpu_s) - $cpu1")
	cpu2=$(jq -n "$(x2 --json ha status | jq -r .cpu_s) - $cpu2")
	c1=$(count 1)
	c2=$(count 2)
	# the work was done: every flow is in lb1's map and lb2's
	[ "$c1" -ge "$flows" ] || die "rate $rate: lb1 holds $c1 of $flows flows"
	[ "$c2" -ge "$flows" ] || die "rate $rate: lb2 holds $c2 of $flows flows (applied $applied)"
	if [ "$rate" != 0 ]; then
		[ "$((lost1 - lost0))" = 0 ] || die "rate $rate: the ring lost $((lost1 - lost0)) records"
	fi
	# bulk resync: lb2 comes back with empty maps
	rs0=$(m 1 "xlb_sync_resends_total{peer=\"$PEER2\"}")
	down 2
	up 2
	t_up=$(now_ms)
	synced 2 60 || die "lb2 did not resync"
	t_sync=$(now_ms)
	# the new lb2's CPU since it started: the resync, mostly
	cpub=$(x2 --json ha status | jq -r .cpu_s)
	c2b=$(count 2)
	rs1=$(m 1 "xlb_sync_resends_total{peer=\"$PEER2\"}")
	[ "$c2b" -ge "$flows" ] || die "rate $rate: after the resync lb2 holds $c2b of $flows"
	jq -nc --argjson rate "$rate" --argjson flows "$flows" --argjson nice "$NICE" --argjson cpub "$cpub" \
		--argjson gen_ms $((t_gen - t0)) --argjson done_ms $((t_done - t0)) \
		--argjson p50 "$p50" --argjson p99 "$p99" --argjson max "$(jq -n "$mx * 1000")" \
		--argjson samples $((n1 - n0)) --argjson lost $((lost1 - lost0)) \
		--argjson lb1 "$c1" --argjson lb2 "$c2" --argjson resync_ms $((t_sync - t_up)) \
		--argjson resynced "$c2b" --argjson cpu1 "$cpu1" --argjson cpu2 "$cpu2" \
		--argjson rres $((rs1 - rs0)) --argjson ovf "$ovf" --argjson rsd "$rsd" --argjson serr "$serr" --argjson bulk "$bulk" \
		'{rate: $rate, nice: $nice, flows: $flows, gen_ms: $gen_ms, done_ms: $done_ms,
		  stream_eps: ($flows * 1000 / ($done_ms + 0.001) | floor),
		  lag_p50_ms: (if $p50 > $max then $max else $p50 end),
		  lag_p99_ms: (if $p99 > $max then $max else $p99 end),
		  lag_max_ms: $max, samples: $samples,
		  ring_lost: $lost, lb1_entries: $lb1, lb2_entries: $lb2,
		  queue_overflows: $ovf, resends: $rsd, send_errors: $serr, walk_entries: $bulk,
		  cpu_s_lb1: $cpu1, cpu_s_lb2: $cpu2,
		  resync_ms: $resync_ms, resync_entries: $resynced, resync_resends: $rres,
		  bulk_eps: ($resynced * 1000 / ($resync_ms + 0.001) | floor),
		  cpu_s_lb2_resync: $cpub}' >>"$WORK/runs.jsonl"
}

# probe N SECONDS [UNTIL]: ctl-latency.py on node N's socket, its JSON
# line in $WORK/probe.N (background; PROBE<N> its pid)
probe() {
	python3 "$ROOT/scripts/bench/ctl-latency.py" "$WORK/$1.sock" --seconds "$2" \
		${3:+--until "$3"} >"$WORK/probe.$1" &
	eval "PROBE$1=$!"
}

# hold_run FLOWS: lb1 filled with FLOWS flows, lb2 holds as many (streamed,
# then bulk resync), the ctl latency meanwhile; appends to hold.jsonl
hold_run() {
	local flows=$1 c1 c2 c2b t0 t_fill t_up t_sync w1 w2 r1 r2 lost i
	down 1 2>/dev/null || true
	down 2 2>/dev/null || true
	up 1
	up 2
	if ! synced 1 20 || ! synced 2 20; then die "hold: the nodes did not sync"; fi
	in1 "$BUILD/xlb-pktgen" sink --dev gen0 --until-idle 1500 --json >"$WORK/sink.json" 2>/dev/null &
	SINK=$!
	sleep 0.3
	t0=$(now_ms)
	in1 "$BUILD/xlb-pktgen" --dev gen0 --dst-mac "$LBMAC" --src 10.1.0.1 \
		--dst 192.0.2.10 --dport 80 --proto tcp-syn --flows "$flows" \
		--count "$flows" --rate 0 --json >"$WORK/gen.json" 2>"$WORK/gen.err" ||
		die "xlb-pktgen: $(cat "$WORK/gen.err")"
	t_fill=$(now_ms)
	stop "$SINK"
	SINK=
	c1=$(count 1)
	[ "$c1" = "$flows" ] || die "hold: lb1 holds $c1 of $flows flows"
	# streamed (and what the ring lost, by the next catch-up walk)
	c2=0
	for ((i = 0; i < 1200; i++)); do
		c2=$(count 2)
		[ "$c2" = "$c1" ] && break
		sleep 0.1
	done
	[ "$c2" = "$c1" ] || die "hold: lb2 holds $c2 of lb1's $c1 entries after streaming"
	lost=$(lost)
	# refresh walks on both nodes (every 2 s) with nothing else going on
	probe 1 "$HOLD_PROBE_S"
	probe 2 "$HOLD_PROBE_S"
	wait "$PROBE1" "$PROBE2" || true
	w1=$(cat "$WORK/probe.1")
	w2=$(cat "$WORK/probe.2")
	# bulk resync: lb2 back with empty maps; lb1 walks for its answer
	down 2
	rm -f "$WORK/resynced"
	probe 1 120 "$WORK/resynced"
	up 2
	t_up=$(now_ms)
	probe 2 120 "$WORK/resynced"
	synced 2 120 || die "hold: lb2 did not resync"
	t_sync=$(now_ms)
	touch "$WORK/resynced"
	wait "$PROBE1" "$PROBE2" || true
	r1=$(cat "$WORK/probe.1")
	r2=$(cat "$WORK/probe.2")
	c2b=$(count 2)
	c1=$(count 1)
	[ "$c2b" = "$c1" ] || die "hold: after the resync lb2 holds $c2b of lb1's $c1 entries"
	jq -nc --argjson flows "$flows" --argjson lb1 "$c1" --argjson lb2 "$c2" --argjson lb2r "$c2b" \
		--argjson fill_ms $((t_fill - t0)) --argjson resync_ms $((t_sync - t_up)) \
		--argjson lost "$lost" --argjson w1 "$w1" --argjson w2 "$w2" --argjson r1 "$r1" --argjson r2 "$r2" \
		--argjson sl "$(x1 --json sync status | jq -c '.peers[0] | {walk_slices, walk_slice_max_us}')" \
		'{flows: $flows, lb1_entries: $lb1, lb2_streamed: $lb2, lb2_resynced: $lb2r,
		  fill_ms: $fill_ms, resync_ms: $resync_ms, ring_lost: $lost,
		  ctl_refresh_lb1: $w1, ctl_refresh_lb2: $w2, ctl_resync_lb1: $r1, ctl_resync_lb2: $r2,
		  lb1_slices: $sl}' >>"$WORK/hold.jsonl"
}

mkdir -p "$OUT"
: >"$WORK/runs.jsonl"
: >"$WORK/hold.jsonl"
points=""
for r in $RATES; do points+="$r:$((r * SECS)):0 "; done
for r in $NICE_RATES; do points+="$r:$((r * SECS)):-10 "; done
[ "$BURST" != 0 ] && points+="0:$BURST:0"
for pt in $points; do
	IFS=: read -r rate flows NICE <<<"$pt"
	for ((i = 1; i <= RUNS; i++)); do
		one_run "$rate" "$flows"
		echo "  rate $rate, $flows flows, nice $NICE, run $i: $(tail -1 "$WORK/runs.jsonl")" >&2
	done
done
NICE=0
if [ "$HOLD" != 0 ]; then
	INTERVAL=1
	FIN_TIMEOUT=8
	configs
	for ((i = 1; i <= HOLD_RUNS; i++)); do
		hold_run "$HOLD"
		echo "  hold $HOLD flows, run $i: $(tail -1 "$WORK/hold.jsonl")" >&2
	done
	jq -s . "$WORK/hold.jsonl" >"$OUT/sync-hold.json"
fi

# per point: median and range over the runs
jq -s 'group_by([.rate, .nice]) | map({rate: .[0].rate, nice: .[0].nice, flows: .[0].flows, runs: length,
	stream_eps: (map(.stream_eps) | sort), lag_p50_ms: (map(.lag_p50_ms) | sort),
	lag_p99_ms: (map(.lag_p99_ms) | sort), lag_max_ms: (map(.lag_max_ms) | sort),
	bulk_eps: (map(.bulk_eps) | sort), resync_ms: (map(.resync_ms) | sort),
	ring_lost: (map(.ring_lost) | max),
	cpu_us_per_entry_lb2: (map(.cpu_s_lb2 * 1e6 / .flows) | sort),
	cpu_us_per_entry_lb1: (map(.cpu_s_lb1 * 1e6 / .flows) | sort),
	cpu_us_per_entry_resync: (map(.cpu_s_lb2_resync * 1e6 / .flows) | sort),
	detail: .}) | sort_by([(if .rate == 0 then 1e12 else .rate end), -.nice])' \
	"$WORK/runs.jsonl" >"$OUT/sync.json"
{
	echo
	echo "### State sync between two nodes (median [min..max] of $RUNS runs each)"
	echo
	echo "machine: $(uname -r), $(nproc) CPUs shared by the generator, both xlbd and the veths."
	echo "Lag: datapath writing an entry on lb1 to lb2's ACK of it (upper bound of \"in lb2's map\"),"
	echo "every entry streamed; p50/p99 are histogram bucket upper bounds, max exact. Streaming"
	echo "entries/s: flows / (first SYN to lb2 having applied the last). Bulk: lb2 restarted"
	echo "empty, entries / (its start to synced). Checked: both maps hold every flow sent."
	echo
	echo "| new flows/s | xlbd nice | flows | streamed entries/s | lag p50 ms | lag p99 ms | lag max ms | CPU us/entry lb1, lb2 | bulk resync entries/s | resync ms | resync CPU us/entry |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	jq -r '.[] | def mr(a): "\(a[(a | length - 1) / 2 | floor]) [\(a[0])..\(a[-1])]";
		def r1(a): a | map(. * 10 | round / 10);
		def md(a): a[(a | length - 1) / 2 | floor] * 10 | round / 10;
		"| \(if .rate == 0 then "unthrottled" else .rate end) | \(.nice) | \(.flows) | \(mr(.stream_eps)) | \(mr(r1(.lag_p50_ms))) | \(mr(r1(.lag_p99_ms))) | \(mr(r1(.lag_max_ms))) | \(md(.cpu_us_per_entry_lb1)), \(md(.cpu_us_per_entry_lb2)) | \(mr(.bulk_eps)) | \(mr(.resync_ms)) | \(md(.cpu_us_per_entry_resync)) |"' \
		"$OUT/sync.json"
	echo
	echo "A p50/p99 of -1: the quantile falls among entries with no lag sample (their message"
	echo "left a full resend queue; the peer got them by a walk): unmeasured, past 10 s."
	echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs."
	echo
	jq -r '.[] | select(.rate == 100000) | "Goal p99 under 20 ms at 100k new flows/s (xlbd nice \(.nice)): \(if (.lag_p99_ms | .[(length - 1) / 2 | floor]) as $p | $p >= 0 and $p <= 20 then "met" else "NOT met" end) (median p99 \(.lag_p99_ms | .[(length - 1) / 2 | floor]) ms)."' "$OUT/sync.json"
	jq -r '.[] | select(.rate == 0) | "Unthrottled: ring records lost at most \(.ring_lost) per run (the walk carries those)."' "$OUT/sync.json"
	if [ -s "$WORK/hold.jsonl" ]; then
		echo
		echo "Hold: lb1 filled with $HOLD flows; lb2 must hold exactly as many (streamed, then after a"
		echo "bulk resync from empty). Worst \`status\` answer in ms (p99 in brackets) while both nodes"
		echo "walk their tables for refreshes every 2 s, and during the resync (lb1 walks, lb2 writes)."
		echo
		echo "| flows | lb1 | lb2 streamed | lb2 resynced | fill ms | resync ms | ctl refresh lb1 | ctl refresh lb2 | ctl resync lb1 | ctl resync lb2 |"
		echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
		jq -r 'def l(p): "\(p.max_ms) [\(p.p99_ms)]";
			"| \(.flows) | \(.lb1_entries) | \(.lb2_streamed) | \(.lb2_resynced) | \(.fill_ms) | \(.resync_ms) | \(l(.ctl_refresh_lb1)) | \(l(.ctl_refresh_lb2)) | \(l(.ctl_resync_lb1)) | \(l(.ctl_resync_lb2)) |"' \
			"$WORK/hold.jsonl"
	fi
} >"$OUT/sync.md"
cat "$OUT/sync.md"
