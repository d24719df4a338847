#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end checks through the tunnel: xlbd in the namespace lab with HTTP
# checks that go to the VIP on each backend, encapsulated like client
# traffic by the probe program (bpf/xlb_probe.bpf.c, TC egress on the LB),
# beside a plain check of the same backends. Removing the VIPs from a
# backend's lo leaves its plain check up but takes it down in the tunnel
# checked VIPs (IPv4 and IPv6) within fall x interval + timeout (measured
# and asserted); while it is down ab through the VIP has zero failed
# requests; restoring the VIPs brings it back after rise successes. The
# probe program is attached only with such checks, counts every probe,
# stays across kill -9 (the next xlbd adopts it) and leaves with xlbd.
# Output in KTAP (selftests/e2e/ktap.sh); the last line is "N passed, N
# failed"; the exit status is 1 if any failed.
#
# Usage: selftests/e2e/health-tunnel.sh (root; `make test-e2e` runs it).
# E2E_KEEP=1 leaves the lab up on exit.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=selftests/e2e/lab_env.sh
. "$ROOT/selftests/e2e/lab_env.sh"
ktap_args "$@"
lab_env t xlb-health-tunnel xlb-htun
METRICS=127.0.0.1:9464
PLAN=19
INTERVAL=1.0
TIMEOUT=0.5
FALL=2
RISE=2

lb() { in_ns "$LAB_NS_LB1" "$@"; }

# web4 (HTTP) and web6 (TCP) check through the tunnel; plain checks the
# same backends' own addresses (its VIP address is on no backend: it takes no traffic here).
write_config() {
	local i a a6 check
	check="kind: http, path: /, status: 200, body: backend, interval: 1s,
             timeout: 500ms, rise: $RISE, fall: $FALL"
	{
		echo "pin_dir: $PIN"
		echo "hash_seed: 24301"
		echo "mtu: $LAB_MTU"
		echo "metrics: { listen: '$METRICS' }"
		echo "encap: { source4: 198.19.0.0, source6: 'fd00:19::' }"
		echo "nexthop: { interface: eth0, address: $LAB_RT_INTERNAL_ADDR }"
		echo "backends:"
		for i in 1 2 3; do
			eval "a=\$LAB_BE${i}_ADDR; a6=\$LAB_BE${i}_ADDR6"
			echo "  - { id: $i, address: $a }"
			echo "  - { id: $((i + 10)), address: '$a6' }"
		done
		echo "vips:"
		echo "  - { name: web4, address: $LAB_VIP4, port: 80, protocol: tcp,"
		echo "      check: { tunnel: true, $check },"
		echo "      backends: [ {id: 1}, {id: 2}, {id: 3} ] }"
		echo "  - { name: web6, address: '$LAB_VIP6', port: 80, protocol: tcp,"
		echo "      check: { tunnel: true, kind: tcp, interval: 1s, timeout: 500ms,"
		echo "               rise: $RISE, fall: $FALL },"
		echo "      backends: [ {id: 11}, {id: 12}, {id: 13} ] }"
		echo "  - { name: plain, address: 192.0.2.99, port: 80, protocol: tcp,"
		echo "      check: { $check },"
		echo "      backends: [ {id: 1}, {id: 2}, {id: 3} ] }"
	} >"$CFG"
}

# check_of VIP ID: the check's state, "up" or "down".
check_of() {
	xlb --json backend list "$1" 2>/dev/null |
		jq -r ".backends[] | select(.id == $2) | .vips[] | select(.vip == \"$1\") | .check.state"
}

lacks() { ! grep -q "$1" <<<"$2"; }
has() { grep -q "$1" <<<"$2"; }

# wait_check VIP ID STATE MAX_S [T0]: sets $took once the check says STATE.
wait_check() {
	local vip=$1 id=$2 want=$3 max=$4 t0=${5:-$(now)}
	while :; do
		took=$(calc "$(now) - $t0")
		[ "$(check_of "$vip" "$id")" = "$want" ] && return 0
		if ! le "$took" "$max"; then
			echo "$vip backend $id not $want after ${took}s"
			xlb backend list "$vip"
			return 1
		fi
		sleep 0.05
	done
}

