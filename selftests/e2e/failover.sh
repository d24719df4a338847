#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Failover with the tools operators run, end to end: real keepalived (VRRP)
# and real BIRD (BGP + ECMP) beside xlbd in lab namespaces, with the
# configurations and scripts of contrib/keepalived and contrib/bird. Long
# downloads (a random file that nginx serves at 25 KB/s from /slow/) run
# through the LB nodes while nodes die and come back; every download must
# complete byte-exact, with no TCP reset seen by the client.
#  a. Two nodes with keepalived: downloads through the master; the backend
#     set changes on both nodes (the test prints how many downloads Maglev
#     alone would now send elsewhere); the master's link goes down: the
#     standby takes the VIP (takeover gap printed) and forwards every packet
#     by a synced entry. New downloads start on it; the old master's link
#     comes back: it holds their entries before it takes the VIP back (polled,
#     and in the logs). Then the same with xlbd and keepalived of the
#     master killed with -9 together, and restarted.
#  c. Two VIPs (a shop front, a back office), each with its own pool, on an
#     active/standby pair: a failover keeps the downloads of both. The old
#     master comes back with its resync blocked (nftables at the peer): it
#     stays in FAULT; unblocked, it takes the VIPs back. A master that
#     cannot finish fetching a restarted peer's table keeps the VIPs.
#  b. Three nodes by priority, 12 backends: the master dies, then the new
#     master; the last node keeps every connection.
#  d. Active/active: three nodes announce the VIP over BGP to a BIRD router
#     that spreads flows over them (ECMP); under load a fourth joins
#     (announces once synced) and one leaves (link down): no resets. A
#     node whose announcer is stopped (leaving on purpose) is withdrawn.
# Output in KTAP; the last line is "N passed, N failed".
#
# Usage: selftests/e2e/failover.sh [a|b|c|d]... (root; `make test-e2e` runs
# all). E2E_KEEP=1 leaves the labs and the work dir (logs) up. FO_FLOWS=N
# downloads in (a) (default 200; half as many in b and d, a quarter per VIP
# in c), FO_SECONDS=S how long each lasts (default 24).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SUITES=
for arg in "$@"; do
	case $arg in
	-h | --help)
		sed -n '3,/^set -/{/^set -/d;s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" | sed '/./,$!d'
		exit 0
		;;
	a | b | c | d) SUITES="$SUITES $arg" ;;
	*)
		echo "failover.sh: $arg: unknown argument (--help)" >&2
		exit 2
		;;
	esac
done
SUITES=${SUITES:- a c b d}
# shellcheck source=selftests/e2e/ktap.sh
. "$ROOT/selftests/e2e/ktap.sh"
BUILD=${BUILD:-$ROOT/build}
LAB="$ROOT/scripts/lab.sh"
WORK=$(mktemp -d /tmp/xlb-failover.XXXXXX)
chmod 700 "$WORK"
KEY=$WORK/sync.key
KTAP_LOG=$WORK/check.log
NFLOWS=${FO_FLOWS:-200}
PORT=7400
SIZE=$((25600 * ${FO_SECONDS:-24}))
TAG=$(($$ % 10000))
declare -A PID PIN SOCK CFG KAPID BIRDPID ANNPID DL
LABS=()

# ---- cleanup: every process, lab, pin and file, on every exit path --------
stop_pid() { # stop_pid PID: KILL it and reap it (our child)
	[ -n "${1:-}" ] || return 0
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}
# stop_all: every daemon this run started that still runs
stop_all() {
	local k
	for k in "${!KAPID[@]}"; do
		# keepalived's VRRP child has its own pid file
		[ -f "$WORK/ka-$k/vrrp.pid" ] && kill -9 "$(cat "$WORK/ka-$k/vrrp.pid")" 2>/dev/null
		stop_pid "${KAPID[$k]}"
	done
	for k in "${!ANNPID[@]}"; do stop_pid "${ANNPID[$k]}"; done
	for k in "${!BIRDPID[@]}"; do stop_pid "${BIRDPID[$k]}"; done
	for k in "${!PID[@]}"; do stop_pid "${PID[$k]}"; done
	KAPID=() ANNPID=() BIRDPID=() PID=()
}
# lab_down ID: the lab's namespaces, xlbd's pins and pin-dir locks (left by
# the daemons killed with -9)
lab_down() {
	LAB_ID=$1 "$LAB" down >/dev/null 2>&1
	rm -rf /sys/fs/bpf/xlb-fo-"$1"-lb[0-9]
	rm -f /run/xlb/pin-*"$1"*.lock
}
# suite_done: a suite's daemons stopped, its lab down (kept with E2E_KEEP=1)
suite_done() {
	stop_all
	[ "${E2E_KEEP:-0}" = 1 ] || lab_down "$LAB_ID"
}
cleanup() {
	local id
	stop_all
	jobs -p | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	if [ "${E2E_KEEP:-0}" = 1 ]; then
		echo "# labs ${LABS[*]} left up (E2E_KEEP=1); work dir $WORK" >&2
		return
	fi
	for id in "${LABS[@]}"; do lab_down "$id"; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- helpers ---------------------------------------------------------------
in_ns() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }
ns_of() { local v="LAB_NS_${1^^}"; echo "${!v}"; }
addr_of() { local v="LAB_${1^^}_ADDR"; echo "${!v}"; }
xlbn() { local n=$1; shift; in_ns "$(ns_of "$n")" "$BUILD/xlb" -s "${SOCK[$n]}" --pin-dir "${PIN[$n]}" "$@"; }
client() { in_ns "$LAB_NS_CL1" "$@"; }
now_ms() { local t=${EPOCHREALTIME/./}; echo "${t:0:13}"; }
# stamp: each line of stdin with the time in ms first
stamp() { local l t; while IFS= read -r l; do t=${EPOCHREALTIME/./}; printf '%s %s\n' "${t:0:13}" "$l"; done; }

