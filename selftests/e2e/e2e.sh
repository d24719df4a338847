#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests: the real xlb (xlbd + XDP on the LB node's NIC) in the
# namespace lab, real nginx backends, real clients (curl, ab). HTTP through
# the VIP over IPv4 and IPv6, tunnel and L2 DSR; live backend changes under
# load; drain keeps open connections; kill -9 of xlbd under load; a bad
# reload changes nothing. Output in KTAP (selftests/e2e/ktap.sh); the last
# line is "N passed, N failed"; the exit status is 1 if any failed.
#
# Usage: selftests/e2e/e2e.sh (root; `make test` runs it). E2E_KEEP=1 leaves the
# lab up on exit for poking at it.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=selftests/e2e/lab_env.sh
. "$ROOT/selftests/e2e/lab_env.sh"
ktap_args "$@"
lab_env e xlb-e2e xlb-e2e 4
# The number of results below: ktap_finish fails the run if it differs.
PLAN=27

# The config the tests start from: backends 1-3 in tunnel mode for both
# families; backend 4 joins live. The next hop is resolved from the
# neighbour table (the router), as in production.
write_config() {
	local mode=${1:-tunnel} i
	{
		echo "pin_dir: $PIN"
		echo "hash_seed: 24301"
		echo "maglev_size: 65537"
		echo "mtu: $LAB_MTU"
		# outer sources vary in their low bits: prefixes no lab host uses
		echo "encap: { source4: 198.19.0.0, source6: '2001:db8:ffff::' }"
		echo "nexthop: { interface: eth0, address: $LAB_RT_INTERNAL_ADDR }"
		echo "backends:"
		for i in 1 2 3 4; do
			local a m a6
			eval "a=\$LAB_BE${i}_ADDR; a6=\$LAB_BE${i}_ADDR6; m=\$LAB_BE${i}_MAC"
			echo "  - { id: $i, address: $a, mac: '$m' }"
			echo "  - { id: 1$i, address: '$a6', mac: '$m' }"
		done
		echo "vips:"
		echo "  - { name: web4, address: $LAB_VIP4, port: 80, protocol: tcp, mode: $mode,"
		echo "      backends: [ {id: 1}, {id: 2}, {id: 3} ] }"
		echo "  - { name: web6, address: '$LAB_VIP6', port: 80, protocol: tcp, mode: $mode,"
		echo "      backends: [ {id: 11}, {id: 12}, {id: 13} ] }"
	} >"$CFG"
}

NEXT_PORT=10000 # backends_seen's first client port here

count_lines() { grep -c . <<<"$1"; }
lacks() { ! grep -q "$1" <<<"$2"; } # lacks PATTERN TEXT

ktap_begin $PLAN
lab_up
write_config tunnel
check "xlbd starts, resolves the next hop and attaches to the LB's NIC" start_xlbd

# --- traffic through the VIP ------------------------------------------------
backends_seen "http://$LAB_VIP4/" 40
check "HTTP over IPv4 through the VIP (IPIP) reaches all 3 backends" \
	test "$(count_lines "$seen")" -eq 3
check "backend 4 is not in the VIP yet" lacks be4 "$seen"
backends_seen "http://[$LAB_VIP6]/" 40; seen6=$seen
check "HTTP over IPv6 through the VIP (IP6IP6) reaches all 3 backends" \
	test "$(count_lines "$seen6")" -eq 3
# Maglev proportions: weights 1:1:2 give be3 half the new connections.
# 400 connections: be3's count is binomial (sd 10); +-50 is 5 sd.
xlb backend weight web4 3 2 >/dev/null
counts=$(for ((i = NEXT_PORT; i < NEXT_PORT + 400; i++)); do
	client curl -s --max-time 3 --local-port "$i" "http://$LAB_VIP4/"
done | awk '{print $2}' | sort | uniq -c)
NEXT_PORT=$((NEXT_PORT + 400))
n3=$(awk '$2 == "be3" {print $1}' <<<"$counts")
n1=$(awk '$2 == "be1" {print $1}' <<<"$counts")
n2=$(awk '$2 == "be2" {print $1}' <<<"$counts")
check "weights 1:1:2 split 400 new connections in Maglev proportions ($n1/$n2/$n3)" \
	test "${n3:-0}" -ge 150 -a "${n3:-0}" -le 250 -a "${n1:-0}" -ge 60 -a "${n2:-0}" -ge 60 \
	-a $((${n1:-0} + ${n2:-0} + ${n3:-0})) -eq 400
xlb backend weight web4 3 1 >/dev/null
fwd=$(xlb --json stats | jq -r .counters.tx_forward)
check "xlb stats counts the forwarded packets ($fwd)" test "$fwd" -gt 80

# --- live changes under load ------------------------------------------------
client ab -q -n 4000 -c 4 "http://$LAB_VIP4/" >"$WORK/ab1.log" 2>&1 &
ab=$!
sleep 0.5
xlb backend add web4 4 && xlb backend weight web4 2 3 && xlb backend drain web4 3 &&
	xlb backend undrain web4 3 && xlb backend weight web4 2 1