# probes OUTCOME: packets the probe program counted under OUTCOME.
probes() {
	lb curl -s --max-time 2 "http://$METRICS/metrics" |
		awk -v o="outcome=\"$1\"" '$1 ~ /^xlb_probe_packets_total/ && index($1, o) { print $2; f = 1 }
			END { if (!f) print 0 }'
}

# tc_has: xlb_probe is on lb1's eth0 egress.
tc_has() { lb tc filter show dev eth0 egress 2>/dev/null | grep -q xlb_probe; }

ktap_begin $PLAN
lab_up
write_config

if ! check "xlbd starts with checks through the tunnel on web4 and web6" start_xlbd; then
	ktap_skip_to $PLAN "xlbd did not start"
	ktap_finish
	exit 1
fi

BOUND_UP=$(calc "$RISE * $INTERVAL + $INTERVAL + $TIMEOUT + 0.5")
all_up() {
	local t0 v i
	t0=$(now)
	for v in web4:1 web4:2 web4:3 web6:11 web6:12 web6:13 plain:1 plain:2 plain:3; do
		wait_check "${v%:*}" "${v#*:}" up "$BOUND_UP" "$t0" || return 1
	done
}
check "every check comes up (HTTP through IPIP, TCP through IP6IP6, plain HTTP)" all_up
check "the probe program is on lb1's eth0 egress" tc_has
counted() {
	local t4 t6
	t4=$(probes tx_ipip)
	t6=$(probes tx_ip6ip6)
	echo "tx_ipip $t4 tx_ip6ip6 $t6 drop_no_target $(probes drop_no_target)"
	[ "$t4" -gt 0 ] && [ "$t6" -gt 0 ]
}
check "probes are counted as sent in IPIP and IP6IP6 (/metrics)" counted
list_says_tunnel() {
	xlb backend list web4 | tee "$WORK/list.txt"
	grep -q "check web4: http through the tunnel to $LAB_VIP4:80 up" "$WORK/list.txt"
}
check "xlb backend list names the check through the tunnel" list_says_tunnel

# --- be2 loses its VIPs: tunnel checks go down, the plain one stays up ------
BOUND_DOWN=$(calc "$FALL * $INTERVAL + $TIMEOUT")
PLAIN_FAILS=$(xlb --json backend list plain | jq -r '.backends[] | select(.id == 2) | .vips[] | select(.vip == "plain") | .check.failures')
T0=$(now)
lose_vips() {
	ip -n "$LAB_NS_BE2" addr del "$LAB_VIP4/32" dev lo &&
		ip -n "$LAB_NS_BE2" -6 addr del "$LAB_VIP6/128" dev lo
}
check "be2's VIPs leave its lo" lose_vips
if wait_check web4 2 down 10 "$T0" >"$KTAP_LOG" 2>&1; then
	ktap_diag "be2 down in web4 ${took}s after its VIP left lo (bound ${BOUND_DOWN}s)"
	if le "$took" "$(calc "$BOUND_DOWN + 0.3")"; then
		ktap_pass "be2 is out of web4 within fall x interval + timeout: ${took}s <= ${BOUND_DOWN}s"
	else
		ktap_fail "be2 is out of web4 within fall x interval + timeout: ${took}s > ${BOUND_DOWN}s"
	fi
else
	ktap_fail "be2 is out of web4 within fall x interval + timeout" "$(cat "$KTAP_LOG")"
fi
check "be2 (12) is out of web6 too" wait_check web6 12 down "$BOUND_DOWN" "$T0"
plain_still_up() {
	local f
	f=$(xlb --json backend list plain | jq -r '.backends[] | select(.id == 2) | .vips[] | select(.vip == "plain") | .check.failures')
	echo "plain check of be2: $(check_of plain 2), failures $PLAIN_FAILS -> $f"
	[ "$(check_of plain 2)" = up ] && [[ $f =~ ^[0-9]+$ ]] && [ "$f" = "$PLAIN_FAILS" ]
}
check "be2's plain check still passes, not one failure" plain_still_up