# lab_up ID LBS BACKENDS: a lab of our own, its variables in the environment
lab_up() {
	local id=$1 i
	LABS+=("$id")
	if ! LAB_ID=$id LAB_LBS=$2 LAB_BACKENDS=$3 "$LAB" up >"$WORK/lab-$id.log" 2>&1; then
		cat "$WORK/lab-$id.log"
		return 1
	fi
	set -a
	# shellcheck disable=SC1090
	eval "$(LAB_ID=$id "$LAB" env)"
	set +a
	# the file of the downloads, the same on every backend
	for ((i = 1; i <= LAB_BACKENDS; i++)); do
		install -m 0644 "$WORK/ref" "$LAB_STATE/be$i/www/slow/dl" || return 1
	done
	# resets the client sends or gets on port 80, counted
	printf '%s\n' 'table inet fo {' \
		' chain in { type filter hook input priority 0; tcp sport 80 tcp flags & rst != 0 counter; }' \
		' chain out { type filter hook output priority 0; tcp dport 80 tcp flags & rst != 0 counter; }' \
		'}' | client nft -f -
}
resets() { client nft list table inet fo | awk '/counter/ { n += $(NF - 2) } END { print n + 0 }'; }
# which way the resets went (in: from a backend; out: the client's own)
resets_by_way() { client nft list table inet fo | awk '/chain/ { c = $2 } /counter/ { printf "%s %s ", c, $(NF - 2) }'; }

# node_setup NODE...: pin dir, socket and config paths of lab nodes
node_setup() {
	local n
	for n in "$@"; do
		PIN[$n]=/sys/fs/bpf/xlb-fo-$LAB_ID-$n
		SOCK[$n]=$WORK/$LAB_ID-$n.sock
		CFG[$n]=$WORK/$LAB_ID-$n.yaml
		rm -f "$WORK/$LAB_ID-$n".{log,notify}
	done
}

# write_config NODE "PEER..." VIPS-YAML: backends 1..LAB_BACKENDS, the
# VIPs given, sync to the peers
write_config() {
	local n=$1 peers=$2 vips=$3 i a list=
	for i in $peers; do list="$list${list:+, }$(addr_of "$i"):$PORT"; done
	{
		echo "pin_dir: ${PIN[$n]}"
		echo "hash_seed: 24301"
		echo "maglev_size: 65537"
		echo "mtu: $LAB_MTU"
		echo "encap: { source4: 198.19.0.0 }"
		echo "nexthop: { interface: eth0, address: $LAB_RT_INTERNAL_ADDR }"
		echo "backends:"
		for ((i = 1; i <= LAB_BACKENDS; i++)); do
			a=$(addr_of "be$i")
			echo "  - { id: $i, address: $a }"
		done
		echo "vips:"
		echo "$vips"
		echo "sync:"
		echo "  listen: $(addr_of "$n"):$PORT"
		echo "  peers: [ $list ]"
		echo "  key_file: $KEY"
		echo "  key_id: 1"
		echo "  interval: 2"
	} >"${CFG[$n]}"
}

# start_xlbd NODE: xlbd on NODE's eth0 (log lines stamped in ms); waits until
# it answers
start_xlbd() {
	local n=$1 pid
	nsenter --net="/run/netns/$(ns_of "$n")" "$BUILD/xlbd" -c "${CFG[$n]}" \
		-s "${SOCK[$n]}" --state-dir "$WORK" -i eth0 \
		> >(stamp >>"$WORK/$LAB_ID-$n.log") 2>&1 &
	PID[$n]=$!
	for _ in $(seq 50); do
		pid=$(xlbn "$n" --json status 2>/dev/null | jq -r .pid 2>/dev/null)
		[ "$pid" = "${PID[$n]}" ] && return 0
		kill -0 "${PID[$n]}" 2>/dev/null || break
		sleep 0.1
	done
	echo "xlbd on $n did not come up:"
	sed 's/^/  /' "$WORK/$LAB_ID-$n.log"
	return 1
}

