#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-http.sh - HTTP through the VIP, xlb against HAProxy in TCP mode, in
# the same namespace lab (scripts/lab.sh, 3 nginx backends) in one run:
#
#   run A  xlbd + XDP on lb1's eth0, VIP web4 192.0.2.10:80/tcp, IPIP tunnel to
#          be1..be3 (weight 1 each); the backends answer the client directly
#          (DSR: replies never pass lb1).
#   run B  xlb detached and stopped, the VIP on lb1's lo, haproxy in lb1 in
#          TCP mode (roundrobin over be1..be3, nbthread $BENCH_HAPROXY_THREADS);
#          both directions pass lb1 (two TCP connections per request).
#
# Runs alternate, A B A B ..., BENCH_ROUNDS rounds (default 3): the
# machine is shared (other work drifts in and out), so each figure is the
# median over the rounds, with every round's value kept beside it.
#
# From client cl1, per run: an unmeasured warm-up, then the ab sweep
# `ab -n 10000 -c C` for C in 1 3 5 10 20 (a new connection per request)
# and `wrk -t2 -c20 -d10s --latency` (keep-alive). Every row is checked:
# ab completed every request with none failed, wrk had no socket errors
# and no non-2xx, and the traffic went through the LB under test (run A:
# xlb's tx_forward grew by at least the request count; run B: no XDP
# program on lb1's eth0 and haproxy's frontend counted the connections and
# the bytes). A row that fails a check is reported as failed, never
# silently; the script then exits 1.
#
# Output: build/bench/http.json, http.md (printed at the end), http.png
# (ab requests/s vs concurrency) and the raw tool outputs in
# build/bench/http-raw/.
#
# Each row also records where the machine's CPU went (client, nginx,
# haproxy, softirq, kernel threads, other people's processes) and how
# long the client and the servers waited for a CPU: on one 2-core machine
# that, not the LB, often decides the figure, and the report says which.
#
# Usage: scripts/bench-http.sh (root; `make bench-http` builds first).
# Environment (defaults in brackets): BUILD [<repo>/build], LAB_ID [hbPID],
# BENCH_ROUNDS [3], BENCH_AB_N [10000], BENCH_AB_CONC ["1 3 5 10 20"],
# BENCH_WRK_ARGS ["-t2 -c20 -d10s"], BENCH_HAPROXY_THREADS [2],
# BENCH_CLIENT_TIMEOUT [180 s per client run, then it is killed and its row
# fails], BENCH_KEEP_LAB=1 (leave the lab up on exit; xlbd and haproxy are
# stopped all the same).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
BUILD=$(cd "$BUILD" && pwd)
export LAB_ID=${LAB_ID:-hb$(($$ % 10000))}
export LAB_BACKENDS=3
export LAB_BUILD=$BUILD
LAB="$ROOT/scripts/lab.sh"

AB_N=${BENCH_AB_N:-10000}
AB_CONC=${BENCH_AB_CONC:-1 3 5 10 20}
WRK_ARGS=${BENCH_WRK_ARGS:--t2 -c20 -d10s}
HAPROXY_THREADS=${BENCH_HAPROXY_THREADS:-2}
ROUNDS=${BENCH_ROUNDS:-3}
# A client run that takes longer is killed and its row fails (ab can hang
# for good once connections fail).
CLIENT_TIMEOUT=${BENCH_CLIENT_TIMEOUT:-180}

OUT=$BUILD/bench
RAW=$OUT/http-raw
WORK=$(mktemp -d /tmp/xlb-bench-http.XXXXXX)
PIN=/sys/fs/bpf/xlb-bench-http-$LAB_ID
SOCK=$WORK/xlbd.sock
CFG=$WORK/xlb.yaml
HAP_CFG=$WORK/haproxy.cfg
HAP_PID_FILE=$WORK/haproxy.pid
HAP_SOCK=$WORK/haproxy.sock
ROWS=$WORK/rows.jsonl
XLBD_PID=
HAP_PID=
VIP_ON_LO=0
LAB_STARTED=0
NFAILED=0

say() { echo "# $*" >&2; }
die() {
	echo "bench-http: $*" >&2
	exit 1
}

# ------------------------------------------------------------ cleanup ----

