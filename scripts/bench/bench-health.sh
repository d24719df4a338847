#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-health.sh: what health checks cost xlbd. TCP checks of 1,000 and
# 10,000 backends every second, in VIPs of 100 backends each, against
# listeners in a lab namespace: one nginx (two workers) on 0.0.0.0:80 and a
# local route (10.77.0.0/16 on lo), so each backend is an address of its
# own. xlbd runs in a namespace of its own, behind a veth pair. A veth
# delivers in the sender's context: the backends' half of every handshake
# (SYN, the reset) runs in xlbd's system time, which a real LB does not
# pay; that total is an upper bound. (Threaded NAPI on the pair would move
# it out, but on a shared 2-CPU machine its threads lag and probes time
# out.) So the split below says what is whose.
#
# 1. CPU: after a warm-up (every check up, then WARMUP seconds), xlbd's
#    utime + stime from /proc/PID/stat over WINDOW seconds, as % of one
#    core, beside the same xlbd and config with no checks (the baseline:
#    its 1 s sampler and the rest). Each check run is verified: the probe
#    counters (health_probes in xlb status) grew by at least
#    95% of backends x WINDOW / interval, and at most 0.1% of the probes
#    failed (a loaded machine may stall one past its timeout). Goal: under
#    10% of one core for 10,000. Meanwhile perf counts xlbd's system calls
#    (raw_syscalls:sys_enter): system calls per probe.
#    Then, over PERF_WINDOW more seconds, perf samples xlbd with call
#    graphs (cpu-clock, per task: softirq work done while xlbd is current
#    is in its samples, as in its stime) and each sample is put in one
#    class: user; the LB's receive (under tcp_rcv_synsent_state_process
#    or tcp_add_backlog: the SYN-ACK taken, often by the connect itself as
#    it releases the socket, and the ACK sent; for half-open probes, under
#    raw_local_deliver / raw6_local_deliver, the SYN-ACK's copy to the raw
#    socket, or tcp_v4_send_reset / tcp_v6_send_reset, the kernel's reset
#    of it); system calls (the rest out
#    of softirq: xlbd's own kernel work, the connect, the SYN and the reset
#    sent down to the veth); the backends' TCP (softirq under tcp_v4_rcv /
#    tcp_v6_rcv otherwise: the listener's SYN, SYN-ACK, ACK and reset); the
#    receive path below TCP (netif, IP), a quarter of which is the LB's (one
#    of the four packets of a probe; a third, one of three, half-open). Those shares of the measured CPU:
#    "xlbd's own" (user + system calls), "the LB's" (own + its receive),
#    "the backends'" (the rest), which a real LB does not pay. Without perf
#    the split says n/a.
# 2. Transitions at scale (the 10,000 run): 100 backends, one in each of
#    100 VIPs, start refusing at once (an nftables reject in the namespace).
#    Timed: from the cut until every check says so and no transition is left
#    to commit (xlb status: health_checks_up, health_pending; the tables of
#    the first and last VIP are read back), with the commits that took and
#    their time (health_commits, health_commit_s) and xlbd's CPU meanwhile.
#    Beside it, the checks' own worst case: fall x interval + one interval of
#    spread. Then they come back: the same for rise.
#
#    Probes are half-open (a SYN and its answer, health_tcp_syn.c), as
#    xlbd runs them; the CONNECT_SIZES runs repeat the same with
#    XLB_TCP_CHECK=connect (a connect and a reset per probe, the fallback
#    without raw sockets), before them in the same run: the ratio between
#    the two rows is the half-open probe's gain. xlbd's log must name the
#    mode each run asked for.
#
# Writes build/bench/health.{md,json}.
#
# Usage: scripts/bench/bench-health.sh   (root; `make bench` runs it).
# Environment (defaults in brackets): BUILD [<repo>/build], OUT [BUILD/bench],
# SIZES ["1000 10000"], CONNECT_SIZES ["10000"; "": none], WINDOW [20 s], WARMUP [5 s], CUT [100 backends],
# BASELINE [1: also measure xlbd without checks], PERF_WINDOW [10 s; 0: no
# split].
set -euo pipefail