# start_ka NODE "VIP/LEN..." [ADVERT_INT]: keepalived in NODE's namespace with
# contrib/keepalived's configuration and scripts (copied, so ${_PWD} is
# theirs) and a site file for this lab
start_ka() {
	local n=$1 vips=$2 dir=$WORK/ka-$1 v
	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$ROOT"/contrib/keepalived/{keepalived.conf,xlb-keepalived-track,xlb-keepalived-notify} "$dir/"
	{
		echo "\$IFACE=eth0"
		echo "\$VRID=$((TAG % 200 + 20))"
		echo "\$ADVERT_INT=0.5"
		echo "\$PREEMPT_DELAY=5"
		echo "\$XLB=$BUILD/xlb"
		echo "\$XLB_ARGS=-s ${SOCK[$n]}"
		echo "\$NOTIFY_ARGS=--log $WORK/$LAB_ID-$n.notify"
		echo "\$VIPS= \\"
		# shellcheck disable=SC2086 # one word per VIP
		set -- $vips
		for v; do
			shift
			if [ $# -gt 0 ]; then echo "	$v \\"; else echo "	$v"; fi
		done
		echo "\$VIPS6="
		echo "@lb1 \$PRIORITY=150"
		echo "@lb2 \$PRIORITY=100"
		echo "@lb3 \$PRIORITY=50"
	} >"$dir/xlb-site.conf"
	nsenter --net="/run/netns/$(ns_of "$n")" keepalived -n -l -D -P -i "$n" \
		-f "$dir/keepalived.conf" -p "$dir/keepalived.pid" -r "$dir/vrrp.pid" \
		> >(stamp >>"$WORK/$LAB_ID-$n.ka.log") 2>&1 &
	KAPID[$n]=$!
}

# ka_state NODE: the VRRP state of NODE's last transition (notify log)
ka_state() { awk 'END { print $4 }' "$WORK/$LAB_ID-$1.notify" 2>/dev/null; }
# ka_when NODE STATE [AFTER_MS]: when NODE first entered STATE after AFTER_MS
ka_when() { awk -v s="$2" -v t="${3:-0}" '$4 == s && $1 >= t { print $1; exit }' "$WORK/$LAB_ID-$1.notify" 2>/dev/null; }
# wait_state NODE STATE SECONDS [AFTER_MS]: until NODE enters STATE (after
# AFTER_MS)
wait_state() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[ -n "$(ka_when "$1" "$2" "${4:-0}")" ] && [ "$(ka_state "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	echo "$1 is $(ka_state "$1"), not $2, after $3 s"
	tail -5 "$WORK/$LAB_ID-$1.ka.log"
	return 1
}
# kill_ka NODE: keepalived and its VRRP child, with -9
kill_ka() {
	kill -9 "$(cat "$WORK/ka-$1/vrrp.pid" 2>/dev/null)" "${KAPID[$1]}" 2>/dev/null
	wait "${KAPID[$1]}" 2>/dev/null
	unset "KAPID[$1]"
}
kill_xlbd() {
	stop_pid "${PID[$1]}"
	unset "PID[$1]"
}

wait_synced() { # wait_synced NODE SECONDS
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		xlbn "$1" sync status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	xlbn "$1" sync status
	return 1
}

# sync_block NODE ADDR: NODE drops the sync datagrams from ADDR;
# sync_unblock NODE
sync_block() {
	printf 'table inet fosync {\n chain in {\n  type filter hook input priority 0;\n  ip saddr %s udp dport %s drop\n }\n}\n' \
		"$2" "$PORT" | in_ns "$(ns_of "$1")" nft -f -
}
sync_unblock() { in_ns "$(ns_of "$1")" nft delete table inet fosync; }
# link NODE up|down: the cable between NODE and the switch
link() { ip -n "$LAB_NS_SW" link set "$LAB_ID-$1" "$2"; }

# dl_start SET N FIRST_PORT VIP: N downloads of /slow/dl from client ports
# FIRST_PORT.. to VIP, in the background
dl_start() {
	local set=$1 n=$2 p0=$3 vip=$4 i
	for ((i = 0; i < n; i++)); do
		client curl -s --max-time 180 -o "$WORK/$set.$i" \
			--local-port $((p0 + i)) "http://$vip/slow/dl" 2>/dev/null &
		DL[$set.$i]=$!
	done
}
# dl_running SET N: how many still run
dl_running() {
	local i c=0
	for ((i = 0; i < $2; i++)); do kill -0 "${DL[$1.$i]}" 2>/dev/null && c=$((c + 1)); done
	echo $c
}
# dl_wait SET N: waits for every download (in this shell: they are its
# children); DL_OK: how many completed byte-exact (curl exit 0, the bytes
# of $WORK/ref)
dl_wait() {
	local i
	DL_OK=0
	for ((i = 0; i < $2; i++)); do
		wait "${DL[$1.$i]}" && cmp -s "$WORK/$1.$i" "$WORK/ref" && DL_OK=$((DL_OK + 1))
		unset "DL[$1.$i]"
	done
}
# events NODE: the non-zero datapath counters of NODE
events() { xlbn "$1" --json stats | jq -c '.counters | with_entries(select(.value != 0))'; }
head -c "$SIZE" /dev/urandom >"$WORK/ref"

# ports_in NODE [VIP]: client ports of NODE's conntrack entries
ports_in() {
	xlbn "$1" --json conntrack list ${2:+--vip "$2"} --limit 0 |
		jq -r '.entries[].client_port' | sort -n
}
# entries NODE FIRST N: "port backend" of NODE's entries for ports FIRST..+N
entries() {
	xlbn "$1" --json conntrack list --limit 0 |
		jq -r --argjson a "$2" --argjson n "$3" \
			'.entries[] | select(.client_port >= $a and .client_port < $a + $n) | "\(.client_port) \(.backend)"' |
		sort -n
}
# wait_entries NODE FIRST N SECONDS: until NODE holds N entries from FIRST
wait_entries() {
	local i got=0
	for ((i = 0; i < $4 * 4; i++)); do
		got=$(entries "$1" "$2" "$3" | wc -l)
		[ "$got" -ge "$3" ] && break
		sleep 0.25
	done
	echo "$got"
}
counter() { xlbn "$1" --json stats | jq -r ".counters.$2"; }

# maglev_moved NODE VIP FIRST N RECORDED: which of the flows from client
# ports FIRST..+N Maglev would now send to another backend than RECORDED
# ("port backend" lines) says. Asks NODE's own XDP program
# (BPF_PROG_TEST_RUN of a SYN per flow: a fresh pick, rewriting the entry),
# so only once those downloads are over. Prints "port old->new" lines.
maglev_moved() {
	local n=$1 vip=$2 p0=$3 cnt=$4 rec=$5 prog
	prog=$(ip -n "$(ns_of "$n")" -d link show eth0 | awk '/prog\/xdp id/ { print $3; exit }')
	[ -n "$prog" ] || return 1
	in_ns "$(ns_of "$n")" python3 - "$prog" "$LAB_CL1_ADDR" "$vip" 80 "$p0" "$cnt" <<'EOF' >"$WORK/picks" || return 1
import ctypes, os, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
NR_BPF = {'x86_64': 321, 'aarch64': 280, 'riscv64': 280, 'ppc64le': 361, 's390x': 351}[os.uname().machine]
def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    r = libc.syscall(NR_BPF, cmd, buf, 128)
    if r < 0:
        e = ctypes.get_errno(); raise OSError(e, os.strerror(e))
    return r, buf.raw
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
prog, src, dst, dport, p0, n = sys.argv[1:7]
fd, _ = bpf(13, struct.pack('III', int(prog), 0, 0))  # BPF_PROG_GET_FD_BY_ID
out = ctypes.create_string_buffer(2048)
for sp in range(int(p0), int(p0) + int(n)):
    tcp = struct.pack('!HHIIBBHHH', sp, int(dport), 1, 0, 5 << 4, 0x02, 64240, 0, 0)
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack('!H', csum(ph + tcp)) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    pkt = b'\x02' * 6 + b'\x04' * 6 + b'\x08\x00' + ip + tcp
    inb = ctypes.create_string_buffer(pkt, len(pkt))
    _, res = bpf(10, struct.pack('IIIIQQII', fd, 0, len(pkt), 2048, ctypes.addressof(inb),
                              ctypes.addressof(out), 1, 0))  # BPF_PROG_TEST_RUN
    size = struct.unpack_from('I', res, 12)[0]
    # the tunnel's outer IPv4 destination: the backend picked
    print(sp, socket.inet_ntoa(out.raw[30:34]) if size >= 34 else '-')
EOF
	local i map=
	for ((i = 1; i <= LAB_BACKENDS; i++)); do map="$map $(addr_of "be$i")=$i"; done
	awk -v map="$map" 'BEGIN { n = split(map, m, " "); for (i = 1; i <= n; i++) { split(m[i], kv, "="); id[kv[1]] = kv[2] } }
		NR == FNR { old[$1] = $2; next }
		($1 in old) && old[$1] != id[$2] { print $1, old[$1] "->" id[$2] }' "$rec" "$WORK/picks"
}

# after NODE MS PATTERN: the time of NODE's first xlbd log line at or after
# MS that matches PATTERN
after() { awk -v t="$2" -v p="$3" '$1 >= t && index($0, p) { print $1; exit }' "$WORK/$LAB_ID-$1.log"; }
# notify_line NODE STATE AFTER_MS: the notify log line of that transition
notify_line() { awk -v s="$2" -v t="$3" '$4 == s && $1 >= t { print; exit }' "$WORK/$LAB_ID-$1.notify"; }
# wait_hits NODE FROM SECONDS: until NODE's ct_hit passes FROM; prints when
wait_hits() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		[ "$(counter "$1" ct_hit)" -gt "$2" ] && { now_ms; return 0; }
		sleep 0.05
	done
	echo never
}
# back_in_order NODE SINCE_MS: NODE's xlbd said synced (after SINCE_MS) before
# its keepalived took the VIP, and the notify script saw it synced then
back_in_order() {
	local n=$1 t0=$2 ts tm line
	ts=$(after "$n" "$t0" "synced with")
	tm=$(ka_when "$n" MASTER "$t0")
	line=$(notify_line "$n" MASTER "$t0")
	echo "synced at ${ts:-never}, master at ${tm:-never}: $line"
	[ -n "$ts" ] && [ -n "$tm" ] && [ "$ts" -le "$tm" ] && [[ $line == *"sync: synced on"* ]]
}