rc=$?
wait $ab
check "add, reweight, drain and undrain backends live succeed" test $rc -eq 0
check "... with zero failed requests under load (ab: $(ab_failures "$WORK/ab1.log"))" \
	test "$(ab_failures "$WORK/ab1.log")" -eq 0
backends_seen "http://$LAB_VIP4/" 40
check "the added backend 4 takes new connections" grep -q "be4" <<<"$seen"

# --- drain keeps open connections, sends no new ones --------------------------
# A slow download holds one connection open; find its backend in conntrack.
client curl -s --max-time 20 -o "$WORK/slow.out" \
	--local-port 45678 "http://$LAB_VIP4/slow100k" &
slow=$!
sleep 1
be=$(xlb --json conntrack list --vip web4 --limit 100000 |
	jq -r '.entries[] | select(.client_port == 45678) | .backend')
if [ -z "$be" ]; then
	ktap_fail "the slow download's flow is in conntrack"
	be=1
else
	ktap_pass "the slow download's flow is in conntrack (backend $be)"
fi
xlb backend drain web4 "$be" >/dev/null
# Active until the client's FIN, inactive (like ipvsadm's InActConn) after
# it: on a loaded machine curl may already be closing by now.
live=$(xlb --json backend list web4 | jq -r --argjson be "$be" \
	'.backends[] | select(.id == $be) | "\(.active_conns) \(.inactive_conns)"')
check "backend list counts the drained backend's flow (active inactive: $live)" \
	test "$(awk '{print $1 + $2}' <<<"${live:-0 0}")" -ge 1
backends_seen "http://$LAB_VIP4/" 30
if grep -q "be$be " <<<"$seen"; then
	ktap_fail "a drained backend gets no new connections" "seen: $seen"
else
	ktap_pass "a drained backend gets no new connections"
fi
wait $slow
rc=$?
check "the drained backend's open connection completes (curl rc $rc, $(stat -c %s "$WORK/slow.out" 2>/dev/null) bytes)" \
	test $rc -eq 0 -a "$(stat -c %s "$WORK/slow.out" 2>/dev/null)" = 102400
xlb backend undrain web4 "$be" >/dev/null

# --- a bad reload changes nothing -------------------------------------------
cp "$CFG" "$WORK/good.yaml"
sed -i '0,/protocol: tcp/s//protocl: tcp/' "$CFG"
out=$(xlb reload 2>&1)
ktap_diag "xlb reload said: $out"
check "a config with a typo is refused, naming file, line and field" \
	grep -q "xlb.yaml:[0-9]*: vips\[0\]\.protocl" <<<"$out"
cp "$WORK/good.yaml" "$CFG"
backends_seen "http://$LAB_VIP4/" 20
check "... and the running config keeps serving" test "$(count_lines "$seen")" -ge 3

# --- kill -9 under load, restart adopts ------------------------------------------
client ab -q -n 4000 -c 4 "http://$LAB_VIP4/" >"$WORK/ab2.log" 2>&1 &
ab=$!
sleep 0.5
kill -9 "$XLBD_PID"
wait "$XLBD_PID" 2>/dev/null
check "xlbd is gone after kill -9" bash -c "! kill -0 $XLBD_PID 2>/dev/null"
XLBD_PID=
wait $ab
check "kill -9 of xlbd under load: zero failed requests (ab: $(ab_failures "$WORK/ab2.log"))" \
	test "$(ab_failures "$WORK/ab2.log")" -eq 0
before=$(in_ns "$LAB_NS_LB1" bpftool map dump pinned "$PIN/xlb_conntrack" -j | jq length)
check "xlbd restarts after kill -9" start_xlbd
after=$(xlb --json conntrack count | jq -r .count)
check "the restarted xlbd adopts the conntrack table ($before entries before, $after after)" \
	test "$before" -gt 0 -a "$before" = "$after"

# --- L2 DSR -------------------------------------------------------------------
write_config l2dsr
check "reload switches both VIPs to L2 DSR" xlb reload
backends_seen "http://$LAB_VIP4/" 40
check "HTTP over IPv4 through the VIP (L2 DSR) reaches all 3 backends" \
	test "$(count_lines "$seen")" -eq 3
backends_seen "http://[$LAB_VIP6]/" 40; seen6=$seen
check "HTTP over IPv6 through the VIP (L2 DSR) reaches all 3 backends" \
	test "$(count_lines "$seen6")" -eq 3

# --- detach on request, lab down clean ---------------------------------------
check "xlbd is still running after the reloads" kill -0 "$XLBD_PID"
kill -TERM "$XLBD_PID"
wait "$XLBD_PID" 2>/dev/null
XLBD_PID=
check "SIGTERM leaves the datapath attached" \
	bash -c "nsenter --net=/run/netns/$LAB_NS_LB1 $BUILD/xlb status | grep -q 'eth0 *native'"
check "xlb detach takes it off the NIC" xlb detach eth0
"$LAB" down >/dev/null 2>&1
check "the lab goes down leaving no namespace" \
	bash -c "! ip netns list | grep -q 'xlb-$LAB_ID-'"

ktap_finish
