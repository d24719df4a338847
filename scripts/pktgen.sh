#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Traffic generator front end: one command line, two engines.
#
#   kernel  kernel pktgen through /proc/net/pktgen (hosts built with
#           CONFIG_NET_PKTGEN). UDP only.
#   xdp     build/xlb-pktgen: XDP live frames (BPF_PROG_TEST_RUN), any
#           kernel >= 5.18. UDP and TCP.
#
# --engine auto (the default) takes kernel pktgen when /proc/net/pktgen
# exists and it can do what was asked, else xlb-pktgen. The machines this
# repository is developed on have no kernel pktgen, so the kernel path has
# only been checked with --dry-run (it prints every write it would make); it
# follows Documentation/networking/pktgen.rst and net/core/pktgen.c.
#
# usage: pktgen.sh --dev IF --dst-mac MAC --src IP --dst IP --dport PORT
#                  [--proto udp|tcp-syn|tcp-ack] [--size FRAME_BYTES (64..1500)]
#                  [--flows N] [--count N | --duration SECONDS] [--rate PPS]
#                  [--src-mac MAC] [--vlan ID] [--sport FIRST_PORT] [--cpu N]
#                  [--json] [--engine auto|kernel|xdp] [--dry-run]
#                  [xlb-pktgen only: --src-addrs N --batch N -v]
#        pktgen.sh sink ...     (xlb-pktgen sink; kernel pktgen has none)
#
# Options mean the same on both engines: --size counts the 4-byte FCS (kernel
# pktgen's pkt_size does not, so it gets SIZE-4); flows are consecutive
# source ports from --sport (default 1024); --rate is packets per second
# (pktgen's ratep); --cpu picks the pktgen thread kpktgend_N or pins
# xlb-pktgen. Output (text or --json) has the same fields.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
XLB_PKTGEN="${XLB_PKTGEN:-$ROOT/build/xlb-pktgen}"
PGDIR="${PKTGEN_DIR:-/proc/net/pktgen}"
SPORT_DEFAULT=1024

die() {
	echo "pktgen.sh: $*" >&2
	exit 1
}

usage() {
	sed -n '/^# usage:/,/^#        pktgen.sh sink/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
	exit 0
}

if [ "${1:-}" = sink ]; then
	exec "$XLB_PKTGEN" "$@"
fi

engine=auto dry_run=0
dev='' dst_mac='' src_mac='' src='' dst='' dport='' proto=udp size=64
flows=1 count='' duration='' rate=0 vlan='' sport=$SPORT_DEFAULT cpu=''
json=0 xdp_only=()
fwd=() # the arguments for xlb-pktgen, minus this script's own

need() { [ $# -ge 2 ] || die "$1: needs a value"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--engine) need "$@"; engine="$2"; shift 2; continue ;;
	--dry-run) dry_run=1; shift; continue ;;
	-h | --help) usage ;;
	esac
	fwd+=("$1")
	case "$1" in
	--dev) need "$@"; dev="$2" ;;
	--dst-mac) need "$@"; dst_mac="$2" ;;
	--src-mac) need "$@"; src_mac="$2" ;;
	--src) need "$@"; src="$2" ;;
	--dst) need "$@"; dst="$2" ;;
	--dport) need "$@"; dport="$2" ;;
	--proto) need "$@"; proto="$2" ;;
	--size) need "$@"; size="$2" ;;
	--flows) need "$@"; flows="$2" ;;
	--count) need "$@"; count="$2" ;;
	--duration) need "$@"; duration="$2" ;;
	--rate) need "$@"; rate="$2" ;;
	--vlan) need "$@"; vlan="$2" ;;
	--sport) need "$@"; sport="$2" ;;
	--cpu) need "$@"; cpu="$2" ;;
	--src-addrs | --batch) need "$@"; xdp_only+=("$1") ;;
	--json) json=1; shift; continue ;;
	-v | --verbose) shift; continue ;;
	*) die "$1: unknown option (--help lists them)" ;;
	esac
	fwd+=("$2")
	shift 2
done

