#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end health-check scenarios in the namespace lab, real nginx
# backends, real clients:
#   - a flapping backend (its exec check alternates up and down, faster than
#     rise/fall) does not flap the table: no transition, no commit;
#   - the all-down policy: every backend of a VIP down by its check keeps
#     them all in the table (fail open) and says so loudly in the log;
#   - xlbd killed with -9 and restarted while ab runs: the states come back
#     from the pinned xlb_health map at once, no transition is logged and
#     ab has zero failed requests;
#   - the seed scenario (HAProxy with `check` in front of two web nodes):
#     two backends with HTTP checks and source-IP persistence (hash:
#     source), an ab sweep c = 1, 10, 100, 1000 through the VIP in each
#     phase while the client's backend is stopped and started, failed
#     requests per phase printed and asserted;
#   - a backup (sorry) backend: VIP sorry (a second VIP address on the
#     backends' lo) has be1 and be2 and be3 as its backup; with the
#     primaries up no new connection reaches be3; both primaries' nginx
#     stopped: within fall x interval + timeout be3 answers every request
#     (its page) and the log says so; be1 started again: new connections
#     go to be1 and none to be3.
# Output in KTAP (selftests/e2e/ktap.sh); the last line is "N passed, N
# failed"; the exit status is 1 if any failed.
#
# Usage: selftests/e2e/health-scenarios.sh (root; `make test-e2e` runs it).
# E2E_KEEP=1 leaves the lab up on exit.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=selftests/e2e/lab_env.sh
. "$ROOT/selftests/e2e/lab_env.sh"
ktap_args "$@"
lab_env s xlb-hscen xlb-hscen
chmod 755 "$WORK" # the exec checks read their scripts here
PLAN=22
# the sorry VIP: its own address on the backends' lo, port 80
SORRY_VIP=192.0.2.11
# The seed VIP's HTTP check: interval 1 s, timeout 500 ms, fall 2, rise 2.
INTERVAL=1.0
TIMEOUT=0.5
FALL=2
RISE=2
SWEEP="1 10 100 1000"

write_config() {
	# backend 3's check in "flap" alternates: never two results alike in
	# a row, while rise and fall need four (so one probe slowed past its
	# timeout by a loaded machine still makes no run of four)
	cat >"$WORK/flap.sh" <<EOF
[ "\$XLB_BACKEND_ID" = 3 ] || exit 0
n=\$(cat $WORK/flap.count 2>/dev/null || echo 0)
echo \$((n + 1)) >$WORK/flap.count
exit \$((n % 2))
EOF
	touch "$WORK/alld-up"
	{
		config_head
		echo "vips:"
		echo "  - name: seed"
		echo "    address: $LAB_VIP4"
		echo "    port: 80"
		echo "    protocol: tcp"
		echo "    hash: source"
		echo "    check: { kind: http, path: /, status: 200, body: backend,"
		echo "             interval: 1s, timeout: 500ms, rise: $RISE, fall: $FALL }"
		echo "    backends: [ {id: 1}, {id: 2} ]"
		echo "  - name: flap"
		echo "    address: $LAB_VIP4"
		echo "    port: 81"
		echo "    protocol: tcp"
		echo "    check: { kind: exec, command: 'sh $WORK/flap.sh', interval: 400ms,"
		echo "             timeout: 300ms, rise: 4, fall: 4, initial: up }"
		echo "    backends: [ {id: 1}, {id: 2}, {id: 3} ]"
		echo "  - name: alld"
		echo "    address: $LAB_VIP4"
		echo "    port: 82"
		echo "    protocol: tcp"
		echo "    check: { kind: exec, command: 'test -e $WORK/alld-up', interval: 300ms,"
		echo "             timeout: 200ms, rise: 1, fall: 1, initial: up }"
		echo "    backends: [ {id: 1}, {id: 2} ]"
		echo "  - name: sorry"
		echo "    address: $SORRY_VIP"
		echo "    port: 80"
		echo "    protocol: tcp"
		echo "    check: { kind: tcp, interval: 500ms, timeout: 300ms, rise: 2, fall: 2 }"
		echo "    backends: [ {id: 1}, {id: 2}, {id: 3, backup: true} ]"
	} >"$CFG"
}