# Always: stop what we started (by pid, checked), take xlb off the NIC, the
# VIP off lo, the lab down. Best effort, every step.
cleanup() {
	local rc=$?

	set +e
	trap - EXIT INT TERM
	if [ -n "$HAP_PID" ]; then
		stop_pid "$HAP_PID" haproxy
		HAP_PID=
	fi
	if [ -n "$XLBD_PID" ]; then
		stop_pid "$XLBD_PID" xlbd
		XLBD_PID=
	fi
	if ((LAB_STARTED)) && [ -e "/run/netns/xlb-$LAB_ID-lb1" ]; then
		nsenter --net="/run/netns/xlb-$LAB_ID-lb1" "$BUILD/xlb" -s "$SOCK" \
			--pin-dir "$PIN" detach eth0 >/dev/null 2>&1
		if ((VIP_ON_LO)); then
			ip -n "xlb-$LAB_ID-lb1" addr del "${LAB_VIP4:-192.0.2.10}/32" dev lo 2>/dev/null
		fi
	fi
	if ((LAB_STARTED)); then
		if [ "${BENCH_KEEP_LAB:-0}" = 1 ]; then
			say "lab $LAB_ID left up (BENCH_KEEP_LAB=1); take it down with LAB_ID=$LAB_ID $LAB down"
		else
			"$LAB" down >/dev/null 2>&1 || echo "bench-http: lab $LAB_ID did not go down" >&2
		fi
	fi
	rm -rf "$PIN" "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# stop_pid PID NAME: TERM, then KILL, a process of ours, after checking
# that the pid still is that program.
stop_pid() {
	local pid=$1 name=$2

	[[ $pid =~ ^[0-9]+$ ]] || return 0
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$name" || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# ------------------------------------------------------------ helpers ----

in_ns() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@"
}
xlb() { in_ns "$LAB_NS_LB1" "$BUILD/xlb" -s "$SOCK" --pin-dir "$PIN" "$@"; }
client() { in_ns "$LAB_NS_CL1" "$@"; }
lb() { in_ns "$LAB_NS_LB1" "$@"; }

# XDP programs on lb1's eth0 ("" when none).
lb_xdp() {
	ip -n "$LAB_NS_LB1" -d link show dev eth0 | grep -o 'prog/xdp id [0-9]*' || true
}

jget() { # jget PYTHON-EXPR: evaluate on the JSON object j read from stdin
	python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"
}

# What xlb counted so far, as JSON: {"fwd": tx_forward, "be": [packets
# forwarded to be1, be2, be3]}.
xlb_counts() {
	xlb --json stats | jget "json.dumps({'fwd': j['counters']['tx_forward'], 'be': [b['packets'] for b in j['backends']]})"
}

# What HAProxy counted so far, as JSON: {"stot", "bout"} of the frontend
# and "be": [sessions to be1, be2, be3].
hap_counts() {
	python3 - "$HAP_SOCK" <<'EOF'
import csv, json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
data = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
lines = data.decode().splitlines()
hdr = lines[0].lstrip("# ").split(",")
out = {"be": []}
for row in csv.reader(lines[1:]):
    r = dict(zip(hdr, row))
    if r.get("pxname") == "fe_web4" and r.get("svname") == "FRONTEND":
        out.update(stot=int(r["stot"]), bout=int(r["bout"]))
    elif r.get("pxname") == "be_web4" and r.get("svname", "").startswith("be"):
        out["be"].append(int(r["stot"]))
if "stot" not in out:
    sys.exit(1)
print(json.dumps(out))
EOF
}

# CPU ticks (user+system) of the given pids, summed; exited ones count 0.
proc_ticks() {
	local p t=0 v

	for p in "$@"; do
		v=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }') || v=0
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

# cpu_snap FILE: every process's CPU ticks and kind: k (kernel thread), l
# (in this lab's namespaces: client, nginx, haproxy, xlbd) or f (anyone
# else: other sessions' work on the machine). This script and the
# snapshot itself are left out. For the lab's processes also the time
# their threads waited on a run queue (schedstat run_delay, ns).
cpu_snap() {
	python3 - "$1" "$$" "${LAB_NETNS_INODES[@]}" <<'EOF'
import json, os, sys
me = {sys.argv[2], str(os.getpid())}
lab = set(sys.argv[3:])
out = {}
for p in os.listdir("/proc"):
    if not p.isdigit() or p in me:
        continue
    try:
        st = open(f"/proc/{p}/stat").read()
        f = st[st.rindex(")") + 2:].split()
        ticks = int(f[11]) + int(f[12])
        if p == "2" or f[1] == "2":
            kind = "k"
        else:
            kind = "l" if str(os.stat(f"/proc/{p}/ns/net").st_ino) in lab else "f"
        wait = 0
        if kind == "l":
            for t in os.listdir(f"/proc/{p}/task"):
                try:
                    wait += int(open(f"/proc/{p}/task/{t}/schedstat").read().split()[1])
                except (OSError, ValueError, IndexError):
                    pass
        out[p] = [kind, ticks, wait]
    except (OSError, ValueError, IndexError):
        pass
json.dump(out, open(sys.argv[1], "w"))
EOF
}

# The machine's CPU counters: user nice system idle iowait irq softirq steal.
cpu_stat() { awk '/^cpu / { print $2, $3, $4, $5, $6, $7, $8, $9 }' /proc/stat; }

nginx_pids() {
	local i m

	for i in $(seq "$LAB_BACKENDS"); do
		eval "m=\$LAB_BE${i}_NGINX_PID"
		echo "$m"
		pgrep -P "$m" || true
	done | xargs
}

# The backends N new connections to the VIP reached, "be1 be2 be3"-style.
backends_seen() {
	local n=$1 i

	for ((i = 0; i < n; i++)); do
		client curl -s --max-time 3 "http://$LAB_VIP4/" | awk '{ print $2 }'
	done | sort -u | xargs
}

# -------------------------------------------------------- the runs -----

# client_wait PID TOOL: while PID (the timed client run) lives, follow the
# run-queue wait (schedstat run_delay) of the TOOL process in cl1, summed
# over its threads, every 50 ms; sets CLIENT_WAIT (ns; the last 50 ms
# before it exits are not seen).
client_wait() {
	local bg=$1 tool=$2 cpid='' p comm f w b

	CLIENT_WAIT=0
	while kill -0 "$bg" 2>/dev/null; do
		if [ -z "$cpid" ]; then
			for p in $(ip netns pids "$LAB_NS_CL1" 2>/dev/null); do
				read -r comm <"/proc/$p/comm" 2>/dev/null || continue
				[ "$comm" = "$tool" ] && cpid=$p
			done
		fi
		if [ -n "$cpid" ]; then
			w=0
			for f in /proc/"$cpid"/task/*/schedstat; do
				read -r _ b _ <"$f" 2>/dev/null || continue
				w=$((w + b))
			done
			((w > CLIENT_WAIT)) && CLIENT_WAIT=$w
		fi
		sleep 0.05
	done
}

# run_tool LB TOOL C LOG CMD...: runs one measured client command from cl1
# and records one row of round $ROUND: parsed figures, CPU split, checks.
run_tool() {
	local lb=$1 tool=$2 conc=$3 log=$4 rc=0 t0 t1 c0 c1 n0 n1 h0 h1 x0 x1 s0 s1 tm bg
	shift 4

	# The thing under test, before.
	case $lb in
	xlb)
		x0=$(xlb_counts)
		;;
	haproxy)
		s0=$(hap_counts)
		;;
	esac
	local xdp_before='' xdp_during=''
	[ "$lb" = haproxy ] && xdp_before=$(lb_xdp)
	cpu_snap "$WORK/snap0"
	c0=$(cpu_stat)
	n0=$(proc_ticks "${NGINX_PIDS[@]}")
	h0=$(proc_ticks ${HAP_PID:+"$HAP_PID"})
	t0=$(date +%s.%N)
	(
		TIMEFORMAT='%U %S'
		{ time client timeout -k 5 "$CLIENT_TIMEOUT" "$@" >"$log" 2>&1; } 2>"$WORK/time"
	) &
	bg=$!
	client_wait "$bg" "$tool"
	wait "$bg" || rc=$?
	t1=$(date +%s.%N)
	tm=$(cat "$WORK/time")
	c1=$(cpu_stat)
	n1=$(proc_ticks "${NGINX_PIDS[@]}")
	h1=$(proc_ticks ${HAP_PID:+"$HAP_PID"})
	cpu_snap "$WORK/snap1"
	case $lb in
	xlb)
		x1=$(xlb_counts)
		;;
	haproxy)
		s1=$(hap_counts)
		xdp_during=$(lb_xdp)
		;;
	esac

	python3 - "$lb" "$tool" "$conc" "$log" "$rc" "$t0" "$t1" "$c0" "$c1" \
		"$n0" "$n1" "$h0" "$h1" "${tm:-0 0}" "${x0:-}" "${x1:-}" "${s0:-}" "${s1:-}" \
		"$xdp_before$xdp_during" "$(getconf CLK_TCK)" "$ROUND" "$WORK/snap0" "$WORK/snap1" "$CLIENT_WAIT" \
		>>"$ROWS" <<'EOF'
import json, re, sys
(lb, tool, conc, log, rc, t0, t1, c0, c1, n0, n1, h0, h1, tm, x0, x1, s0, s1,
 xdp, hz, rnd, snap0, snap1, cwait) = sys.argv[1:]
text = open(log, errors="replace").read()
row = {"lb": lb, "tool": tool, "concurrency": int(conc), "round": int(rnd)}
errs = []

def num(pat, conv=float):
    m = re.search(pat, text, re.M)
    return conv(m.group(1)) if m else None

def wrk_ms(v):  # wrk prints 310.00us, 1.20ms, 2.00s
    m = re.match(r"([\d.]+)(us|ms|s)$", v)
    return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]

resp_bytes = None
if tool == "ab":
    complete = num(r"^Complete requests:\s+(\d+)", int)
    failed = num(r"^Failed requests:\s+(\d+)", int)
    non2xx = num(r"^Non-2xx responses:\s+(\d+)", int) or 0
    row["requests"] = complete or 0
    row["rps"] = num(r"^Requests per second:\s+([\d.]+)")
    row["mean_ms"] = num(r"^Time per request:\s+([\d.]+) \[ms\] \(mean\)$")
    # The percentile table, from ab's -e CSV (the same table in 1 us steps;
    # the printed one is in whole ms).
    pct = {}
    try:
        for line in open(log + ".csv"):
            p, v = line.strip().split(",")
            if p.isdigit():
                pct[int(p)] = float(v)
    except OSError:
        pass
    row["p50_ms"] = pct.get(50)
    row["p99_ms"] = pct.get(99)
    row["p50_ms_table"] = num(r"^\s+50%\s+(\d+)", int)
    row["p99_ms_table"] = num(r"^\s+99%\s+(\d+)", int)
    row["failed"] = (failed if failed is not None else 0) + non2xx
    resp_bytes = num(r"^Total transferred:\s+(\d+) bytes", int)
    want = int(re.search(r"-n (\d+)", open(log + ".cmd").read()).group(1))
    if complete != want:
        errs.append(f"ab: complete requests {complete}, want {want}")
    if failed is None or failed != 0:
        errs.append(f"ab: failed requests {failed}")
    if non2xx:
        errs.append(f"ab: {non2xx} non-2xx responses")
else:
    reqs = num(r"^\s+(\d+) requests in ", int)
    row["requests"] = reqs or 0
    row["rps"] = num(r"^Requests/sec:\s+([\d.]+)")
    m = re.search(r"^\s+Latency\s+(\S+)", text, re.M)
    row["mean_ms"] = wrk_ms(m.group(1)) if m else None
    for p in (50, 99):
        m = re.search(rf"^\s+{p}%\s+(\S+)", text, re.M)
        row[f"p{p}_ms"] = wrk_ms(m.group(1)) if m else None
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    nsock = sum(int(x) for x in sock.groups()) if sock else 0
    non2xx = num(r"^\s+Non-2xx or 3xx responses:\s+(\d+)", int) or 0
    row["failed"] = nsock + non2xx
    m = re.search(r"requests in [\d.]+\w+, ([\d.]+)(B|KB|MB|GB) read", text)
    if m:
        resp_bytes = float(m.group(1)) * {"B": 1, "KB": 2**10, "MB": 2**20, "GB": 2**30}[m.group(2)]
    if not reqs:
        errs.append("wrk: no requests")
    if nsock:
        errs.append(f"wrk: socket errors ({sock.group(0)})")
    if non2xx:
        errs.append(f"wrk: {non2xx} non-2xx/3xx responses")
if int(rc) in (124, 137):
    errs.append(f"{tool} killed by the time limit")
elif int(rc) != 0:
    errs.append(f"{tool} exited {rc}")
for k in ("rps", "p50_ms", "p99_ms"):
    if row.get(k) is None:
        errs.append(f"{tool}: no {k} in its output")

# Did the traffic go through the LB under test?
n = row["requests"]
if lb == "xlb":
    a, b = json.loads(x0), json.loads(x1)
    d = b["fwd"] - a["fwd"]
    row["spread"] = [y - x for x, y in zip(a["be"], b["be"])]
    row["check"] = (f"xlb tx_forward +{d} (packets to be1/be2/be3 "
                    f"+{' / +'.join(map(str, row['spread']))})")
    if d < n:
        errs.append(f"xlb forwarded {d} packets for {n} requests")
else:
    a, b = json.loads(s0), json.loads(s1)
    ds, db = b["stot"] - a["stot"], b["bout"] - a["bout"]
    row["spread"] = [y - x for x, y in zip(a["be"], b["be"])]
    row["check"] = (f"haproxy sessions +{ds}, bytes out +{db} (sessions to be1/be2/be3 "
                    f"+{' / +'.join(map(str, row['spread']))})")
    want_s = n if tool == "ab" else 1
    if ds < want_s:
        errs.append(f"haproxy counted {ds} sessions, want >= {want_s}")
    if resp_bytes and db < 0.99 * resp_bytes:
        errs.append(f"haproxy sent {db} bytes, the client read {resp_bytes:.0f}")
    if xdp:
        errs.append(f"an XDP program is on lb1 eth0 in the HAProxy run: {xdp}")

# Where the CPU went (whole machine; CPU seconds). softirq/irq time is
# in no process's; kernel threads (ksoftirqd among them) and other
# people's processes come from the per-process snapshots.
hz = int(hz)
a = [int(x) for x in c0.split()]
b = [int(x) for x in c1.split()]
d = [y - x for x, y in zip(a, b)]
p0, p1 = json.load(open(snap0)), json.load(open(snap1))
by_kind = {"k": 0, "l": 0, "f": 0}
runq_ns = 0
for pid, (kind, t, w) in p1.items():
    by_kind[kind] += t - (p0[pid][1] if pid in p0 and p0[pid][0] == kind else 0)
    # The servers' run-queue wait: lab processes alive across the row
    # (nginx, haproxy; the client has come and gone).
    if kind == "l" and pid in p0:
        runq_ns += w - p0[pid][2]
row["wall_s"] = round(float(t1) - float(t0), 3)
row["cpu"] = {
    "total_s": round(sum(d) / hz, 2),
    "idle_s": round((d[3] + d[4]) / hz, 2),
    "user_s": round((d[0] + d[1]) / hz, 2),
    "sys_s": round(d[2] / hz, 2),
    "softirq_s": round((d[5] + d[6]) / hz, 2),
    "steal_s": round(d[7] / hz, 2),
    "client_s": round(sum(float(x) for x in tm.split()), 2),
    "nginx_s": round((int(n1) - int(n0)) / hz, 2),
    "haproxy_s": round((int(h1) - int(h0)) / hz, 2),
    "kthreads_s": round(by_kind["k"] / hz, 2),
    "others_s": round(by_kind["f"] / hz, 2),
    "servers_runq_s": round(runq_ns / 1e9, 3),
    "client_runq_s": round(int(cwait) / 1e9, 3),
}
row["ok"] = not errs
if errs:
    row["error"] = "; ".join(errs)
print(json.dumps(row))
EOF
	local last
	last=$(tail -1 "$ROWS")
	if [ "$(jget "j['ok']" <<<"$last")" = True ]; then
		say "$(jget "'round %d: %s %s c=%d: %.0f req/s, p50 %.3f ms, p99 %.3f ms (%s)' % (j['round'], j['lb'], j['tool'], j['concurrency'], j['rps'], j['p50_ms'], j['p99_ms'], j['check'])" <<<"$last")"
	else
		NFAILED=$((NFAILED + 1))
		say "FAILED round $ROUND $lb $tool c=$conc: $(jget "j['error']" <<<"$last") (log: $log)"
	fi
}

# The measured part of a run, the same for both LBs.
measure() {
	local lb=$1 c log

	local pre=$RAW/r$ROUND-$lb

	client timeout -k 5 "$CLIENT_TIMEOUT" ab -q -n 2000 -c 10 "http://$LAB_VIP4/" >"$pre-warmup.txt" 2>&1 ||
		say "$lb: the warm-up ab failed (see $pre-warmup.txt)"
	for c in $AB_CONC; do
		log=$pre-ab-c$c.txt
		echo "ab -n $AB_N -c $c -e $log.csv http://$LAB_VIP4/" >"$log.cmd"
		run_tool "$lb" ab "$c" "$log" ab -n "$AB_N" -c "$c" -e "$log.csv" "http://$LAB_VIP4/"
	done
	c=$(grep -o -- '-c *[0-9]*' <<<"$WRK_ARGS" | grep -o '[0-9]*')
	log=$pre-wrk.txt
	# shellcheck disable=SC2086
	echo "wrk $WRK_ARGS --latency http://$LAB_VIP4/" >"$log.cmd"
	# shellcheck disable=SC2086
	run_tool "$lb" wrk "$c" "$log" wrk $WRK_ARGS --latency "http://$LAB_VIP4/"
}

# Starts xlbd in lb1 (nsenter execs it: $! is xlbd) and waits until the
# daemon answering on the socket is that one.
#
# The outer source of a tunnelled packet is source4 with its low 16 bits
# set per flow (for the backends' RSS), so source4 stands for a whole /16
# that must hold no address of the path. The lab's LB address would not
# do: 198.18.0.0/16 holds the router's 198.18.0.1, and the router drops the
# flows whose outer source lands on it as martians (about 1 in 65536; a
# stuck SYN that stalls ab for its 30 s timeout). 198.19.0.0/16 is unused.
ENCAP_SRC4=198.19.0.2
start_xlbd() {
	local pid i a m

	{
		echo "pin_dir: $PIN"
		echo "hash_seed: 24301"
		echo "maglev_size: 65537"
		echo "mtu: $LAB_MTU"
		echo "encap: { source4: $ENCAP_SRC4 }"
		echo "nexthop: { interface: eth0, address: $LAB_RT_INTERNAL_ADDR }"
		echo "backends:"
		for i in 1 2 3; do
			eval "a=\$LAB_BE${i}_ADDR; m=\$LAB_BE${i}_MAC"
			echo "  - { id: $i, address: $a, mac: '$m' }"
		done
		echo "vips:"
		echo "  - { name: web4, address: $LAB_VIP4, port: 80, protocol: tcp, mode: tunnel,"
		echo "      backends: [ {id: 1, weight: 1}, {id: 2, weight: 1}, {id: 3, weight: 1} ] }"
	} >"$CFG"
	nsenter --net="/run/netns/$LAB_NS_LB1" "$BUILD/xlbd" -c "$CFG" -s "$SOCK" -i eth0 \
		>>"$RAW/xlbd.log" 2>&1 &
	XLBD_PID=$!
	for _ in $(seq 50); do
		pid=$(xlb --json status 2>/dev/null | jget "j['pid']" 2>/dev/null) || true
		[ "$pid" = "$XLBD_PID" ] && return 0
		kill -0 "$XLBD_PID" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/#   /' "$RAW/xlbd.log" >&2
	die "xlbd (pid $XLBD_PID) did not come up"
}

stop_xlb() {
	xlb detach eth0 >/dev/null || die "xlb detach eth0 failed"
	stop_pid "$XLBD_PID" xlbd
	wait "$XLBD_PID" 2>/dev/null || true
	XLBD_PID=
	[ -z "$(lb_xdp)" ] || die "an XDP program is still on lb1 eth0 after xlb detach: $(lb_xdp)"
}

write_haproxy_cfg() {
	local i a

	cat <<EOF
# HAProxy for scripts/bench-http.sh: TCP mode, the lab's 3 backends.
global
	nbthread $HAPROXY_THREADS
	maxconn 4096
	pidfile $HAP_PID_FILE
	stats socket $HAP_SOCK mode 600 level admin
	# no log lines: nothing is logged

defaults
	mode tcp
	timeout connect 5s
	timeout client 30s
	timeout server 30s
	maxconn 4096

frontend fe_web4
	bind $LAB_VIP4:80 backlog 4096
	default_backend be_web4

backend be_web4
	balance roundrobin
EOF
	for i in 1 2 3; do
		eval "a=\$LAB_BE${i}_ADDR"
		echo "	server be$i $a:80"
	done
}

start_haproxy() {
	ip -n "$LAB_NS_LB1" addr add "$LAB_VIP4/32" dev lo
	VIP_ON_LO=1
	write_haproxy_cfg >"$HAP_CFG"
	cp "$HAP_CFG" "$RAW/haproxy.cfg"
	lb haproxy -c -q -f "$HAP_CFG" || die "haproxy rejects $HAP_CFG"
	lb haproxy -D -f "$HAP_CFG" >>"$RAW/haproxy.log" 2>&1 ||
		die "haproxy did not start (see $RAW/haproxy.log)"
	for _ in $(seq 50); do
		[ -s "$HAP_PID_FILE" ] && [ -S "$HAP_SOCK" ] && break
		sleep 0.1
	done
	HAP_PID=$(head -1 "$HAP_PID_FILE" 2>/dev/null) || true
	if [ -z "$HAP_PID" ] || ! kill -0 "$HAP_PID" 2>/dev/null; then
		die "haproxy is not running"
	fi
	hap_counts >/dev/null || die "no haproxy stats on $HAP_SOCK"
}

stop_haproxy() {
	stop_pid "$HAP_PID" haproxy
	HAP_PID=
	ip -n "$LAB_NS_LB1" addr del "$LAB_VIP4/32" dev lo
	VIP_ON_LO=0
}

# --------------------------------------------------------- reporting ----

report() {
	python3 - "$ROWS" "$OUT" "$RAW" "$@" <<'EOF'
import csv, glob, json, statistics, sys
rows_file, out, raw, kernel, ncpu, model, load, load_after, others, ab_ver, \
    wrk_ver, hap_ver, ngx_ver, hap_threads, ab_n, wrk_args, rounds, when, cmd = sys.argv[1:]
rows = [json.loads(l) for l in open(rows_file)]
rounds = int(rounds)

def key(r):
    return (r["lb"], r["tool"], r["concurrency"])

# One object per (LB, tool, concurrency): medians over the rounds whose
# checks passed; requests and failed are totals over all rounds.
agg = {}
for r in rows:
    agg.setdefault(key(r), []).append(r)

def med(runs, k):
    v = [r[k] for r in runs if r["ok"] and r.get(k) is not None]
    return round(statistics.median(v), 3) if v else None

result = []
for (lb, tool, c), runs in agg.items():
    cpu = {"wall_s": round(sum(r["wall_s"] for r in runs), 3)}
    for r in runs:
        for k, v in r["cpu"].items():
            cpu[k] = round(cpu.get(k, 0) + v, 2)
    errs = [f"round {r['round']}: {r['error']}" for r in runs if not r["ok"]]
    result.append({
        "lb": lb, "tool": tool, "concurrency": c,
        "requests": sum(r["requests"] for r in runs),
        "rps": med(runs, "rps"), "p50_ms": med(runs, "p50_ms"), "p99_ms": med(runs, "p99_ms"),
        "failed": sum(r["failed"] for r in runs),
        "mean_ms": med(runs, "mean_ms"),
        "rounds": len(runs), "rounds_ok": sum(r["ok"] for r in runs),
        "ok": not errs and len(runs) == rounds, "error": "; ".join(errs) or None,
        "rps_rounds": [r["rps"] for r in runs], "p99_ms_rounds": [r["p99_ms"] for r in runs],
        "cpu_s": cpu, "runs": runs,
    })
json.dump(result, open(f"{out}/http.json", "w"), indent=1)

def get(lb, tool, c):
    for r in result:
        if (r["lb"], r["tool"], r["concurrency"]) == (lb, tool, c):
            return r
    return None

def f(v, nd=2):
    return "—" if v is None else f"{v:.{nd}f}"

def ratio(a, b):
    return "—" if not a or not b else f"{a / b:.2f}"

def cell(r, k, nd=2):
    if r is None:
        return "—"
    s = f(r.get(k), nd)
    return s if r["ok"] else f"{s} **FAILED**"

L = []
L.append("# HTTP through the VIP: xlb vs HAProxy (TCP mode)")
L.append("")
L.append(f"- When: {when}; command: `{cmd}`; {rounds} round(s), each run A (xlb) then run B (HAProxy) "
         "in the same lab; every figure is the median over the rounds (all rounds' req/s are under \"Rounds\").")
L.append(f"- Machine: Linux {kernel}, {ncpu} CPUs ({model}); load average before {load}, after {load_after}; "
         f"other network namespaces at the start: {others or 'none'}.")
L.append(f"- Tools: {ab_ver}; {wrk_ver}; {hap_ver}; {ngx_ver}.")
L.append("- Lab (scripts/lab.sh): client cl1 → router rt → LB node lb1 → backends be1..be3 (nginx, 1 worker each, "
         "a 25-byte page), every node a network namespace, veth pairs and bridges.")
L.append("- **xlb**: XDP on lb1's eth0, VIP 192.0.2.10:80/tcp, IPIP tunnel (outer source 198.19.0.0/16, "
         "sent to the router, which hairpins it to the backend), Maglev over 3 backends of weight 1; "
         "the backends decapsulate and answer the client directly (DSR: replies do not pass lb1).")
L.append(f"- **HAProxy**: `mode tcp`, `balance roundrobin`, `nbthread {hap_threads}`, no logging, timeouts connect 5s / "
         "client 30s / server 30s, the VIP on lb1's lo, xlb detached and stopped (no XDP program on lb1's eth0, "
         "checked before and after every row); a request is two TCP connections and both directions pass lb1.")
L.append("")
L.append(f"> One {ncpu}-core machine runs the client, the router, the LB and the three backends together: "
         "these numbers compare the two load balancers on the same ground, they are not line rate and say "
         "nothing about either one on hardware of its own. \"Where the CPU went\" shows what each row spent.")
L.append("")
for tool, title in (("ab", f"ab: `ab -n {ab_n} -c C`, a new connection per request"),
                    ("wrk", f"wrk: `wrk {wrk_args} --latency`, keep-alive")):
    cs = sorted({r["concurrency"] for r in result if r["tool"] == tool})
    if not cs:
        continue
    L.append(f"## {title}")
    L.append("")
    L.append("| C | xlb req/s | HAProxy req/s | req/s xlb/HAProxy | xlb mean ms | HAProxy mean ms "
             "| xlb p50 ms | HAProxy p50 ms | xlb p99 ms | HAProxy p99 ms | p99 xlb/HAProxy | failed xlb / HAProxy |")
    L.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in cs:
        x, h = get("xlb", tool, c), get("haproxy", tool, c)
        L.append("| " + " | ".join([
            str(c), cell(x, "rps", 0), cell(h, "rps", 0), ratio(x and x["rps"], h and h["rps"]),
            cell(x, "mean_ms", 3), cell(h, "mean_ms", 3),
            cell(x, "p50_ms", 3), cell(h, "p50_ms", 3), cell(x, "p99_ms", 3), cell(h, "p99_ms", 3),
            ratio(x and x["p99_ms"], h and h["p99_ms"]),
            f"{x['failed'] if x else '—'} / {h['failed'] if h else '—'}"]) + " |")
    L.append("")
    if tool == "wrk":
        # Few long-lived connections: how evenly each LB spread them.
        def shares(r):
            if not r:
                return "—"
            out = []
            for run in r["runs"]:
                sp = run.get("spread") or []
                t = sum(sp) or 1
                out.append("/".join(f"{100 * v / t:.0f}" for v in sp))
            return ", ".join(out)
        for c in cs:
            x, h = get("xlb", tool, c), get("haproxy", tool, c)
            L.append(f"Shares of be1/be2/be3 in % per round, wrk c={c}: xlb (packets, Maglev hash of "
                     f"{c} connections) {shares(x)}; HAProxy (sessions, roundrobin) {shares(h)}. "
                     "wrk runs the machine flat out with more runnable threads than CPUs, so its tail is "
                     "mostly time spent waiting for a CPU (\"client waiting\" and \"servers waiting\" below) and moves from run to "
                     "run; p99 of every round is under \"Rounds\".")
            L.append("")
L.append("req/s xlb/HAProxy above 1: xlb serves more; p99 xlb/HAProxy below 1: xlb's tail is shorter. "
         "ab's percentiles come from its `-e` CSV (the table it prints, in 1 µs steps instead of whole ms); "
         "ab's mean is its \"Time per request (mean)\", wrk's the latency average. Failed: summed over the rounds.")
L.append("")
L.append("## Rounds")
L.append("")
L.append("req/s and p99 of every round, in order (the spread is the noise of a shared machine).")
L.append("")
L.append("| tool | C | xlb req/s | HAProxy req/s | xlb p99 ms | HAProxy p99 ms |")
L.append("|---|---:|---|---|---|---|")
for tool in ("ab", "wrk"):
    for c in sorted({r["concurrency"] for r in result if r["tool"] == tool}):
        x, h = get("xlb", tool, c), get("haproxy", tool, c)
        fmt = lambda r, k, nd: ", ".join("—" if v is None else f"{v:.{nd}f}" for v in r[k]) if r else "—"
        L.append(f"| {tool} | {c} | {fmt(x, 'rps_rounds', 0)} | {fmt(h, 'rps_rounds', 0)} | "
                 f"{fmt(x, 'p99_ms_rounds', 2)} | {fmt(h, 'p99_ms_rounds', 2)} |")
L.append("")
L.append("## Where the CPU went")
L.append("")
L.append("CPU time per request in µs, all rounds together: the whole machine busy (everything but idle and steal), then "
         "its parts: the client tool, the three nginx, haproxy, softirq/irq (XDP, and so xlb, runs here, "
         "with the veth and bridge forwarding of every node), kernel threads (ksoftirqd among them), and "
         "other processes outside the lab (other people's work on the machine: noise). The parts do not add "
         "up exactly (sys time of short-lived processes, accounting granularity). "
         "Client cores and haproxy cores: CPU time over wall time; ab is single-threaded, so client cores near 1 "
         "means the row measured ab's ceiling, not the LB's. Client / servers waiting: run-queue wait of the client's "
         "threads / of the nginx and haproxy threads over wall time, i.e. how many of them on average were "
         "ready to run but had no CPU. Bound by: ab at ≥ 0.9 cores, else the machine at "
         "≥ 85 % busy or with ≥ 1 thread waiting for a CPU on average, else latency (each client waits on "
         "its request with CPU to spare).")
L.append("")
L.append("| LB | tool | C | busy % | steal % | client cores | haproxy cores | busy µs/req | client | nginx | haproxy | softirq | kthreads | others | client waiting | servers waiting | bound by |")
L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
def bound(r, busy):
    c = r["cpu_s"]
    if r["tool"] == "ab" and c["client_s"] / (c["wall_s"] or 1) >= 0.9:
        return "ab (one core)"
    waiting = (c["client_runq_s"] + c["servers_runq_s"]) / (c["wall_s"] or 1)
    if busy / (c["total_s"] or 1) >= 0.85 or waiting >= 1:
        return "machine CPU"
    return "latency (CPU to spare)"

for r in result:
    c, n = r["cpu_s"], r["requests"]
    us = lambda k: f"{1e6 * c[k] / n:.0f}" if n else "—"
    busy = c["total_s"] - c["idle_s"] - c["steal_s"]
    L.append(f"| {r['lb']} | {r['tool']} | {r['concurrency']} | "
             f"{100 * busy / (c['total_s'] or 1):.0f} | {100 * c['steal_s'] / (c['total_s'] or 1):.0f} | "
             f"{c['client_s'] / (c['wall_s'] or 1):.2f} | {c['haproxy_s'] / (c['wall_s'] or 1):.2f} | "
             f"{f'{1e6 * busy / n:.0f}' if n else '—'} | {us('client_s')} | "
             f"{us('nginx_s')} | {us('haproxy_s')} | {us('softirq_s')} | {us('kthreads_s')} | {us('others_s')} | "
             f"{c['client_runq_s'] / (c['wall_s'] or 1):.2f} | "
             f"{c['servers_runq_s'] / (c['wall_s'] or 1):.2f} | {bound(r, busy)} |")
L.append("")
L.append("## Checks")
L.append("")
for fn in sorted(glob.glob(f"{raw}/r*-xlb-stats.json")):
    try:
        st = json.load(open(fn))
        L.append(f"- {fn.split('/')[-1].split('-')[0]}: xlb packets forwarded to be1/be2/be3: " +
                 " / ".join(str(b["packets"]) for b in st["backends"]))
    except (OSError, ValueError, KeyError):
        pass
for fn in sorted(glob.glob(f"{raw}/r*-haproxy-stat.csv")):
    try:
        lines = open(fn).read().splitlines()
        hdr = lines[0].lstrip("# ").split(",")
        srv = [dict(zip(hdr, r)) for r in csv.reader(lines[1:]) if r]
        L.append(f"- {fn.split('/')[-1].split('-')[0]}: HAProxy sessions to be1/be2/be3: " + " / ".join(
            r["stot"] for r in srv if r["pxname"] == "be_web4" and r["svname"].startswith("be")))
    except (OSError, ValueError, KeyError, IndexError):
        pass
for r in rows:
    st = "ok" if r["ok"] else f"**FAILED**: {r['error']}"
    L.append(f"- round {r['round']} {r['lb']} {r['tool']} c={r['concurrency']}: {r['requests']} requests, "
             f"{r['failed']} failed; {r['check']}; {st}")
L.append("")
open(f"{out}/http.md", "w").write("\n".join(L))

with open(f"{out}/http-ab.dat", "w") as d:
    d.write("# concurrency xlb_rps haproxy_rps (medians)\n")
    for c in sorted({r["concurrency"] for r in result if r["tool"] == "ab"}):
        x, h = get("xlb", "ab", c), get("haproxy", "ab", c)
        v = lambda r: f"{r['rps']:.1f}" if r and r["ok"] and r["rps"] else "NaN"
        d.write(f"{c} {v(x)} {v(h)}\n")
EOF
}

plot() {
	gnuplot <<EOF
set terminal pngcairo size 900,540 enhanced font "sans,11"
set output "$OUT/http.png"
set title "HTTP through the VIP: ab -n $AB_N, a new connection per request; median of $ROUNDS round(s)\\n$(uname -r), $(nproc) CPUs, client, LB and backends on one machine"
set xlabel "concurrency (ab -c)"
set ylabel "requests/s"
set key bottom right box opaque
set grid
set yrange [0:*]
set xtics ($(awk 'NR > 1 { printf "%s\"%s\" %s", (n++ ? ", " : ""), $1, $1 }' "$OUT/http-ab.dat"))
plot "$OUT/http-ab.dat" using 1:2 with linespoints lw 2 pt 7 title "xlb (XDP, IPIP, DSR)", \
     "$OUT/http-ab.dat" using 1:3 with linespoints lw 2 pt 5 title "HAProxy (TCP mode, nbthread $HAPROXY_THREADS)"
EOF
}

# --- one run of each --------------------------------------------------------

run_xlb() {
	say "round $ROUND, run A: xlbd on lb1 eth0, web4 $LAB_VIP4:80 tunnel to be1..be3"
	rm -rf "$PIN"
	start_xlbd
	[ -n "$(lb_xdp)" ] || die "xlbd runs but no XDP program is on lb1 eth0"
	seen=$(backends_seen 30)
	[ "$seen" = "be1 be2 be3" ] || die "through xlb the VIP reached '$seen', want be1 be2 be3"
	measure xlb
	xlb --json stats >"$RAW/r$ROUND-xlb-stats.json" || true
	stop_xlb
}

run_haproxy() {
	say "round $ROUND, run B: haproxy (TCP mode, nbthread $HAPROXY_THREADS) in lb1, VIP on lo"
	start_haproxy
	[ -z "$(lb_xdp)" ] || die "an XDP program is on lb1 eth0 in the HAProxy run: $(lb_xdp)"
	if xlb status 2>&1 | tee "$RAW/r$ROUND-haproxy-xlb-status.txt" | grep -q 'eth0 *\(native\|skb\)'; then
		die "xlb status shows xlb attached in the HAProxy run"
	fi
	seen=$(backends_seen 30)
	[ "$seen" = "be1 be2 be3" ] || die "through haproxy the VIP reached '$seen', want be1 be2 be3"
	measure haproxy
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"show stat\n")
while True:
    d = s.recv(65536)
    if not d: break
    sys.stdout.write(d.decode())' "$HAP_SOCK" >"$RAW/r$ROUND-haproxy-stat.csv" || true
	stop_haproxy
}

# -------------------------------------------------------------- main ----

[ "$(id -u)" -eq 0 ] || die "need root"
[[ $ROUNDS =~ ^[1-9][0-9]?$ ]] || die "BENCH_ROUNDS must be 1..99 (got '$ROUNDS')"
for t in ab wrk haproxy gnuplot python3 nsenter curl; do
	command -v "$t" >/dev/null || die "$t not found (run scripts/install-deps.sh)"
done
for f in xlbd xlb xlb-decap xlb_pass.bpf.o; do
	[ -e "$BUILD/$f" ] || die "$BUILD/$f missing (run make all)"
done
mkdir -p "$OUT"
rm -rf "$RAW"
mkdir -p "$RAW"
: >"$ROWS"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# Anyone else's lab on the machine shares its CPUs with this run: say so.
OTHER_NS=$(ip netns list | awk '{ print $1 }' | grep -v "^xlb-$LAB_ID-" |
	sed -E 's/^(xlb-[a-z0-9]+)-.*/\1/' | sort | uniq -c |
	awk '{ printf "%s%s (%d)", sep, $2, $1; sep = ", " }') || true
WHEN=$(date -u '+%Y-%m-%d %H:%M UTC')

say "lab $LAB_ID: bringing it up (3 backends)"
LAB_STARTED=1
"$LAB" up >"$RAW/lab.log" 2>&1 || {
	sed 's/^/#   /' "$RAW/lab.log" >&2
	die "the lab did not come up"
}
set -a
# shellcheck disable=SC1090
eval "$("$LAB" env)"
set +a
[ "$LAB_DECAP" = 1 ] || die "the lab has no tunnel decap on the backends (build/xlb-decap)"
read -ra NGINX_PIDS <<<"$(nginx_pids)"
mapfile -t LAB_NETNS_INODES < <(stat -L -c %i /run/netns/xlb-"$LAB_ID"-*)

for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
	run_xlb
	run_haproxy
done

# --- results ------------------------------------------------------------------
report "$(uname -r)" "$(nproc)" \
	"$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" "$LOAD_BEFORE" \
	"$(cut -d' ' -f1-3 /proc/loadavg)" "$OTHER_NS" \
	"$(ab -V | head -1 | sed 's/This is //; s/, Version /\//; s/ <.*//')" \
	"$(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }')" \
	"$(haproxy -v | head -1 | awk '{ print $1, $3 }')" \
	"$(nginx -v 2>&1 | sed 's/.*: //')" \
	"$HAPROXY_THREADS" "$AB_N" "$WRK_ARGS" "$ROUNDS" "$WHEN" \
	"${BENCH_CMD:-scripts/bench-http.sh}"
plot
cat "$OUT/http.md"
say "wrote $OUT/http.json, $OUT/http.md, $OUT/http.png (raw outputs in $RAW)"
if ((NFAILED)); then
	die "$NFAILED row(s) failed their checks"
fi