# Whatever engine runs, the same checks first, so errors do not depend on it.
[ -n "$dev" ] || die "--dev: required"
[ -n "$dst_mac" ] || die "--dst-mac: required"
[[ -n $src && -n $dst ]] || die "--src and --dst: required"
[ -n "$dport" ] || die "--dport: required"
[ -z "$count" ] || [ -z "$duration" ] || die "--count: give --count or --duration, not both"
case "$proto" in udp | tcp-syn | tcp-ack) ;; *) die "--proto $proto: not one of udp, tcp-syn, tcp-ack" ;; esac
is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }
for v in size flows rate sport dport ${count:+count} ${vlan:+vlan} ${cpu:+cpu}; do
	is_uint "${!v}" || die "--$v ${!v}: not a number"
done
[[ $size -ge 64 && $size -le 1500 ]] || die "--size $size: not a frame size in 64..1500"

# Why kernel pktgen cannot take this run, or nothing.
kernel_unfit() {
	[ "$proto" = udp ] || { echo "kernel pktgen sends UDP only"; return; }
	[ ${#xdp_only[@]} -eq 0 ] || { echo "${xdp_only[*]}: xlb-pktgen options"; return; }
	# it steps port and address independently per packet, so flows past
	# the port range would not be what xlb-pktgen makes
	[ $((sport + flows - 1)) -le 65535 ] || { echo "--flows $flows: more than the source ports from $sport"; return; }
	[ "$flows" -ge 1 ] || { echo "--flows $flows: at least 1"; return; }
	# pktgen's minimum: Ethernet + IP + UDP + its own 16-byte header
	case "$dst" in *:*) min=$((14 + 40 + 8 + 16 + 4)) ;; *) min=$((14 + 20 + 8 + 16 + 4)) ;; esac
	[ -z "$vlan" ] || min=$((min + 4))
	[ "$size" -ge "$min" ] || { echo "--size $size: kernel pktgen needs at least $min"; return; }
}

case "$engine" in
auto)
	why=''
	if [ -d "$PGDIR" ]; then
		why="$(kernel_unfit)"
		[ -z "$why" ] && engine=kernel || echo "pktgen.sh: $why: using xlb-pktgen" >&2
	fi
	[ "$engine" = kernel ] || engine=xdp
	;;
kernel)
	why="$(kernel_unfit)"
	[ -z "$why" ] || die "--engine kernel: $why"
	[ "$dry_run" = 1 ] || [ -d "$PGDIR" ] || die "--engine kernel: $PGDIR: missing (kernel without CONFIG_NET_PKTGEN? try: modprobe pktgen)"
	;;
xdp) ;;
*) die "--engine $engine: not one of auto, kernel, xdp" ;;
esac

if [ "$engine" = xdp ]; then
	if [ "$dry_run" = 1 ]; then
		printf '%q ' "$XLB_PKTGEN" "${fwd[@]}"
		echo
		exit 0
	fi
	[ -x "$XLB_PKTGEN" ] || die "$XLB_PKTGEN: missing (run make)"
	exec "$XLB_PKTGEN" "${fwd[@]}"
fi

# ---- kernel pktgen ----
thread="kpktgend_${cpu:-0}"
case "$dst" in *:*) family=6 ;; *) family=4 ;; esac

# Writes one command; pktgen answers in the file's "Result:" line.
pgset() {
	local file="$PGDIR/$1"
	shift
	if [ "$dry_run" = 1 ]; then
		echo "$file: $*"
		return
	fi
	echo "$*" >"$file" || die "$file: cannot write \"$*\""
	# pgctrl has no Result line
	if [ "${file##*/}" != pgctrl ] && ! grep -q "Result: OK" "$file"; then
		die "$file: \"$*\": $(grep "Result:" "$file" || echo 'no result')"
	fi
}

# Stops whatever pktgen runs on this host: it is shared, one user at a time.
pgset pgctrl reset
pgset "$thread" rem_device_all
pgset "$thread" "add_device $dev"
# count 0 runs until stopped: how --duration (and no limit) is done
pgset "$dev" "count ${count:-0}"
# a fresh skb per packet: flows need their headers rewritten per packet,
# and veth and many drivers refuse shared skbs (clone_skb > 0)
pgset "$dev" "clone_skb 0"
pgset "$dev" "pkt_size $((size - 4))"
pgset "$dev" "dst_mac $dst_mac"
[ -z "$src_mac" ] || pgset "$dev" "src_mac $src_mac"
if [ "$family" = 4 ]; then
	pgset "$dev" "src_min $src"
	pgset "$dev" "src_max $src"
	pgset "$dev" "dst $dst"