# check_field VIP ID FIELD: one field of the check of backend ID in VIP
check_field() {
	xlb --json backend list "$1" 2>/dev/null |
		jq -r ".backends[] | select(.id == $2) | .vips[] | select(.vip == \"$1\") | .check.$3"
}
# slots VIP ID: the slots backend ID has in the table the datapath uses
slots() {
	xlb --json maglev show "$1" | jq -r ".backends[] | select(.id == $2) | .slots"
}
status_field() { xlb --json status | jq -r ".$1"; }

# wait_check VIP ID STATE MAX_S: sets $took once the check says STATE
wait_check() {
	local t0
	t0=$(now)
	while :; do
		took=$(calc "$(now) - $t0")
		[ "$(check_field "$1" "$2" state)" = "$3" ] && return 0
		if ! le "$took" "$4"; then
			echo "backend $2 in $1 not $3 after ${took}s"
			xlb backend list "$1"
			return 1
		fi
		sleep 0.05
	done
}

# sweep PHASE: ab through the seed VIP at each concurrency of SWEEP; prints
# one diagnostic line, sets $sweep_failed (the sum) and $sweep_line
sweep() {
	local c n f line="" sum=0
	for c in $SWEEP; do
		n=$((c < 1000 ? 1000 : 2 * c))
		# c = 1000 needs more descriptors than a shell's default
		client bash -c "ulimit -n 8192; ab -q -r -n $n -c $c http://$LAB_VIP4/" \
			>"$WORK/ab-$1-$c.log" 2>&1
		f=$(ab_failures "$WORK/ab-$1-$c.log")
		sum=$((sum + f))
		line+="c=$c: $f of $n failed; "
	done
	sweep_failed=$sum
	ktap_diag "$1: ${line%; }"
}

ktap_begin $PLAN
lab_up
for i in 1 2 3; do
	in_ns "$(eval echo "\$LAB_NS_BE$i")" ip addr add "$SORRY_VIP/32" dev lo ||
		echo "be$i: cannot add $SORRY_VIP to lo" >&2
done
write_config
LOG1=$WORK/xlbd-1.log
if ! check "xlbd starts with HTTP checks (seed), a flapping exec check (flap) and an all-down VIP (alld)" \
	start_xlbd "$LOG1"; then
	ktap_skip_to $PLAN "xlbd did not start"
	ktap_finish
	exit 1
fi
seed_up() {
	wait_check seed 1 up 6 && wait_check seed 2 up 6
}
check "seed's two backends come up (rise $RISE)" seed_up

# --- a flapping backend does not flap the table ------------------------------
# flap's checks start up (initial: up); backend 3's alternates every 400 ms
sleep 1
c0=$(status_field health_commits)
t0=$(check_field flap 3 transitions)
p0=$(check_field flap 3 probes)
f0=$(check_field flap 3 failures)
s0=$(slots flap 3)
sleep 4
p1=$(check_field flap 3 probes)
f1=$(check_field flap 3 failures)
ktap_diag "flap backend 3 over 4 s: $((p1 - p0)) probes, $((f1 - f0)) failed, state $(check_field flap 3 state)"
flapped() {
	[ $((p1 - p0)) -ge 7 ] && [ $((f1 - f0)) -ge 3 ] && [ $((f1 - f0)) -le $((p1 - p0 - 3)) ]
}
check "backend 3's check really flaps: >= 7 probes in 4 s, about half of them failed" flapped
table_kept() {
	local t1 c1 s1 st
	t1=$(check_field flap 3 transitions)
	c1=$(status_field health_commits)
	s1=$(slots flap 3)
	st=$(check_field flap 3 state)
	echo "transitions $t0 -> $t1, commits $c0 -> $c1, slots $s0 -> $s1, state $st"
	[ "$t1" = "$t0" ] && [ "$c1" = "$c0" ] && [ "$s1" = "$s0" ] && [ "$s1" -gt 0 ] && [ "$st" = up ]
}
check "the flapping backend stays up in the table: no transition, no commit, its slots kept" table_kept