# await_master NODE FIRST N SINCE_MS: polls until NODE's keepalived enters
# MASTER after SINCE_MS (60 s at most); T_HAVE: when NODE was first seen
# holding the N entries from client port FIRST, T_MASTER: the transition
# (both 9999999999999 if never)
await_master() {
	local i
	T_HAVE=9999999999999 T_MASTER=9999999999999
	for ((i = 0; i < 600; i++)); do
		if [ "$T_HAVE" = 9999999999999 ] && [ "$(entries "$1" "$2" "$3" | wc -l)" -ge "$3" ]; then
			T_HAVE=$(now_ms)
		fi
		T_MASTER=$(ka_when "$1" MASTER "$4")
		[ -n "$T_MASTER" ] && return 0
		T_MASTER=9999999999999
		sleep 0.1
	done
	return 1
}

PLAN_A=20
suite_a() {
	local end=$((KTAP_N + PLAN_A)) vips nb=$((NFLOWS / 4)) got run t_kill t_m t_res t_up \
		h0 m0 h1 m1 okA okB okC r0 moved s
	ktap_diag "(a) two nodes with keepalived, lab fa$TAG: $NFLOWS downloads through the master"
	if ! command -v keepalived >/dev/null; then
		ktap_skip_to "$end" "keepalived not installed (scripts/install-deps.sh)"
		return
	fi
	if ! lab_up "fa$TAG" 2 5 >"$KTAP_LOG" 2>&1; then
		ktap_fail "(a) the lab comes up" "$(tail -20 "$KTAP_LOG")"
		ktap_skip_to "$end" "no lab"
		return
	fi
	node_setup lb1 lb2
	vips="  - { name: web4, address: $LAB_VIP4, port: 80, protocol: tcp, backends: [ {id: 1}, {id: 2}, {id: 3} ] }"
	write_config lb1 lb2 "$vips"
	write_config lb2 lb1 "$vips"
	# the router finds the VIP on the segment (ARP): whoever holds it
	ip -n "$LAB_NS_RT" route replace "$LAB_VIP4_NET" dev eth0
	a_serve() { start_xlbd lb1 && start_xlbd lb2 && wait_synced lb1 10 && wait_synced lb2 10; }
	check "(a) xlbd serves on lb1 and lb2, synced with each other" a_serve
	start_ka lb1 "$LAB_VIP4/32"
	start_ka lb2 "$LAB_VIP4/32"
	a_master() {
		wait_state lb1 MASTER 20 && wait_state lb2 BACKUP 5 &&
			client curl -sf --max-time 5 -o /dev/null "http://$LAB_VIP4/1k"
	}
	if ! check "(a) keepalived makes lb1 (priority 150) master and lb2 (100) backup; the VIP answers" a_master; then
		ktap_skip_to "$end" "no master"
		suite_done
		return
	fi

	# --- the master's link goes down -----------------------------------
	dl_start A "$NFLOWS" 31000 "$LAB_VIP4"
	got=$(wait_entries lb2 31000 "$NFLOWS" 30)
	entries lb1 31000 "$NFLOWS" >"$WORK/recA"
	a_same() { test "$got" -ge "$NFLOWS" && diff "$WORK/recA" <(entries lb2 31000 "$NFLOWS"); }
	check "(a) lb2 holds all $NFLOWS downloads' entries ($got), with lb1's backends" a_same
	# the operator adds a backend, on both nodes: Maglev moves a share of
	# the flows (counted below), the entries keep them where they are
	xlbn lb1 backend add web4 4 >/dev/null && xlbn lb2 backend add web4 4 >/dev/null
	h0=$(counter lb2 ct_hit) m0=$(counter lb2 ct_miss)
	run=$(dl_running A "$NFLOWS")
	t_kill=$(now_ms)
	link lb1 down
	wait_state lb2 MASTER 15 "$t_kill" >"$KTAP_LOG" 2>&1
	t_m=$(ka_when lb2 MASTER "$t_kill")
	t_res=$(wait_hits lb2 "$h0" 15)
	check "(a) lb1's link down: lb2 takes the VIP $((${t_m:-0} - t_kill)) ms later, traffic through it $((${t_res:-0} - t_kill)) ms after the cut ($run of $NFLOWS downloads running)" \
		test -n "$t_m" -a "$t_res" != never -a "$run" -gt 0
	sleep 1
	h1=$(counter lb2 ct_hit) m1=$(counter lb2 ct_miss)
	check "(a) lb2 forwards the downloads by synced entries ($((h1 - h0)) hits, $((m1 - m0)) misses)" \
		test $((h1 - h0)) -gt 0 -a $((m1 - m0)) -eq 0

	# --- new downloads on lb2; lb1 comes back: resync, then the VIP -----
	dl_start B "$nb" 32000 "$LAB_VIP4"
	wait_entries lb2 32000 "$nb" 20 >/dev/null
	h1=$(counter lb1 ct_hit) m1=$(counter lb1 ct_miss)
	# down long enough for lb1's xlbd to call lb2 gone (3.5 s of silence):
	# it comes back through a bulk resync, not only resends
	while [ $(($(now_ms) - t_kill)) -lt 6000 ]; do sleep 0.2; done
	t_up=$(now_ms)
	link lb1 up
	await_master lb1 32000 "$nb" "$t_up"
	check "(a) lb1's link back: it holds the $nb downloads begun on lb2 (+$((T_HAVE - t_up)) ms, polled) before it takes the VIP back (+$((T_MASTER - t_up)) ms)" \
		test "$T_HAVE" -le "$T_MASTER"
	check "(a) ... its log says it fetched lb2's table, its notify script that it was synced" back_in_order lb1 "$t_up"
	dl_wait A "$NFLOWS"
	okA=$DL_OK
	dl_wait B "$nb"
	okB=$DL_OK
	ktap_diag "lb1: $(events lb1)"
	ktap_diag "lb2: $(events lb2)"
	check "(a) all $NFLOWS downloads complete byte-exact across failover and failback ($okA)" test "$okA" -eq "$NFLOWS"
	check "(a) all $nb begun on lb2 complete byte-exact through lb1 after failback ($okB)" test "$okB" -eq "$nb"
	r0=$(resets)
	[ "$r0" -eq 0 ] || ktap_diag "resets by way: $(resets_by_way)"
	check "(a) the client saw no reset ($r0)" test "$r0" -eq 0
	check "(a) lb1 forwarded after failback by entries only ($(($(counter lb1 ct_hit) - h1)) hits, $(($(counter lb1 ct_miss) - m1)) misses)" \
		test $(($(counter lb1 ct_hit) - h1)) -gt 0 -a $(($(counter lb1 ct_miss) - m1)) -eq 0
	maglev_moved lb1 "$LAB_VIP4" 31000 "$NFLOWS" "$WORK/recA" >"$WORK/movedA"
	moved=$(wc -l <"$WORK/movedA")
	check "(a) Maglev alone would have sent $moved of the $NFLOWS to another backend after backend 4 came in (e.g. $(head -5 "$WORK/movedA" | awk '{ printf "%s:%s ", $1, $2 }'))" \
		test "$moved" -gt 0

	# --- kill -9 xlbd and keepalived on the master together -------------
	dl_start C "$NFLOWS" 33000 "$LAB_VIP4"
	got=$(wait_entries lb2 33000 "$NFLOWS" 30)
	entries lb1 33000 "$NFLOWS" >"$WORK/recC"
	check "(a) lb2 holds all $NFLOWS new downloads' entries ($got)" test "$got" -ge "$NFLOWS"
	# the operator drains backend 2 on both nodes: its flows stay
	xlbn lb1 backend drain web4 2 >/dev/null && xlbn lb2 backend drain web4 2 >/dev/null
	h0=$(counter lb2 ct_hit) m0=$(counter lb2 ct_miss)
	r0=$(resets)
	run=$(dl_running C "$NFLOWS")
	t_kill=$(now_ms)
	# the VRRP child first: killed after its parent, it would get the
	# parent-death signal and say goodbye (priority 0) like a clean stop
	kill -9 "$(cat "$WORK/ka-lb1/vrrp.pid")" "${KAPID[lb1]}" "${PID[lb1]}"
	kill_xlbd lb1
	kill_ka lb1
	wait_state lb2 MASTER 15 "$t_kill" >"$KTAP_LOG" 2>&1
	t_m=$(ka_when lb2 MASTER "$t_kill")
	t_res=$(wait_hits lb2 "$h0" 15)
	check "(a) xlbd and keepalived of lb1 killed (-9): lb2 takes the VIP $((${t_m:-0} - t_kill)) ms later, traffic through it $((${t_res:-0} - t_kill)) ms after ($run of $NFLOWS running)" \
		test -n "$t_m" -a "$t_res" != never -a "$run" -gt 0
	sleep 1
	h1=$(counter lb2 ct_hit) m1=$(counter lb2 ct_miss)
	check "(a) lb2 forwards them by synced entries ($((h1 - h0)) hits, $((m1 - m0)) misses)" \
		test $((h1 - h0)) -gt 0 -a $((m1 - m0)) -eq 0
	dl_start D "$nb" 34000 "$LAB_VIP4"
	wait_entries lb2 34000 "$nb" 20 >/dev/null
	t_up=$(now_ms)
	a_restart() { start_xlbd lb1 && start_ka lb1 "$LAB_VIP4/32" && await_master lb1 34000 "$nb" "$t_up"; }
	check "(a) xlbd (maps adopted) and keepalived restart on lb1, which becomes master again" a_restart
	check "(a) ... holding the $nb downloads begun on lb2 meanwhile (+$((T_HAVE - t_up)) ms, polled) before it took the VIP (+$((T_MASTER - t_up)) ms)" \
		test "$T_HAVE" -le "$T_MASTER"
	check "(a) ... its log says it fetched lb2's table, its notify script that it was synced" back_in_order lb1 "$t_up"
	dl_wait C "$NFLOWS"
	okC=$DL_OK
	dl_wait D "$nb"
	check "(a) all $NFLOWS and the $nb begun on lb2 complete byte-exact ($okC, $DL_OK), no reset ($(($(resets) - r0)))" \
		test "$okC" -eq "$NFLOWS" -a "$DL_OK" -eq "$nb" -a "$(resets)" -eq "$r0"
	maglev_moved lb1 "$LAB_VIP4" 33000 "$NFLOWS" "$WORK/recC" >"$WORK/movedC"
	moved=$(wc -l <"$WORK/movedC")
	check "(a) Maglev alone would have sent $moved of those $NFLOWS elsewhere after the drain of backend 2" \
		test "$moved" -gt 0
	ktap_skip_to "$end" "(a) ended early"
	suite_done
}

