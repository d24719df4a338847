#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end health checks: xlbd with HTTP checks in the namespace lab, real
# nginx backends, real clients. Stopping one backend's nginx takes it out of
# the table within fall x interval + timeout (measured and asserted); while
# it is down ab through the VIP has zero failed requests; starting it again
# brings it back after rise successes and it takes new connections. The
# check has slowstart: 4s: no ramp for the first ups after xlbd started;
# be2 back holds a small share of the table at first (counted in xlb maglev
# show), its full share about 4 s later, and ab through the VIP meanwhile
# has zero failed requests. Output
# in KTAP (selftests/e2e/ktap.sh); the last line is "N passed, N failed";
# the exit status is 1 if any failed.
#
# Usage: selftests/e2e/health.sh (root; `make test-e2e` runs it). E2E_KEEP=1
# leaves the lab up on exit.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=selftests/e2e/lab_env.sh
. "$ROOT/selftests/e2e/lab_env.sh"
ktap_args "$@"
lab_env h xlb-health xlb-health
PLAN=16
# The check: interval 1 s, timeout 500 ms, fall 2, rise 2, slowstart 4 s.
INTERVAL=1.0
TIMEOUT=0.5
FALL=2
RISE=2
SLOWSTART=4

write_config() {
	{
		config_head
		echo "vips:"
		echo "  - name: web4"
		echo "    address: $LAB_VIP4"
		echo "    port: 80"
		echo "    protocol: tcp"
		echo "    check: { kind: http, path: /, status: 200, body: backend,"
		echo "             interval: 1s, timeout: 500ms, rise: $RISE, fall: $FALL,"
		echo "             slowstart: ${SLOWSTART}s }"
		echo "    backends: [ {id: 1}, {id: 2}, {id: 3} ]"
	} >"$CFG"
}

# health_of VIP ID: "up" or "down" as the table uses it (while every check
# of a VIP is down the VIP fails open and its table says up for all).
health_of() {
	xlb --json backend list web4 2>/dev/null |
		jq -r ".backends[] | select(.id == $2) | .vips[] | select(.vip == \"$1\") | .health"
}

# check_of VIP ID: the check's own state, "up" or "down".
check_of() {
	xlb --json backend list web4 2>/dev/null |
		jq -r ".backends[] | select(.id == $2) | .vips[] | select(.vip == \"$1\") | .check.state"
}

# slots_of ID: backend ID's slots in web4's installed table
slots_of() { xlb --json maglev show web4 | jq -r ".backends[] | select(.id == $1) | .slots"; }
# ramp_of ID: its slow start's percent in web4, or "none"
ramp_of() {
	xlb --json backend list web4 2>/dev/null |
		jq -r ".backends[] | select(.id == $1) | .vips[] | select(.vip == \"web4\") | .slowstart_pct // \"none\""
}

lacks() { ! grep -q "$1" <<<"$2"; } # lacks PATTERN TEXT
has() { grep -q "$1" <<<"$2"; } # has PATTERN TEXT

# wait_health ID STATE MAX_S [T0] [FN]: sets $took (seconds since T0, default
# now) once FN (default health_of) says STATE, or fails after MAX_S.
wait_health() {
	local id=$1 want=$2 max=$3 t0=${4:-$(now)} fn=${5:-health_of}
	while :; do
		took=$(calc "$(now) - $t0")
		[ "$($fn web4 "$id")" = "$want" ] && return 0
		if ! le "$took" "$max"; then
			echo "backend $id not $want after ${took}s"
			xlb backend list web4
			return 1
		fi
		sleep 0.05
	done
}

ktap_begin $PLAN
lab_up
write_config

if ! check "xlbd starts with HTTP checks on web4" start_xlbd; then
	ktap_skip_to $PLAN "xlbd did not start"
	ktap_finish
	exit 1
fi

# down until proven up: rise successes, the first within one interval
# (the bound counts from xlbd's start: the first probe within one interval)
BOUND_UP=$(calc "$RISE * $INTERVAL + $INTERVAL + $TIMEOUT + 0.5")
all_up() {
	local t0
	t0=$(now)
	wait_health 1 up "$BOUND_UP" "$t0" check_of &&
		wait_health 2 up "$BOUND_UP" "$t0" check_of &&
		wait_health 3 up "$BOUND_UP" "$t0" check_of
}
check "all three backends come up within rise x interval + interval + timeout (+0.5 s start)" all_up
no_ramp_at_start() {
	local i r
	for i in 1 2 3; do
		r=$(ramp_of $i)
		echo "be$i: slowstart $r"
		[ "$r" = none ] || return 1
	done
}
check "no slow start for the first ups after xlbd started" no_ramp_at_start

backends_seen "http://$LAB_VIP4/" 30
expect_eq "new connections reach all three backends" 3 "$(grep -c . <<<"$seen")"

list_shows_checks() {
	xlb backend list web4 | tee "$WORK/list.txt"
	grep -q 'check web4: http .* up since .*last: status 200' "$WORK/list.txt"
}
check "xlb backend list shows each check's state and last result" list_shows_checks