# shellcheck source=scripts/bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_args "$@"
SIZES=${SIZES:-"1000 10000"}
CONNECT_SIZES=${CONNECT_SIZES-10000}
WINDOW=${WINDOW:-20}
WARMUP=${WARMUP:-5}
CUT=${CUT:-100}
BASELINE=${BASELINE:-1}
PERF_WINDOW=${PERF_WINDOW:-10}
command -v perf >/dev/null || PERF_WINDOW=0
PER_VIP=100
INTERVAL=1 # seconds, the check's
RISE=2
FALL=3
NS=xlbhc$$
NSB=xlbhb$$
PIN=/sys/fs/bpf/xlb-hbench-$$
WORK=$(mktemp -d /tmp/xlb-hbench.XXXXXX)
XLBD=
HZ=$(getconf CLK_TCK)

stop_xlbd() {
	if [ -n "$XLBD" ]; then
		kill "$XLBD" 2>/dev/null || true
		wait "$XLBD" 2>/dev/null || true
	fi
	XLBD=
	rm -rf "$PIN"
}
cleanup() {
	stop_xlbd
	if [ -s "$WORK/nginx.pid" ]; then
		kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
	fi
	ip netns del "$NS" 2>/dev/null || true
	ip netns del "$NSB" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
trap "exit 1" INT TERM

in_ns() { nsenter --net="/run/netns/$NS" "$@"; }
in_nsb() { nsenter --net="/run/netns/$NSB" "$@"; }
die() {
	echo "bench-health: $*" >&2
	if [ -f "$WORK/xlbd.log" ]; then
		grep -v 'change: \|health: backend' "$WORK/xlbd.log" | tail -20 >&2
		cp "$WORK/xlbd.log" "$OUT/health-xlbd.log" 2>/dev/null &&
			echo "bench-health: xlbd's log: $OUT/health-xlbd.log" >&2
	fi
	exit 1
}
# label RUN: what a run's probes are ("syn:1000" -> half-open)
label() { [ "${1%%:*}" = syn ] && echo half-open || echo connect; }
calc() { awk "BEGIN { printf \"%.${2:-1}f\n\", $1 }"; }
now() { date +%s.%N; }
xlb() { in_ns "$BUILD/xlb" -s "$WORK/sock" --pin-dir "$PIN" "$@"; }
# status FIELD...: those fields of `xlb --json status`, on one line. xlbd
# may be busy committing (many tables): a failed read is retried.
status() {
	local out
	for _ in $(seq 30); do
		if out=$(xlb --timeout 60 --json status 2>/dev/null |
			jq -r --args '[.[$ARGS.positional[]]] | map(tostring) | join(" ")' "$@"); then
			echo "$out"
			return 0
		fi
		sleep 0.2
	done
	die "xlb status: no answer"
}
# cpu_ticks: xlbd's utime + stime (fields 14 and 15 of /proc/PID/stat; the
# comm field has no blank here)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$XLBD/stat"; }

# backend I: 10.77.(I/256).(I%256), I = 1..n
be_addr() { echo "10.77.$(($1 / 256)).$(($1 % 256))"; }

ip netns add "$NS"
ip netns add "$NSB"
ip -n "$NS" link add lb0 type veth peer name be0 netns "$NSB"
ip -n "$NS" link set lo up
ip -n "$NSB" link set lo up
ip -n "$NS" addr add 10.76.0.1/24 dev lb0
ip -n "$NSB" addr add 10.76.0.2/24 dev be0
ip -n "$NS" link set lb0 up
ip -n "$NSB" link set be0 up
ip -n "$NSB" route add local 10.77.0.0/16 dev lo table local
ip -n "$NS" route add 10.77.0.0/16 via 10.76.0.2
# 10,000 checks a second: the listener's accept queue must hold a burst
in_nsb sysctl -qw net.core.somaxconn=65535
in_nsb sysctl -qw net.ipv4.tcp_max_syn_backlog=65535
cat >"$WORK/nginx.conf" <<EOF
worker_processes 2;
worker_rlimit_nofile 70000;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err;
events { worker_connections 65000; multi_accept on; }
http {
	access_log off;
	server { listen 80 backlog=65535 reuseport; return 200 "ok\n"; }
}
EOF
in_nsb nginx -p "$WORK/" -c "$WORK/nginx.conf" -g 'daemon on;' ||
	die "nginx does not start"

# config N CHECKS: N backends in VIPs of PER_VIP, TCP checks on or off
config() {
	local n=$1 checks=$2 i v nv=$(($1 / PER_VIP))
	{
		echo "pin_dir: $PIN"
		echo "hash_seed: 24301"
		echo "maglev_size: 65537"
		echo "encap: { source4: 198.19.0.0 }"
		echo "nexthop: { mac: '02:00:00:00:00:01' }"
		echo "backends:"
		for ((i = 1; i <= n; i++)); do
			echo "  - { id: $i, address: $(be_addr $i) }"
		done
		echo "vips:"
		for ((v = 0; v < nv; v++)); do
			echo "  - name: v$v"
			echo "    address: 192.0.$((2 + v / 250)).$((v % 250 + 1))"
			echo "    port: 80"
			echo "    protocol: tcp"
			[ "$checks" = 1 ] &&
				echo "    check: { kind: tcp, interval: ${INTERVAL}s, timeout: 500ms, rise: $RISE, fall: $FALL }"
			echo -n "    backends: ["
			for ((i = v * PER_VIP + 1; i <= (v + 1) * PER_VIP; i++)); do
				echo -n " {id: $i},"
			done
			echo " ]"
		done
	} >"$WORK/xlb.yaml"
}

start_xlbd() {
	# nsenter execs xlbd: $! is xlbd itself
	XLB_TCP_CHECK=$MODE nsenter --net="/run/netns/$NS" "$BUILD/xlbd" -c "$WORK/xlb.yaml" \
		-s "$WORK/sock" --state-dir "$WORK" >"$WORK/xlbd.log" 2>&1 &
	XLBD=$!
	for _ in $(seq 300); do
		xlb --json status >/dev/null 2>&1 && return 0
		kill -0 "$XLBD" 2>/dev/null || break
		sleep 0.1
	done
	die "xlbd did not start"
}

# wait_up N: until N checks are up (at most 60 s)
wait_up() {
	local up='' pending=''
	for _ in $(seq 1200); do
		read -r up pending <<<"$(status health_checks_up health_pending)"
		[ "$up" = "$1" ] && [ "$pending" = false ] && return 0
		kill -0 "$XLBD" 2>/dev/null || die "xlbd exited"
		sleep 0.1
	done
	die "$up of $1 checks up after 120 s"
}

# window: xlbd's CPU over WINDOW s -> "total% user%" (% of one core)
window() {
	local t0 t1 c0 c1 u0 u1
	u0=$(awk '{ print $14 }' "/proc/$XLBD/stat")
	c0=$(cpu_ticks)
	t0=$(now)
	sleep "$WINDOW"
	c1=$(cpu_ticks)
	u1=$(awk '{ print $14 }' "/proc/$XLBD/stat")
	t1=$(now)
	echo "$(calc "($c1 - $c0) / $HZ / ($t1 - $t0) * 100" 1)" \
		"$(calc "($u1 - $u0) / $HZ / ($t1 - $t0) * 100" 1)"
}

# syscalls_start: counts xlbd's system calls over the next WINDOW s (into
# $WORK/sys.csv); syscalls_count: the count, or "" without perf (after a
# wait for $SYSPID in this shell: a subshell cannot wait for it)
SYSPID=
syscalls_start() {
	SYSPID=
	rm -f "$WORK/sys.csv"
	[ "$PERF_WINDOW" = 0 ] && return 0
	perf stat -x, -e raw_syscalls:sys_enter -p "$XLBD" -o "$WORK/sys.csv" \
		-- sleep "$WINDOW" >/dev/null 2>&1 &
	SYSPID=$!
}
syscalls_count() {
	[ -s "$WORK/sys.csv" ] || return 0
	awk -F, '/raw_syscalls:sys_enter/ && $1 ~ /^[0-9]+$/ { print $1 }' "$WORK/sys.csv"
}

# split: xlbd sampled over PERF_WINDOW s -> "user sys lb_rx be_tcp rx_below
# samples" (percent of the samples, the classes in the header)
split() {
	perf record -q -e cpu-clock -F 999 -g -p "$XLBD" -o "$WORK/perf.data" \
		-- sleep "$PERF_WINDOW" >/dev/null 2>&1 || return 1
	perf script -i "$WORK/perf.data" -F ip,sym,dso 2>/dev/null | awk '
	function flush() {
		if (!n) return
		if (!kern) c["user"]++
		else if (lb) c["lb"]++
		else if (!rx) c["sys"]++
		else if (tcp) c["be"]++
		else c["below"]++
		all++; n = 0; kern = rx = lb = tcp = 0
	}
	/^$/ { flush(); next }
	{
		if (!n++) kern = /kernel\.kallsyms/
		if ($2 == "net_rx_action") rx = 1
		# the SYN-ACK: taken by the connect itself (from the socket
		# backlog at release_sock) or in softirq, queued to that backlog
		if ($2 == "tcp_rcv_synsent_state_process" || $2 == "tcp_add_backlog") lb = 1
		# half-open: the SYN-ACK copied to the raw socket, and the
		# reset the kernel sends for it (no socket holds the flow)
		if ($2 == "raw_local_deliver" || $2 == "raw6_local_deliver" ||
		    $2 == "tcp_v4_send_reset" || $2 == "tcp_v6_send_reset") lb = 1
		if ($2 == "tcp_v4_rcv" || $2 == "tcp_v6_rcv") tcp = 1
	}
	END {
		flush()
		if (!all) exit 1
		printf "%.1f %.1f %.1f %.1f %.1f %d\n", c["user"] * 100 / all,
			c["sys"] * 100 / all, c["lb"] * 100 / all, c["be"] * 100 / all,
			c["below"] * 100 / all, all
	}'
}

# slots VIP ID: the slots backend ID has in the table the datapath uses
slots() {
	xlb --timeout 60 --json maglev show "$1" |
		jq -r ".backends[] | select(.id == $2) | .slots"
}

# transition WHAT ADD|DEL: the CUT backends start refusing (add) or answer
# again (del); -> "seconds commits commit_ms cpu_pct bound"
transition() {
	local op=$1 want t0 t c0 c1 k0 k1 s0 s1 up pending bound
	read -r k0 s0 <<<"$(status health_commits health_commit_s)"
	c0=$(cpu_ticks)
	t0=$(now)
	if [ "$op" = add ]; then
		want=$((LAST - CUT))
		bound=$(calc "$FALL * $INTERVAL + $INTERVAL" 1)
		in_ns nft add element inet hbench down "{ $CUT_SET }"
	else
		want=$LAST
		bound=$(calc "$RISE * $INTERVAL + $INTERVAL" 1)
		in_ns nft delete element inet hbench down "{ $CUT_SET }"
	fi
	# every check as it should be and nothing left to commit: the tables
	# say it (xlbd answers between commits, never during one)
	while :; do
		read -r up pending <<<"$(status health_checks_up health_pending)"
		t=$(calc "$(now) - $t0" 2)
		[ "$up" = "$want" ] && [ "$pending" = false ] && break
		awk -v t="$t" 'BEGIN { exit !(t > 60) }' &&
			die "$up checks up (want $want), pending $pending after 60 s"
		sleep 0.05
	done
	c1=$(cpu_ticks)
	read -r k1 s1 <<<"$(status health_commits health_commit_s)"
	echo "$t $((k1 - k0)) $(calc "($s1 - $s0) * 1000" 0) $(calc "($c1 - $c0) / $HZ / $t * 100" 1) $bound"
}

declare -A CPU BASE PROBES WANT USERC FAILED SYSC OWN LBC BEC SPLIT
mkdir -p "$OUT"
RUNS=$(for n in $CONNECT_SIZES; do echo "connect:$n"; done
	for n in $SIZES; do echo "syn:$n"; done)
LARGEST=$(printf '%s\n' $SIZES | sort -g | tail -1)
for run in $RUNS; do
	MODE=${run%%:*} n=${run#*:}
	[ $((n % PER_VIP)) = 0 ] || die "SIZES: $n is not a multiple of $PER_VIP"
	if [ "$MODE" = syn ] && [ "$BASELINE" = 1 ]; then
		config "$n" 0
		start_xlbd
		sleep "$WARMUP"
		read -r BASE[$n] _ <<<"$(window)"
		stop_xlbd
		echo "  $n backends, no checks: xlbd ${BASE[$n]}% of one core" >&2
	fi
	config "$n" 1
	start_xlbd
	wait_up "$n"
	sleep "$WARMUP"
	# the mode asked for is the mode measured
	if [ "$MODE" = syn ]; then
		grep -q 'tcp checks probe half-open' "$WORK/xlbd.log" ||
			die "$n backends: xlbd does not probe half-open"
	else
		grep -q 'tcp checks connect' "$WORK/xlbd.log" ||
			die "$n backends: xlbd does not connect"
	fi
	n=$run
	say="${n#*:} backends ($(label "$n"))"
	read -r p0 f0 <<<"$(status health_probes health_failures)"
	syscalls_start
	read -r CPU[$n] USERC[$n] <<<"$(window)"
	read -r p1 f1 <<<"$(status health_probes health_failures)"
	PROBES[$n]=$((p1 - p0))
	[ -z "$SYSPID" ] || wait "$SYSPID" || true
	sc=$(syscalls_count)
	SYSC[$n]=null
	[ -n "$sc" ] && [ "${PROBES[$n]}" -gt 0 ] && SYSC[$n]=$(calc "$sc / ${PROBES[$n]}" 2)
	WANT[$n]=$((${n#*:} * WINDOW / INTERVAL))
	[ "${PROBES[$n]}" -ge $((WANT[$n] * 95 / 100)) ] ||
		die "$say: ${PROBES[$n]} probes in ${WINDOW}s, expected ${WANT[$n]}"
	! grep -q 'answers to SYN probes dropped' "$WORK/xlbd.log" ||
		die "$say: answers to SYN probes were dropped (the raw socket's queue)"
	FAILED[$n]=$((f1 - f0))
	# a loaded machine may stall a probe past its timeout now and then
	[ $((FAILED[$n] * 1000)) -le "${PROBES[$n]}" ] ||
		die "$say: ${FAILED[$n]} of ${PROBES[$n]} probes failed"
	echo "  $say, TCP checks every ${INTERVAL}s: xlbd ${CPU[$n]}% of one core (user ${USERC[$n]}%), ${PROBES[$n]} probes in ${WINDOW}s, ${FAILED[$n]} failed, ${SYSC[$n]} system calls per probe" >&2
	OWN[$n]=null LBC[$n]=null BEC[$n]=null SPLIT[$n]=n/a
	if [ "$PERF_WINDOW" != 0 ] && read -r su ss sl sb sw ns <<<"$(split)" && [ -n "$ns" ]; then
		c=${CPU[$n]}
		OWN[$n]=$(calc "$c * ($su + $ss) / 100" 1)
		# the LB receives one packet of a probe's four (connect: SYN,
		# SYN-ACK, ACK, reset) or three (half-open: no ACK)
		k=4
		[ "$MODE" = syn ] && k=3
		LBC[$n]=$(calc "$c * ($su + $ss + $sl + $sw / $k) / 100" 1)
		BEC[$n]=$(calc "$c * ($sb + $sw * ($k - 1) / $k) / 100" 1)
		SPLIT[$n]="user $su, system calls $ss, LB receive $sl, backends' TCP $sb, below TCP $sw ($ns samples)"
		echo "  $say: xlbd's own ${OWN[$n]}%, with the LB's receive ${LBC[$n]}%, the backends' ${BEC[$n]}% (% of samples: ${SPLIT[$n]})" >&2
	fi
	LAST=${n#*:}
	[ "$run" = "syn:$LARGEST" ] || stop_xlbd
done

# transitions on the largest: backend 1 of each of the first CUT VIPs
nv=$((LAST / PER_VIP))
[ "$CUT" -le "$nv" ] || die "CUT: $CUT backends, one per VIP, but only $nv VIPs"
CUT_SET=$(for ((v = 0; v < CUT; v++)); do echo -n "$(be_addr $((v * PER_VIP + 1))), "; done)
in_ns nft -f - <<EOF
table inet hbench {
	set down { type ipv4_addr; }
	chain out {
		type filter hook output priority 0;
		ip daddr @down tcp dport 80 reject with tcp reset
	}
}
EOF
[ "$(slots v0 1)" -gt 0 ] || die "backend 1 has no slots in v0 before the cut"
read -r DOWN_S DOWN_K DOWN_MS DOWN_CPU DOWN_B <<<"$(transition add)"
# what the datapath uses: the first and the last VIP cut
[ "$(slots v0 1)" = 0 ] || die "backend 1 still has slots in v0"
[ "$(slots v$((CUT - 1)) $(((CUT - 1) * PER_VIP + 1)))" = 0 ] ||
	die "backend $(((CUT - 1) * PER_VIP + 1)) still has slots in v$((CUT - 1))"
echo "  $CUT down: all out of the tables in ${DOWN_S}s ($DOWN_K commits, ${DOWN_MS} ms committing)" >&2
sleep 2
read -r UP_S UP_K UP_MS UP_CPU UP_B <<<"$(transition del)"
[ "$(slots v0 1)" -gt 0 ] || die "backend 1 has no slots in v0 after it came back"
echo "  $CUT up: all back in ${UP_S}s ($UP_K commits, ${UP_MS} ms committing)" >&2
stop_xlbd

{
	echo
	echo "### Health checks: xlbd's CPU, TCP checks every ${INTERVAL}s"
	echo
	echo "machine: $(uname -r), $(nproc) CPUs shared with the listener (nginx, two workers) and whatever else runs."
	echo "Backends: addresses on lo in a namespace (a local /16) behind a veth pair, VIPs of $PER_VIP backends; CPU is"
	echo "utime + stime of xlbd over ${WINDOW}s after every check is up and ${WARMUP}s more;"
	echo "probes: the checks' probe counters (xlb status) over the window (expected: backends x window / interval)."
	echo
	echo "The system time includes the backends' half of each handshake (a veth delivers in the sender's context):"
	echo "the split (perf, ${PERF_WINDOW}s of call graphs after the window) says what is whose. xlbd's own: user time and"
	echo "system calls; the LB's: with the SYN-ACK's receive; the backends': their TCP and the rest of the receive path."
	echo
	echo "| backends | VIPs | probe | xlbd CPU, % of one core | of it user time | xlbd's own | the LB's | the backends' | system calls per probe | xlbd without checks | probes in window (expected) | failed |"
	echo "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for n in $RUNS; do
		b=${n#*:}
		echo "| $b | $((b / PER_VIP)) | $(label "$n") | ${CPU[$n]} | ${USERC[$n]} | ${OWN[$n]/null/n\/a} | ${LBC[$n]/null/n\/a} | ${BEC[$n]/null/n\/a} | ${SYSC[$n]/null/n\/a} | ${BASE[$b]:-n/a} | ${PROBES[$n]} (${WANT[$n]}) | ${FAILED[$n]} |"
	done
	echo
	for n in $RUNS; do
		echo "- ${n#*:} backends, $(label "$n"), % of the samples: ${SPLIT[$n]}"
	done
	echo
	echo "### Transitions at scale: $CUT backends, one in each of $CUT VIPs, $LAST checked backends"
	echo
	echo "Timed from the cut (nftables reject) until each is out of (or back in) the table xlbd serves."
	echo "Check bound: the checks' own worst case (fall or rise x interval, plus one interval of spread)."
	echo
	echo "| change | all tables updated after | check bound | commits | time committing | xlbd CPU meanwhile |"
	echo "|---|---:|---:|---:|---:|---:|"
	echo "| $CUT down (fall $FALL) | ${DOWN_S} s | ${DOWN_B} s | $DOWN_K | $DOWN_MS ms | ${DOWN_CPU}% |"
	echo "| $CUT up (rise $RISE) | ${UP_S} s | ${UP_B} s | $UP_K | $UP_MS ms | ${UP_CPU}% |"
} >"$OUT/health.md"
{
	echo "["
	for n in $RUNS; do
		b=${n#*:}
		printf '{"bench":"health_cpu","probe":"%s","backends":%s,"vips":%s,"interval_s":%s,"window_s":%s,"cpu_pct":%s,"cpu_pct_no_checks":%s,"user_cpu_pct":%s,"own_cpu_pct":%s,"lb_cpu_pct":%s,"backend_side_cpu_pct":%s,"syscalls_per_probe":%s,"probes":%s,"probes_expected":%s,"probes_failed":%s},\n' \
			"${n%%:*}" "$b" $((b / PER_VIP)) "$INTERVAL" "$WINDOW" "${CPU[$n]}" "${BASE[$b]:-null}" "${USERC[$n]}" "${OWN[$n]}" "${LBC[$n]}" "${BEC[$n]}" "${SYSC[$n]}" "${PROBES[$n]}" "${WANT[$n]}" "${FAILED[$n]}"
	done
	printf '{"bench":"health_transitions","backends":%s,"changed":%s,"down_s":%s,"down_commits":%s,"down_commit_ms":%s,"down_cpu_pct":%s,"down_bound_s":%s,"up_s":%s,"up_commits":%s,"up_commit_ms":%s,"up_cpu_pct":%s,"up_bound_s":%s}\n' \
		"$LAST" "$CUT" "$DOWN_S" "$DOWN_K" "$DOWN_MS" "$DOWN_CPU" "$DOWN_B" "$UP_S" "$UP_K" "$UP_MS" "$UP_CPU" "$UP_B"
	echo "]"
} >"$OUT/health.json"
cat "$OUT/health.md"