PLAN_C=9
suite_c() {
	local end=$((KTAP_N + PLAN_C)) vips n=$((NFLOWS / 4)) got1 got2 run t_kill t_m t_res t_up t0 h0 m0 h1 m1 ok1 r0 i
	local office=192.0.2.20
	ktap_diag "(c) two VIPs with their own pools on an active/standby pair, lab fc$TAG"
	if ! command -v keepalived >/dev/null; then
		ktap_skip_to "$end" "keepalived not installed (scripts/install-deps.sh)"
		return
	fi
	if ! lab_up "fc$TAG" 2 4 >"$KTAP_LOG" 2>&1; then
		ktap_fail "(c) the lab comes up" "$(tail -20 "$KTAP_LOG")"
		ktap_skip_to "$end" "no lab"
		return
	fi
	# the back office's VIP on its backends too (DSR: they answer from it)
	for i in 3 4; do ip -n "$(ns_of "be$i")" addr add "$office/32" dev lo; done
	node_setup lb1 lb2
	vips="  - { name: shop, address: $LAB_VIP4, port: 80, protocol: tcp, backends: [ {id: 1}, {id: 2} ] }
  - { name: office, address: $office, port: 80, protocol: tcp, backends: [ {id: 3}, {id: 4} ] }"
	write_config lb1 lb2 "$vips"
	write_config lb2 lb1 "$vips"
	ip -n "$LAB_NS_RT" route replace "$LAB_VIP4_NET" dev eth0
	c_serve() { start_xlbd lb1 && start_xlbd lb2 && wait_synced lb1 10 && wait_synced lb2 10; }
	check "(c) xlbd serves both VIPs on lb1 and lb2, synced" c_serve
	start_ka lb1 "$LAB_VIP4/32 $office/32"
	start_ka lb2 "$LAB_VIP4/32 $office/32"
	c_master() {
		local a b
		wait_state lb1 MASTER 20 && wait_state lb2 BACKUP 5 || return 1
		a=$(client curl -s --max-time 5 "http://$LAB_VIP4/") b=$(client curl -s --max-time 5 "http://$office/")
		echo "shop: $a; office: $b"
		[[ $a == "backend be1 "* || $a == "backend be2 "* ]] && [[ $b == "backend be3 "* || $b == "backend be4 "* ]]
	}
	if ! check "(c) lb1 becomes master of both VIPs; each answers from its own pool" c_master; then
		ktap_skip_to "$end" "no master"
		suite_done
		return
	fi
	dl_start S "$n" 41000 "$LAB_VIP4"
	dl_start O "$n" 42000 "$office"
	got1=$(wait_entries lb2 41000 "$n" 30)
	got2=$(wait_entries lb2 42000 "$n" 30)
	check "(c) lb2 holds the entries of the $n shop and $n office downloads ($got1, $got2)" \
		test "$got1" -ge "$n" -a "$got2" -ge "$n"
	h0=$(counter lb2 ct_hit) m0=$(counter lb2 ct_miss)
	r0=$(resets)
	run=$(( $(dl_running S "$n") + $(dl_running O "$n") ))
	t_kill=$(now_ms)
	link lb1 down
	wait_state lb2 MASTER 15 "$t_kill" >"$KTAP_LOG" 2>&1
	t_m=$(ka_when lb2 MASTER "$t_kill")
	t_res=$(wait_hits lb2 "$h0" 15)
	c_take() {
		local a
		a=$(ip -n "$LAB_NS_LB2" -o -4 addr show dev eth0)
		echo "$a"
		[ -n "$t_m" ] && [ "$t_res" != never ] && [ "$run" -gt 0 ] &&
			[[ $a == *" $LAB_VIP4/32 "* && $a == *" $office/32 "* ]]
	}
	check "(c) lb1's link down: lb2 takes both VIPs $((${t_m:-0} - t_kill)) ms later, traffic $((${t_res:-0} - t_kill)) ms after the cut ($run running)" \
		c_take
	sleep 1
	h1=$(counter lb2 ct_hit) m1=$(counter lb2 ct_miss)
	check "(c) lb2 forwards both VIPs' downloads by synced entries ($((h1 - h0)) hits, $((m1 - m0)) misses)" \
		test $((h1 - h0)) -gt 0 -a $((m1 - m0)) -eq 0

	# --- the track script, deterministically: lb1 comes back but cannot
	# finish its resync (lb2 drops lb1's sync datagrams, lb1 hears lb2).
	# Down long enough for lb1's xlbd to call lb2 gone: it asks for the
	# whole table when it hears lb2 again
	while [ $(($(now_ms) - t_kill)) -lt 6000 ]; do sleep 0.2; done
	sync_block lb2 "$LAB_LB1_ADDR"
	t_up=$(now_ms)
	link lb1 up
	sleep 9 # the preempt delay (5 s) and more
	c_out() {
		local rc
		xlbn lb1 sync status
		rc=$?
		echo "lb1: keepalived $(ka_state lb1), sync status rc $rc"
		[ "$rc" = 3 ] && [ -z "$(ka_when lb1 MASTER "$t_up")" ] && [ "$(ka_state lb1)" = FAULT ]
	}
	check "(c) lb1 back, its resync blocked (nft at lb2): for 9 s it stays in FAULT, the VIPs on lb2" c_out
	sync_unblock lb2
	check "(c) unblocked, lb1 fetches the table and takes both VIPs back" await_master lb1 41000 "$n" "$t_up"
	# the master keeps the VIPs while it cannot finish fetching the table
	# of a peer that restarted (its requests dropped at that peer)
	sync_block lb2 "$LAB_LB1_ADDR"
	kill_xlbd lb2
	start_xlbd lb2 >"$KTAP_LOG" 2>&1
	t0=$(now_ms)
	sleep 5
	c_keep() {
		local rc
		xlbn lb1 sync status
		rc=$?
		echo "lb1: keepalived $(ka_state lb1), sync status rc $rc"
		[ "$rc" = 3 ] && [ "$(ka_state lb1)" = MASTER ] &&
			[ -z "$(ka_when lb1 FAULT "$t0")" ] &&
			client curl -sf --max-time 3 -o /dev/null "http://$office/"
	}
	check "(c) while the master lb1 cannot finish fetching the restarted lb2's table (5 s), it keeps the VIPs and serves" c_keep
	sync_unblock lb2
	dl_wait S "$n"
	ok1=$DL_OK
	dl_wait O "$n"
	check "(c) every download of both VIPs completes byte-exact (shop $ok1, office $DL_OK of $n), no reset ($(($(resets) - r0)))" \
		test "$ok1" -eq "$n" -a "$DL_OK" -eq "$n" -a "$(resets)" -eq "$r0"
	ktap_skip_to "$end" "(c) ended early"
	suite_done
}