# --- every backend down: fail open, loudly -----------------------------------
rm -f "$WORK/alld-up"
alld_down() {
	wait_check alld 1 down 3 && wait_check alld 2 down 3
}
check "alld: both checks go down when their command fails" alld_down
loud() {
	for _ in $(seq 40); do
		grep -q 'health: VIP alld: every backend is down by its check; serving all of them (fail open)' "$LOG1" &&
			return 0
		sleep 0.05
	done
	grep 'alld' "$LOG1" | tail -5
	return 1
}
check "alld: xlbd logs loudly that the VIP fails open" loud
fail_open() {
	local a b e
	a=$(slots alld 1)
	b=$(slots alld 2)
	e=$(xlb --json maglev show alld | jq -r .empty)
	echo "slots: backend 1 $a, backend 2 $b, empty $e"
	[ "$a" -gt 0 ] && [ "$b" -gt 0 ] && [ "$e" = 0 ]
}
check "alld: the table keeps both backends and no empty slot (fail open, never an empty table)" fail_open
touch "$WORK/alld-up"
recovered() {
	wait_check alld 1 up 3 && wait_check alld 2 up 3 || return 1
	for _ in $(seq 40); do
		grep -q 'health: VIP alld: no longer failing open' "$LOG1" && return 0
		sleep 0.05
	done
	return 1
}
check "alld: back up, and the log says it no longer fails open" recovered

# --- kill -9 and restart under load: no flap ---------------------------------
sleep 1
client ab -q -r -n 30000 -c 10 "http://$LAB_VIP4/" >"$WORK/ab-restart.log" 2>&1 &
AB_PID=$!
sleep 1.5
kill -9 "$XLBD_PID"
wait "$XLBD_PID" 2>/dev/null
XLBD_PID=
LOG2=$WORK/xlbd-2.log
adopted() {
	local id st
	start_xlbd "$LOG2" || return 1
	# at once, before a probe could prove anything: the pinned states
	for id in 1 2; do
		st=$(check_field seed "$id" state)
		echo "seed backend $id: $st (probes $(check_field seed "$id" probes))"
		[ "$st" = up ] || return 1
	done
	[ "$(check_field flap 3 state)" = up ]
}
check "restarted xlbd adopts the states pinned in xlb_health: up at once" adopted
sleep 3
no_flap() {
	local tr
	tr=$(status_field health_transitions)
	grep 'health: backend .* \(up\|down\) in' "$LOG2"
	echo "transitions since the restart: $tr"
	[ "$tr" = 0 ] && ! grep -q 'health: backend .* \(up\|down\) in' "$LOG2"
}
check "no transition logged or counted after the restart" no_flap
wait "$AB_PID"
AB_PID=
ktap_diag "ab across kill -9 and restart: $(grep -E '^(Complete|Failed) requests' "$WORK/ab-restart.log" | tr -s ' ' | tr '\n' ' ')"
expect_eq "ab through the VIP across kill -9 and restart: zero failed requests" 0 \
	"$(ab_failures "$WORK/ab-restart.log")"

# --- the seed scenario -------------------------------------------------------
# hash: source sends every connection of the client to one backend: the one
# whose page answers is the one to stop
page=$(client curl -s --max-time 3 "http://$LAB_VIP4/")
BE=$(grep -o 'be[12]' <<<"$page" | head -1 | tr -d be)
OTHER=$((3 - ${BE:-1}))
ktap_diag "seed: the client's backend is be$BE (hash: source); be$OTHER takes over"
sweep "phase 1, both up"
expect_eq "seed, both up: ab sweep c = $SWEEP, zero failed" 0 "$sweep_failed"