client ab -q -n 3000 -c 8 "http://$LAB_VIP4/" >"$WORK/ab-down.log" 2>&1
expect_eq "while be2 is down: ab through the VIP, 3000 requests, zero failed" 0 \
	"$(ab_failures "$WORK/ab-down.log")"
backends_seen "http://$LAB_VIP4/" 30
check "no new connection reaches be2 while it is down" lacks "be2 " "$seen"

# --- the VIPs come back: up after rise successes ----------------------------
BOUND_RISE=$(calc "$RISE * $INTERVAL + $TIMEOUT")
restore_vips() {
	ip -n "$LAB_NS_BE2" addr add "$LAB_VIP4/32" dev lo &&
		ip -n "$LAB_NS_BE2" -6 addr add "$LAB_VIP6/128" dev lo nodad
}
check "be2's VIPs are back on its lo" restore_vips
T0=$(now)
if wait_check web4 2 up 10 "$T0" >"$KTAP_LOG" 2>&1 &&
	wait_check web6 12 up 10 "$T0" >>"$KTAP_LOG" 2>&1; then
	ktap_diag "be2 back ${took}s after its VIPs returned (bound ${BOUND_RISE}s)"
	if le "$took" "$(calc "$BOUND_RISE + 0.3")"; then
		ktap_pass "be2 is back in web4 and web6 within rise x interval + timeout: ${took}s"
	else
		ktap_fail "be2 is back within rise x interval + timeout: ${took}s > ${BOUND_RISE}s"
	fi
else
	ktap_fail "be2 is back after rise successes" "$(cat "$KTAP_LOG")"
fi
backends_seen "http://$LAB_VIP4/" 30
check "be2 takes new connections again" has "be2 " "$seen"

# --- a route that sends probes elsewhere: named; the README's fix works -----
misrouted() {
	lb ip route add "$LAB_VIP4/32" dev lo || return 1
	wait_check web4 1 down 10 || return 1
	xlb --json backend list web4 | jq -r '.backends[] | select(.id == 1) | .vips[0].check.last.reason' |
		tee /dev/stderr | grep -q "the route to $LAB_VIP4 leaves by lo, not by eth0"
}
check "a route to the VIP out of lo takes web4's checks down, the reason names it" misrouted
fwmark_fix() {
	lb ip rule add fwmark 0x584c0000/0xffff0000 lookup 100 pref 100 &&
		lb ip route add default via "$LAB_RT_INTERNAL_ADDR" dev eth0 table 100 &&
		wait_check web4 1 up 10 && wait_check web4 2 up 10 && wait_check web4 3 up 10
}
check "the README's fwmark rule sends the probes out of eth0 again: web4 up" fwmark_fix
lb ip rule del pref 100 2>/dev/null
lb ip route del "$LAB_VIP4/32" dev lo 2>/dev/null
lb ip route flush table 100 2>/dev/null

# --- restarts: kill -9 leaves the program, the next xlbd adopts it ----------
kill -9 "$XLBD_PID"
wait "$XLBD_PID" 2>/dev/null
XLBD_PID=
adopted() {
	tc_has || { echo "the probe program left with kill -9"; return 1; }
	# shellcheck disable=SC2119 # the log: its default, $WORK/xlbd.log
	start_xlbd || return 1
	# the pinned states: no flap, and the probes keep going through
	wait_check web4 2 up 0.1 && sleep 2.5 && [ "$(check_of web4 2)" = up ] &&
		[ "$(check_of web6 12)" = up ] && tc_has &&
		grep -q "probe program attached to eth0" "$WORK/xlbd.log"
}
check "after kill -9 the program stays; the next xlbd adopts it, checks stay up" adopted
kill -TERM "$XLBD_PID"
wait "$XLBD_PID" 2>/dev/null
XLBD_PID=
gone() { ! tc_has; }
check "xlbd exiting detaches the probe program" gone

ktap_finish