PLAN_B=7
suite_b() {
	local end=$((KTAP_N + PLAN_B)) vips n=$((NFLOWS / 2)) i list='' got2 got3 run t_kill t_m t_m3 h0 m0 ok r0
	ktap_diag "(b) three nodes by priority, 12 backends, lab fb$TAG: the master dies, then the new master"
	if ! command -v keepalived >/dev/null; then
		ktap_skip_to "$end" "keepalived not installed (scripts/install-deps.sh)"
		return
	fi
	if ! lab_up "fb$TAG" 3 12 >"$KTAP_LOG" 2>&1; then
		ktap_fail "(b) the lab comes up" "$(tail -20 "$KTAP_LOG")"
		ktap_skip_to "$end" "no lab"
		return
	fi
	node_setup lb1 lb2 lb3
	for ((i = 1; i <= 12; i++)); do list="$list${list:+, }{id: $i}"; done
	vips="  - { name: web4, address: $LAB_VIP4, port: 80, protocol: tcp, backends: [ $list ] }"
	write_config lb1 "lb2 lb3" "$vips"
	write_config lb2 "lb1 lb3" "$vips"
	write_config lb3 "lb1 lb2" "$vips"
	ip -n "$LAB_NS_RT" route replace "$LAB_VIP4_NET" dev eth0
	b_serve() {
		start_xlbd lb1 && start_xlbd lb2 && start_xlbd lb3 &&
			wait_synced lb1 10 && wait_synced lb2 10 && wait_synced lb3 10
	}
	check "(b) xlbd serves on lb1, lb2 and lb3, each synced with the two others" b_serve
	for i in lb1 lb2 lb3; do start_ka "$i" "$LAB_VIP4/32"; done
	b_master() { wait_state lb1 MASTER 20 && wait_state lb2 BACKUP 5 && wait_state lb3 BACKUP 5; }
	if ! check "(b) keepalived: lb1 (150) master, lb2 (100) and lb3 (50) backups" b_master; then
		ktap_skip_to "$end" "no master"
		suite_done
		return
	fi
	dl_start T "$n" 51000 "$LAB_VIP4"
	got2=$(wait_entries lb2 51000 "$n" 30)
	got3=$(wait_entries lb3 51000 "$n" 30)
	check "(b) lb2 and lb3 hold all $n downloads' entries ($got2, $got3)" test "$got2" -ge "$n" -a "$got3" -ge "$n"
	# a heavier backend on every node: Maglev moves some flows
	for i in lb1 lb2 lb3; do xlbn "$i" backend weight web4 1 4 >/dev/null; done
	r0=$(resets)
	run=$(dl_running T "$n")
	t_kill=$(now_ms)
	link lb1 down
	wait_state lb2 MASTER 15 "$t_kill" >"$KTAP_LOG" 2>&1
	t_m=$(ka_when lb2 MASTER "$t_kill")
	h0=$(counter lb2 ct_hit)
	wait_hits lb2 "$h0" 15 >/dev/null
	b_take() { [ -n "$t_m" ] && [ "$(ka_state lb3)" = BACKUP ] && [ "$run" -gt 0 ]; }
	check "(b) lb1's link down: lb2 takes the VIP $((${t_m:-0} - t_kill)) ms later, lb3 stays backup ($run running)" \
		b_take
	sleep 1
	h0=$(counter lb3 ct_hit) m0=$(counter lb3 ct_miss)
	run=$(dl_running T "$n")
	t_kill=$(now_ms)
	kill -9 "$(cat "$WORK/ka-lb2/vrrp.pid")" "${KAPID[lb2]}" "${PID[lb2]}"
	kill_xlbd lb2
	kill_ka lb2
	wait_state lb3 MASTER 15 "$t_kill" >"$KTAP_LOG" 2>&1
	t_m3=$(ka_when lb3 MASTER "$t_kill")
	check "(b) xlbd and keepalived of lb2 killed (-9): lb3 takes the VIP $((${t_m3:-0} - t_kill)) ms later ($run running)" \
		test -n "$t_m3"
	dl_wait T "$n"
	ok=$DL_OK
	check "(b) lb3 forwarded by synced entries only ($(($(counter lb3 ct_hit) - h0)) hits, $(($(counter lb3 ct_miss) - m0)) misses)" \
		test $(($(counter lb3 ct_hit) - h0)) -gt 0 -a $(($(counter lb3 ct_miss) - m0)) -eq 0
	check "(b) the last node standing kept every connection: $ok of $n complete byte-exact, no reset ($(($(resets) - r0)))" \
		test "$ok" -eq "$n" -a "$(resets)" -eq "$r0"
	ktap_skip_to "$end" "(b) ended early"
	suite_done
}