# Stopped: the client's requests fail until the check marks the backend
# down. The allowed window is fall x interval + timeout (the check needs
# fall failed probes in a row, one per interval; a probe that hangs takes
# up to timeout): $(calc "$FALL * $INTERVAL + $TIMEOUT") s, plus 0.3 s for
# this script's polling. From then on the table sends the client to the
# other backend and on_down: reset has removed its tracked flows: no
# request may fail.
BOUND=$(calc "$FALL * $INTERVAL + $TIMEOUT")
T0=$(now)
nginx_stop "$BE" >"$KTAP_LOG" 2>&1
# one new connection every 50 ms until 2 s after the mark, each failure
# with its time since the stop
(
	while [ ! -e "$WORK/probe.stop" ]; do
		if ! client curl -sf --max-time 1 -o /dev/null "http://$LAB_VIP4/"; then
			calc "$(now) - $T0" >>"$WORK/probe.fail"
		fi
		echo x >>"$WORK/probe.all"
		sleep 0.05
	done
) &
PROBE_PID=$!
if wait_check seed "$BE" down 10 >>"$KTAP_LOG" 2>&1; then
	DOWN_AT=$(calc "$(now) - $T0")
else
	DOWN_AT=999
fi
sleep 2
touch "$WORK/probe.stop"
wait "$PROBE_PID"
nfail=$(grep -c . "$WORK/probe.fail" 2>/dev/null)
nall=$(grep -c . "$WORK/probe.all" 2>/dev/null)
last=$(sort -g "$WORK/probe.fail" 2>/dev/null | tail -1)
ktap_diag "phase 2, be$BE stopped: marked down after ${DOWN_AT}s (bound ${BOUND}s); ${nfail:-0} of ${nall:-0} requests failed, the last ${last:-none}s after the stop"
window_ok() {
	le "$DOWN_AT" "$(calc "$BOUND + 0.3")" &&
		{ [ -z "$last" ] || le "$last" "$(calc "$DOWN_AT + 0.2")"; }
}
check "seed: be$BE marked down within fall x interval + timeout, and no request failed after that" window_ok

sweep "phase 3, be$BE down"
expect_eq "seed, be$BE down: ab sweep c = $SWEEP on be$OTHER, zero failed" 0 "$sweep_failed"

# Started again: it is still down until rise good probes; the sweep spans
# that and its return (the table moves the client back for new flows only)
nginx_start "$BE" >"$KTAP_LOG" 2>&1
T0=$(now)
sweep "phase 4, be$BE starting (rise $RISE)"
up_ok() {
	wait_check seed "$BE" up 10 || return 1
	echo "be$BE up within $(calc "$(now) - $T0")s of its start"
}
if [ "$sweep_failed" = 0 ] && up_ok >"$KTAP_LOG" 2>&1; then
	ktap_pass "seed, be$BE started: ab sweep zero failed, and it is up again after rise"
else
	ktap_fail "seed, be$BE started: ab sweep zero failed, and it is up again after rise" \
		"failed: $sweep_failed; $(cat "$KTAP_LOG")"
fi
sweep "phase 5, both up again"
back=$(client curl -s --max-time 3 "http://$LAB_VIP4/" | grep -o 'be[12]' | head -1)
ktap_diag "phase 5: the client is on $back again"
if [ "$sweep_failed" = 0 ] && [ "$back" = "be$BE" ]; then
	ktap_pass "seed, both up again: zero failed, the client back on be$BE (hash: source)"
else
	ktap_fail "seed, both up again: zero failed, the client back on be$BE (hash: source)" \
		"failed: $sweep_failed, client on $back"
fi