# --- stop be2's nginx: out within fall x interval + timeout ----------------
BOUND_DOWN=$(calc "$FALL * $INTERVAL + $TIMEOUT")
T0=$(now) # the bound runs from the moment nginx is told to stop
check "be2's nginx stops" nginx_stop 2
if wait_health 2 down 10 "$T0" >"$KTAP_LOG" 2>&1; then
	ktap_diag "be2 marked down ${took}s after its nginx stopped (bound ${BOUND_DOWN}s)"
	# the poll adds up to 0.05 s and a jq round trip
	if le "$took" "$(calc "$BOUND_DOWN + 0.3")"; then
		ktap_pass "be2 is out within fall x interval + timeout: ${took}s <= ${BOUND_DOWN}s"
	else
		ktap_fail "be2 is out within fall x interval + timeout: ${took}s > ${BOUND_DOWN}s"
	fi
else
	ktap_fail "be2 is out within fall x interval + timeout" "$(cat "$KTAP_LOG")"
fi

client ab -q -n 3000 -c 8 "http://$LAB_VIP4/" >"$WORK/ab-down.log" 2>&1
expect_eq "while be2 is down: ab through the VIP, 3000 requests, zero failed" 0 \
	"$(ab_failures "$WORK/ab-down.log")"
backends_seen "http://$LAB_VIP4/" 30
check "no new connection reaches be2 while it is down" lacks "be2 " "$seen"

# --- start it again: back after rise successes ------------------------------
BOUND_RISE=$(calc "$RISE * $INTERVAL + $TIMEOUT")
check "be2's nginx starts again" nginx_start 2
T0=$(now)
if wait_health 2 up 10 "$T0" >"$KTAP_LOG" 2>&1; then
	ktap_diag "be2 back ${took}s after its nginx started (bound ${BOUND_RISE}s)"
	if le "$took" "$(calc "$BOUND_RISE + 0.3")"; then
		ktap_pass "be2 is back within rise x interval + timeout: ${took}s"
	else
		ktap_fail "be2 is back within rise x interval + timeout: ${took}s > ${BOUND_RISE}s"
	fi
else
	ktap_fail "be2 is back after rise successes" "$(cat "$KTAP_LOG")"
fi
# --- slow start: a small share first, its full share after ~4 s ------------
# 65537 slots, weights 1: a third is 21845; the first step (12% of be2's
# weight) is 12 / 212 of the table, about 3700 slots
T_UP=$(now)
FIRST=$(slots_of 2)
RAMP=$(ramp_of 2)
FULL3=$(slots_of 3)
xlb backend list web4 >"$WORK/list-ramp.txt" 2>&1
ktap_diag "be2 back: slowstart $RAMP, $FIRST slots (be3: $FULL3)"
small_share() {
	grep -E '^ +2 .*web4:1\(slowstart [0-9]+%\)' "$WORK/list-ramp.txt" || {
		cat "$WORK/list-ramp.txt"
		return 1
	}
	[ "$RAMP" != none ] && [ "$FIRST" -gt 0 ] && [ "$FIRST" -lt 8000 ]
}
check "be2 back with slowstart: ${SLOWSTART}s holds a small share first ($FIRST of 65537 slots, slowstart $RAMP%), xlb backend list says so" small_share
# ab through the whole ramp: every step's table swap under load
client ab -q -t $((SLOWSTART + 1)) -n 1000000 -c 8 "http://$LAB_VIP4/" \
	>"$WORK/ab-ramp.log" 2>&1 &
AB_PID=$!
ramp_over() {
	while [ "$(ramp_of 2)" != none ]; do
		le "$(calc "$(now) - $T_UP")" "$(calc "$SLOWSTART + 3")" || return 1
		sleep 0.1
	done
	took=$(calc "$(now) - $T_UP")
}
if ramp_over; then
	FULL=$(slots_of 2)
	ktap_diag "be2 at its full weight ${took}s after it came back: $FULL slots (be3: $(slots_of 3))"
	# the ramp ends at 4 s after it started, which is before T_UP
	full_share() { [ "$FULL" -gt 20000 ] && [ "$FULL" -lt 23700 ] && le 2.5 "$took"; }
	check "be2 holds its full share ~${SLOWSTART}s later ($FULL slots after ${took}s)" full_share
else
	ktap_fail "be2 holds its full share ~${SLOWSTART}s later" "still ramping after $(calc "$SLOWSTART + 3")s"
fi
wait "$AB_PID"
AB_PID=
ktap_diag "during the ramp: $(grep -E '^(Complete|Failed) requests' "$WORK/ab-ramp.log" | tr -s ' ' | paste -sd, -)"
expect_eq "during the ramp: ab through the VIP for $((SLOWSTART + 1))s, zero failed requests" 0 \
	"$(ab_failures "$WORK/ab-ramp.log")"
backends_seen "http://$LAB_VIP4/" 30
check "be2 takes new connections again" has "be2 " "$seen"

kill -TERM "$XLBD_PID"
wait "$XLBD_PID" 2>/dev/null
XLBD_PID=
ktap_finish