# start_bird NODE CONF: BIRD in NODE's namespace with a copy of CONF from
# contrib/bird (logging to its stderr, stamped, instead of syslog)
start_bird() {
	local n=$1 dir=$WORK/bird-$LAB_ID-$1
	mkdir -p "$dir"
	sed 's/^log syslog all;/log stderr all;/' "$ROOT/contrib/bird/$2" >"$dir/bird.conf"
	# nsenter execs bird: $! is bird's pid (a function would be a subshell)
	nsenter --net="/run/netns/$(ns_of "$n")" bird -f -c "$dir/bird.conf" -s "$dir/bird.ctl" -P "$dir/bird.pid" \
		> >(stamp >>"$WORK/$LAB_ID-$n.bird.log") 2>&1 &
	BIRDPID[$LAB_ID-$n]=$!
}
# start_announce NODE: contrib/bird/xlb-bird-announce for NODE's xlbd
start_announce() {
	nsenter --net="/run/netns/$(ns_of "$1")" "$ROOT/contrib/bird/xlb-bird-announce" --xlb "$BUILD/xlb" -s "${SOCK[$1]}" \
		> >(stamp >>"$WORK/$LAB_ID-$1.announce.log") 2>&1 &
	ANNPID[$LAB_ID-$1]=$!
}
# hops: the next hops of the router's route to the VIP ("198.18.0.2 ...")
hops() {
	ip -n "$LAB_NS_RT" route show "$LAB_VIP4/32" |
		awk '{ for (i = 1; i < NF; i++) if ($i == "via") print $(i + 1) }' | sort | xargs
}
# wait_hops "ADDR..." SECONDS: until the router's next hops are these
wait_hops() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ "$(hops)" = "$1" ] && { now_ms; return 0; }
		sleep 0.1
	done
	echo never
	return 1
}