else
	pgset "$dev" "src6 $src"
	pgset "$dev" "dst6 $dst"
fi
pgset "$dev" "udp_dst_min $dport"
pgset "$dev" "udp_dst_max $dport"
pgset "$dev" "udp_src_min $sport"
# In sequential mode pktgen wraps the port when it reaches udp_src_max
# (mod_cur_headers(): cur >= max), so max is one past the last port.
if [ "$flows" -gt 1 ]; then
	pgset "$dev" "udp_src_max $((sport + flows))"
else
	pgset "$dev" "udp_src_max $sport"
fi
# without it the UDP checksum is 0: none for IPv4, invalid for IPv6
pgset "$dev" "flag UDPCSUM"
[ -z "$vlan" ] || pgset "$dev" "vlan_id $vlan"
[ "$rate" = 0 ] || pgset "$dev" "ratep $rate"

if [ "$dry_run" = 1 ]; then
	echo "$PGDIR/pgctrl: start${duration:+ (stop after $duration s)}"
	exit 0
fi

stop() { echo stop >"$PGDIR/pgctrl" 2>/dev/null || true; }
trap stop INT TERM
# "start" blocks until the run ends
if [ -n "$duration" ] || [ -z "$count" ]; then
	echo start >"$PGDIR/pgctrl" &
	pid=$!
	if [ -n "$duration" ]; then
		sleep "$duration"
		stop
	fi
	wait "$pid" || true
else
	echo start >"$PGDIR/pgctrl" || true
fi
trap - INT TERM

# "Result: OK: 1000123(c999000+d1123) usec, 5000000 (60byte,0frags)"
# "  4999384pps 2399Mb/sec (2399704320bps) errors: 0"
res="$(cat "$PGDIR/$dev")"
usec="$(sed -n 's/.*Result: OK: \([0-9]*\)(.*/\1/p' <<<"$res")"
packets="$(sed -n 's/.*pkts-sofar: \([0-9]*\).*/\1/p' <<<"$res")"
errors="$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' <<<"$res" | tail -1)"
[[ -n $usec && -n $packets ]] || die "$PGDIR/$dev: no result: $(grep Result: <<<"$res")"
# a run that sent nothing failed, as xlb-pktgen's does
[ "$packets" -gt 0 ] || die "$dev: kernel pktgen sent nothing: $(grep Result: <<<"$res")"

awk -v json="$json" -v dev="$dev" -v proto="$proto" -v fam="$family" \
	-v size="$size" -v flows="$flows" -v rate="$rate" -v pk="$packets" \
	-v usec="$usec" -v errors="${errors:-0}" 'BEGIN {
	s = usec / 1e6; pps = s > 0 ? pk / s : 0
	gbps = s > 0 ? pk * size * 8 / s / 1e9 : 0
	if (json)
		printf "{\"mode\":\"send\",\"engine\":\"kernel-pktgen\",\"dev\":\"%s\",\"proto\":\"%s\",\"family\":%d,\"frame_bytes\":%d,\"flows\":%d,\"src_addrs\":1,\"rate_pps\":%d,\"packets\":%d,\"bytes\":%d,\"seconds\":%.6f,\"pps\":%.0f,\"mpps\":%.4f,\"gbps\":%.4f,\"tx_dropped\":%d,\"dev_xmit\":null}\n", dev, proto, fam, size, flows, rate, pk, pk * size, s, pps, pps / 1e6, gbps, errors
	else
		printf "sent %d packets on %s in %.3f s: %.3f Mpps, %.3f Gbit/s (%s, IPv%d, %d-byte frames, %d flows; kernel pktgen, %d errors)\n", pk, dev, s, pps / 1e6, gbps, proto, fam, size, flows, errors
}'