# --- a backup (sorry) backend --------------------------------------------------
# VIP sorry: be1 and be2 with TCP checks (interval 500 ms, timeout 300 ms,
# fall 2, rise 2), be3 their backup: it takes new connections only while
# neither primary can
SORRY_URL=http://$SORRY_VIP/
SORRY_T0=$(now)
sorry_ready() {
	wait_check sorry 1 up 5 && wait_check sorry 2 up 5 && wait_check sorry 3 up 5
}
# ref_field VIP ID FIELD: a field of backend ID's reference in VIP
ref_field() {
	xlb --json backend list "$1" 2>/dev/null |
		jq -r ".backends[] | select(.id == $2) | .vips[] | select(.vip == \"$1\") | .$3"
}
primaries_serve() {
	sorry_ready || return 1
	backends_seen "$SORRY_URL" 20
	echo "seen: $seen"
	echo "be3: backup $(ref_field sorry 3 backup), benched $(ref_field sorry 3 benched), slots $(slots sorry 3)"
	grep -q "be1 " <<<"$seen" && grep -q "be2 " <<<"$seen" &&
		! grep -q "be3 " <<<"$seen" &&
		[ "$(ref_field sorry 3 backup)" = true ] &&
		[ "$(ref_field sorry 3 benched)" = true ] && [ "$(slots sorry 3)" = 0 ] &&
		xlb backend list sorry | grep -q ' sorry:0(backup)'
}
check "sorry, primaries up: new connections reach be1 and be2, none the backup be3 (benched, no slot, sorry:0(backup) in the list)" \
	primaries_serve
SORRY_BOUND=$(calc "2 * 0.5 + 0.3")
T3=$(check_field sorry 3 transitions)
T0=$(now)
nginx_stop 1 >"$KTAP_LOG" 2>&1 && nginx_stop 2 >>"$KTAP_LOG" 2>&1
# sets $took: from the stop until the table sends new flows to be3
on_backup() {
	while [ "$(slots sorry 3)" = 0 ]; do
		le "$(calc "$(now) - $T0")" 5 || return 1
		sleep 0.05
	done
	took=$(calc "$(now) - $T0")
}
if on_backup; then SORRY_AT=$took; else SORRY_AT=999; fi
ktap_diag "sorry: both primaries stopped; be3 in the table after ${SORRY_AT}s (bound ${SORRY_BOUND}s)"
loud_backup() {
	grep 'VIP sorry' "$LOG2"
	le "$SORRY_AT" "$(calc "$SORRY_BOUND + 0.5")" &&
		grep -q 'health: VIP sorry: no primary backend can take flows; serving backup 3$' "$LOG2"
}
check "sorry, both primaries stopped: be3 serves within fall x interval + timeout, and the log says so" \
	loud_backup
backup_answers() {
	backends_seen "$SORRY_URL" 10
	echo "seen: $seen"
	[ "$seen" = "$LAB_BE3_PAGE" ] && [ "$(ref_field sorry 3 benched)" = false ]
}
check "sorry, both primaries stopped: every request is answered by the backup's page" backup_answers
nginx_start 1 >"$KTAP_LOG" 2>&1
primary_back() {
	wait_check sorry 1 up 5 || return 1
	for _ in $(seq 40); do
		[ "$(slots sorry 3)" = 0 ] && break
		sleep 0.05
	done
	backends_seen "$SORRY_URL" 10
	echo "seen: $seen"
	[ "$seen" = "$LAB_BE1_PAGE" ]
}
check "sorry, be1 started again: new connections go to be1, none to the backup" primary_back
back_logged() {
	grep -q 'health: VIP sorry: a primary backend can take flows again; backup 3 takes no new flows' "$LOG2" &&
		[ "$(check_field sorry 3 state)" = up ] && [ "$(check_field sorry 3 transitions)" = "$T3" ]
}
check "sorry: the log says the primaries are back; be3's check stayed up with no transition" back_logged
nginx_start 2 >"$KTAP_LOG" 2>&1
ktap_diag "sorry: the scenario took $(calc "$(now) - $SORRY_T0")s"

kill -TERM "$XLBD_PID"
wait "$XLBD_PID" 2>/dev/null
XLBD_PID=
ktap_finish