PLAN_D=7
suite_d() {
	local end=$((KTAP_N + PLAN_D)) vips n=$((NFLOWS / 2)) i got run t0 t_gone t_have t_ann r0
	ktap_diag "(d) active/active: three nodes behind a BIRD router (BGP, ECMP), lab fd$TAG; one leaves, one joins"
	if ! command -v bird >/dev/null; then
		ktap_skip_to "$end" "bird not installed (scripts/install-deps.sh)"
		return
	fi
	if ! lab_up "fd$TAG" 4 4 >"$KTAP_LOG" 2>&1; then
		ktap_fail "(d) the lab comes up" "$(tail -20 "$KTAP_LOG")"
		ktap_skip_to "$end" "no lab"
		return
	fi
	node_setup lb1 lb2 lb3 lb4
	vips="  - { name: web4, address: $LAB_VIP4, port: 80, protocol: tcp, backends: [ {id: 1}, {id: 2}, {id: 3}, {id: 4} ] }"
	write_config lb1 "lb2 lb3 lb4" "$vips"
	write_config lb2 "lb1 lb3 lb4" "$vips"
	write_config lb3 "lb1 lb2 lb4" "$vips"
	write_config lb4 "lb1 lb2 lb3" "$vips"
	# the VIPs go where BGP says, not to the lab's static route
	ip -n "$LAB_NS_RT" route del "$LAB_VIP4_NET"
	start_bird rt router.conf
	d_up() {
		local n
		for n in lb1 lb2 lb3; do start_xlbd "$n" && start_bird "$n" bird.conf && start_announce "$n" || return 1; done
		wait_hops "$LAB_LB1_ADDR $LAB_LB2_ADDR $LAB_LB3_ADDR" 30 || { hops; cat "$WORK/$LAB_ID-"*.announce.log; return 1; }
		client curl -sf --max-time 5 -o /dev/null "http://$LAB_VIP4/1k"
	}
	if ! check "(d) lb1, lb2, lb3 announce the VIP once synced; the router spreads it over the three (ECMP)" d_up; then
		ktap_skip_to "$end" "no ECMP"
		suite_done
		return
	fi
	dl_start E "$n" 61000 "$LAB_VIP4"
	d_all() {
		local x
		for x in lb1 lb2 lb3; do
			got=$(wait_entries "$x" 61000 "$n" 30)
			echo "$x: $got"
			[ "$got" -ge "$n" ] || return 1
		done
	}
	check "(d) every node holds all $n downloads' entries (full-mesh sync)" d_all
	ktap_diag "new flows per node: $(for x in lb1 lb2 lb3; do printf '%s %s  ' "$x" "$(xlbn "$x" --json stats | jq '[.vips[]?.new_flows // empty] | add // "?"')"; done)"
	r0=$(resets)
	# lb4 joins under load: xlbd starts with an empty table and fetches it
	# from the three others; the announcer waits for that
	t0=$(now_ms)
	d_join() { start_xlbd lb4 && start_bird lb4 bird.conf && start_announce lb4; }
	d_join
	t_have=never t_ann=never
	for ((i = 0; i < 300; i++)); do
		[ "$t_have" = never ] && [ "$(entries lb4 61000 "$n" | wc -l)" -ge "$n" ] && t_have=$(now_ms)
		[ "$(hops)" = "$LAB_LB1_ADDR $LAB_LB2_ADDR $LAB_LB3_ADDR $LAB_LB4_ADDR" ] && { t_ann=$(now_ms); break; }
		sleep 0.1
	done
	run=$(dl_running E "$n")
	d_joined() { [ "$t_ann" != never ] && [ "$t_have" != never ] && [ "$t_have" -le "$t_ann" ] && [ "$run" -gt 0 ]; }
	check "(d) lb4 joins: it holds all $n entries (+$((${t_have/never/0} - t0)) ms, polled) before the router sends it traffic (+$((${t_ann/never/0} - t0)) ms; $run running)" \
		d_joined
	# lb3 leaves: its link goes down, the router notices by BGP hold time
	run=$(dl_running E "$n")
	t0=$(now_ms)
	link lb3 down
	t_gone=$(wait_hops "$LAB_LB1_ADDR $LAB_LB2_ADDR $LAB_LB4_ADDR" 20)
	check "(d) lb3 leaves (link down): the router drops it $((${t_gone/never/0} - t0)) ms later ($run running)" \
		test "$t_gone" != never -a "$run" -gt 0
	dl_wait E "$n"
	check "(d) lb4 forwarded moved flows by synced entries only ($(counter lb4 ct_hit) hits, $(counter lb4 ct_miss) misses)" \
		test "$(counter lb4 ct_hit)" -gt 0 -a "$(counter lb4 ct_miss)" -eq 0
	check "(d) every download completes byte-exact ($DL_OK of $n), no reset ($(($(resets) - r0)))" \
		test "$DL_OK" -eq "$n" -a "$(resets)" -eq "$r0"
	ktap_diag "announcer on lb4: $(cut -d' ' -f3- "$WORK/$LAB_ID-lb4.announce.log" | paste -sd';')"
	# leaving on purpose: the announcer stopped withdraws at once
	t0=$(now_ms)
	kill -TERM "${ANNPID[$LAB_ID-lb2]}"
	wait "${ANNPID[$LAB_ID-lb2]}"
	unset "ANNPID[$LAB_ID-lb2]"
	t_gone=$(wait_hops "$LAB_LB1_ADDR $LAB_LB4_ADDR" 10)
	check "(d) lb2's announcer stopped (leaving on purpose): the router drops lb2 $((${t_gone/never/0} - t0)) ms later" \
		test "$t_gone" != never
	ktap_skip_to "$end" "(d) ended early"
	suite_done
}

PLAN=0
for s in $SUITES; do
	v=PLAN_${s^^}
	PLAN=$((PLAN + ${!v}))
done
ktap_begin $PLAN
(umask 077 && echo "1 $(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$KEY")
for s in $SUITES; do
	"suite_$s"
done
ktap_finish
