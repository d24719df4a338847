#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end check kinds and admin states in the namespace lab: an HTTPS
# check against a TLS nginx on be1 (a self-signed certificate made by
# openssl here: tls_verify off passes, on fails naming the certificate
# problem); UDP checks against socat services on be2 (a reply holding
# "pong", and require_reply: false passing on silence), going down with
# the ICMP port unreachable when the service stops; an agent check on be3
# (a socat agent whose reply the test rewrites) driving drain, weight,
# maint, down and up; maint on be1 by the CLI: out of the table, its
# established flows cut (slow downloads on it fail, while under drain they
# finish), no packet reaches it under ab, no check, audited, and back after
# unmaint; bad check configs for the new kinds refused with file:line:
# field. Output in KTAP (selftests/e2e/ktap.sh); the last line is "N
# passed, N failed"; the exit status is 1 if any failed.
#
# Usage: selftests/e2e/health-kinds.sh (root; `make test-e2e` runs it).
# E2E_KEEP=1 leaves the lab up on exit.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=selftests/e2e/lab_env.sh
. "$ROOT/selftests/e2e/lab_env.sh"
ktap_args "$@"
lab_env k xlb-health-kinds xlb-hkinds
chmod 755 "$WORK" # nginx's worker (www-data) reads the TLS docroot
AGENT=$WORK/agent.txt
PIDS=() # socat services and the agent, started here
PLAN=42

# lab_cleanup (lab_env.sh) calls this once xlbd is killed
lab_cleanup_more() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	[ -s "$WORK/tls/nginx.pid" ] && kill "$(cat "$WORK/tls/nginx.pid")" 2>/dev/null
}

has() { grep -qF -- "$1" <<<"$2"; }
lacks() { ! grep -qF -- "$1" <<<"$2"; }

# A TLS nginx on be1 port 8443 with a self-signed certificate for
# tls.example.com, serving "tls be1".
tls_nginx_start() {
	local d=$WORK/tls
	mkdir -p "$d/www" "$d/tmp" || return 1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=tls.example.com" \
		-keyout "$d/key.pem" -out "$d/cert.pem" >"$d/openssl.log" 2>&1 || {
		cat "$d/openssl.log"
		return 1
	}
	echo "tls be1" >"$d/www/index.txt"
	chmod -R a+rX "$d"
	cat >"$d/nginx.conf" <<EOF
user www-data;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 64; }
http {
	access_log off;
	default_type text/plain;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	server {
		listen 8443 ssl;
		ssl_certificate $d/cert.pem;
		ssl_certificate_key $d/key.pem;
		root $d/www;
		index index.txt;
	}
}
EOF
	in_ns "$LAB_NS_BE1" nginx -p "$d/" -c "$d/nginx.conf" -e "$d/error.log" \
		-g 'daemon on;' || return 1
	for _ in $(seq 50); do
		in_ns "$LAB_NS_BE1" curl -sk --max-time 1 https://127.0.0.1:8443/ |
			grep -q "tls be1" && return 0
		sleep 0.1
	done
	echo "the TLS nginx on be1 does not answer"
	return 1
}

# The UDP services on be2: 5353 answers "pong", 5354 answers nothing.
UDP_PONG_PID=
UDP_SILENT_PID=
udp_start() {
	# two checks a second that end in an ICMP error would meet the
	# kernel's ICMP rate limit (1/s per destination, bursts of 6) and read
	# silence as a pass: the lab's backend answers every one
	in_ns "$LAB_NS_BE2" sysctl -qw net.ipv4.icmp_ratelimit=0 || return 1
	nsenter --net="/run/netns/$LAB_NS_BE2" socat UDP4-RECVFROM:5353,fork \
		SYSTEM:'echo pong' 2>>"$WORK/socat.log" &
	UDP_PONG_PID=$!
	PIDS+=("$UDP_PONG_PID")
	nsenter --net="/run/netns/$LAB_NS_BE2" socat -u UDP4-RECV:5354 \
		OPEN:/dev/null,wronly 2>>"$WORK/socat.log" &
	UDP_SILENT_PID=$!
	PIDS+=("$UDP_SILENT_PID")
	sleep 0.3
	kill -0 "$UDP_PONG_PID" && kill -0 "$UDP_SILENT_PID"
}

# The agent on be3: each connection gets the content of $AGENT.
agent_start() {
	echo "up ready" >"$AGENT"
	nsenter --net="/run/netns/$LAB_NS_BE3" socat TCP4-LISTEN:9777,reuseaddr,fork \
		SYSTEM:"cat $AGENT" 2>>"$WORK/socat.log" &
	PIDS+=("$!")
	sleep 0.3
	kill -0 "$!"
}
agent_says() { echo "$1" >"$AGENT"; }

write_config() {
	{
		config_head
		echo "vips:"
		echo "  - name: web"
		echo "    address: $LAB_VIP4"
		echo "    port: 80"
		echo "    protocol: tcp"
		echo "    check: { kind: tcp, interval: 1s, timeout: 500ms, rise: 2, fall: 2 }"
		echo "    backends:"
		echo "      - { id: 1, weight: 2 }"
		echo "      - { id: 2, weight: 2 }"
		echo "      - { id: 3, weight: 2, check: { kind: agent, port: 9777 } }"
		echo "  - name: tls-off"
		echo "    address: $LAB_VIP4"
		echo "    port: 443"
		echo "    protocol: tcp"
		echo "    check: { kind: https, port: 8443, host: tls.example.com, body: tls be1,"
		echo "             tls_verify: false, interval: 1s, timeout: 500ms, rise: 1, fall: 1 }"
		echo "    backends: [ {id: 1} ]"
		echo "  - name: tls-on"
		echo "    address: $LAB_VIP4"
		echo "    port: 444"
		echo "    protocol: tcp"
		echo "    check: { kind: https, port: 8443, host: tls.example.com,"
		echo "             interval: 1s, timeout: 500ms, rise: 1, fall: 1 }"
		echo "    backends: [ {id: 1} ]"
		echo "  - name: dns"
		echo "    address: $LAB_VIP4"
		echo "    port: 5353"
		echo "    protocol: udp"
		echo "    check: { kind: udp, payload: \"ping\\n\", expect: pong,"
		echo "             interval: 1s, timeout: 500ms, rise: 1, fall: 2 }"
		echo "    backends: [ {id: 2} ]"
		echo "  - name: quiet"
		echo "    address: $LAB_VIP4"
		echo "    port: 5354"
		echo "    protocol: udp"
		echo "    check: { kind: udp, payload: hello, require_reply: false,"
		echo "             interval: 1s, timeout: 300ms, rise: 1, fall: 2 }"
		echo "    backends: [ {id: 2} ]"
	} >"$CFG"
}

# ref VIP ID: the reference's object in `backend list --json`.
ref() {
	xlb --json backend list "$1" 2>/dev/null |
		jq -c ".backends[] | select(.id == $2) | .vips[] | select(.vip == \"$1\")"
}
# field VIP ID JQ: one field of it ("" when absent).
field() { ref "$1" "$2" | jq -r "$3 // empty"; }

# wait_for VIP ID JQ WANT MAX_S: until the field says WANT.
wait_for() {
	local got t0=$SECONDS
	while :; do
		got=$(field "$1" "$2" "$3")
		[ "$got" = "$4" ] && return 0
		if ((SECONDS - t0 > $5)); then
			echo "$1 backend $2: $3 is \"$got\", not \"$4\" after $5 s"
			xlb backend list "$1"
			return 1
		fi
		sleep 0.1
	done
}

NEXT_PORT=21000 # backends_seen's first client port here

be_packets() {
	xlb --json stats | jq -r ".backends[] | select(.id == $1) | .packets"
}

ktap_begin $PLAN

# --- refusals: no lab needed ------------------------------------------------
refused() {
	local want=$1 out
	cat >"$WORK/bad.yaml"
	out=$("$BUILD/xlbd" --check -c "$WORK/bad.yaml" 2>&1) && {
		echo "accepted: $out"
		return 1
	}
	has "$want" "$out" || {
		echo "got: $out"
		echo "want: $want"
		return 1
	}
}
BAD_HEAD="backends: [{id: 1, address: 10.1.0.1}]
encap: {source4: 198.19.0.0}
vips:
  - name: web
    address: 192.0.2.10
    port: 80
    protocol: tcp"
check "an agent check without its port is refused with file:line: field" refused \
	"bad.yaml:9: vips[0].check.port: missing: an agent check needs the agent's port" <<EOF
$BAD_HEAD
    backends: [{id: 1}]
    check: {kind: agent}
EOF
check "expect with require_reply: false is refused with file:line: field" refused \
	"bad.yaml:8: vips[0].check.expect: means nothing with require_reply: false" <<EOF
$BAD_HEAD
    check: {kind: udp, port: 53, require_reply: false, expect: pong}
    backends: [{id: 1}]
EOF
check "maint that is not a bool is refused with file:line: field" refused \
	"bad.yaml:8: vips[0].backends[0].maint: expected true or false" <<EOF
$BAD_HEAD
    backends: [{id: 1, maint: soon}]
EOF

lab_up
check "a TLS nginx on be1 (self-signed certificate by openssl)" tls_nginx_start
check "UDP services on be2 (socat: one answers pong, one nothing)" udp_start
check "an agent on be3 (socat)" agent_start
write_config
if ! check "xlbd starts with https, udp, agent and tcp checks" start_xlbd; then
	ktap_skip_to $PLAN "xlbd did not start"
	ktap_finish
	exit 1
fi

# --- HTTPS --------------------------------------------------------------------
check "https with tls_verify: false is up against the self-signed nginx" \
	wait_for tls-off 1 .check.state up 6
check "https with tls_verify on stays down" \
	wait_for tls-on 1 '(.check.state == "down" and .check.last.ok == false)' true 6
REASON=$(field tls-on 1 .check.last.reason)
ktap_diag "tls_verify on: $REASON"
check "its reason names the certificate problem" has "certificate" "$REASON"

# --- UDP ---------------------------------------------------------------------
check "udp with a pong reply is up" wait_for dns 2 .check.state up 6
check "udp with require_reply: false is up on silence" wait_for quiet 2 .check.state up 6
has_reply_reason() { has "no reply and no ICMP error" "$(field quiet 2 .check.last.reason)"; }
check "... and says no reply and no ICMP error came" has_reply_reason
kill "$UDP_PONG_PID" "$UDP_SILENT_PID"
wait "$UDP_PONG_PID" "$UDP_SILENT_PID" 2>/dev/null
check "udp goes down when its service stops" wait_for dns 2 .check.state down 6
REASON=$(field dns 2 .check.last.reason)
ktap_diag "udp down: $REASON"
check "its reason is the ICMP port unreachable" has "ICMP port unreachable from $LAB_BE2_ADDR" "$REASON"
check "require_reply: false goes down on the ICMP port unreachable" \
	wait_for quiet 2 .check.state down 6

# --- the agent ---------------------------------------------------------------
check "the agent's check is up (\"up ready\")" wait_for web 3 .check.state up 6
check "every backend of web is up" wait_for web 1 .check.state up 6
# a plain TCP check probes half-open: up on the SYN-ACK (xlbd's kernel
# resets it), no connection made
check "the tcp check is half-open: up on be1's SYN-ACK" \
	has "connected (SYN-ACK)" "$(field web 1 .check.last.reason)"
agent_says "up drain"
check "agent drain: admin drain, health still up" wait_for web 3 .admin drain 4
expect_eq "agent drain: weight 0 in the table, configured 2 kept" "0 2 up" \
	"$(ref web 3 | jq -r '"\(.weight) \(.configured_weight) \(.health)"')"
agent_says "ready 50%"
check "agent 50%: weight 1 of 2" wait_for web 3 .weight 1 4
expect_eq "agent 50%: backend list --json shows the agent's word" "ready 50" \
	"$(ref web 3 | jq -r '"\(.admin) \(.agent.weight_pct)"')"
slots_of() { xlb --json maglev show web | jq -r ".backends[] | select(.id == $1) | .slots"; }
HALF=$(slots_of 3)
FULL=$(slots_of 1)
ktap_diag "maglev slots at 50%: be3 $HALF, be1 $FULL"
check "agent 50%: be3 has about half of be1's slots" \
	awk -v h="$HALF" -v f="$FULL" 'BEGIN { exit !(h > 0.4 * f && h < 0.6 * f) }'
backends_seen "http://$LAB_VIP4/" 30 # leaves tracked flows on every backend
CT3=$(xlb --json conntrack count --backend 3 | jq -r .count)
agent_says "maint"
check "agent maint: admin maint" wait_for web 3 .admin maint 4
CT3_AFTER=$(xlb --json conntrack count --backend 3 | jq -r .count)
expect_eq "agent maint: be3's tracked flows ($CT3 before) are removed" "yes 0" \
	"$( ((CT3 > 0)) && echo yes) $CT3_AFTER"
agent_says "ready 100%"
check "agent ready 100%: back to the full weight 2" wait_for web 3 .weight 2 4
agent_says "down#disk full"
check "agent down: health down after fall" wait_for web 3 .check.state down 6
REASON=$(field web 3 .check.last.reason)
ktap_diag "agent down: $REASON"
check "its reason carries the agent's words" has "agent: down: disk full" "$REASON"
agent_says "up"
check "agent up: up again after rise" wait_for web 3 .check.state up 6

# --- maint by the CLI, against drain ------------------------------------------
# slow downloads (about 4 s each) from fixed ports; the ones on be1 are
# found in conntrack, then be1 is drained or put in maintenance
slow_round() {
	local base=$1 i
	for ((i = 0; i < 16; i++)); do
		client curl -s -o /dev/null --max-time 15 --local-port $((base + i)) \
			"http://$LAB_VIP4/slow100k" &
		echo "$((base + i)) $!"
	done >"$WORK/slow.pids"
	sleep 1
	ON_BE1=$(xlb --json conntrack list --backend 1 --limit 0 |
		jq -r '.entries[] | .client_port' | sort -n | tr '\n' ' ')
}
# slow_results: once each download ended, $SLOW says how many of those on
# be1 failed and how many of the others, $BE1_N how many were on be1 (not
# in a subshell: wait needs the downloads to be this shell's children)
slow_results() {
	local port pid rc be1_bad=0 be1_n=0 other_bad=0
	while read -r port pid; do
		wait "$pid"
		rc=$?
		if [[ " $ON_BE1 " == *" $port "* ]]; then
			be1_n=$((be1_n + 1))
			((rc != 0)) && be1_bad=$((be1_bad + 1))
		else
			((rc != 0)) && other_bad=$((other_bad + 1))
		fi
	done <"$WORK/slow.pids"
	SLOW="be1: $be1_bad of $be1_n failed; others: $other_bad failed"
	BE1_N=$be1_n
}
slow_round 23000
xlb backend drain web 1 >/dev/null
slow_results
ktap_diag "drain: $SLOW"
expect_eq "drain: the downloads on be1 (some) finish: established flows kept" \
	"some be1: 0 of $BE1_N failed; others: 0 failed" \
	"$( ((BE1_N > 0)) && echo some) $SLOW"
xlb backend undrain web 1 >/dev/null

slow_round 23100
OUT=$(xlb backend maint web 1 2>&1)
check "xlb backend maint web 1 says what it changed" has "backend maint web 1" "$OUT"
slow_results
ktap_diag "maint: $SLOW"
expect_eq "maint: every download on be1 (some) is cut, the others finish" \
	"some be1: $BE1_N of $BE1_N failed; others: 0 failed" \
	"$( ((BE1_N > 0)) && echo some) $SLOW"
expect_eq "maint: no tracked flow left on be1" 0 \
	"$(xlb --json conntrack count --backend 1 | jq -r .count)"
expect_eq "maint: admin maint, health up, weight 0, no check" "maint up 0 none" \
	"$(ref web 1 | jq -r '"\(.admin) \(.health) \(.weight) \(.check.state // "none")"')"
backends_seen "http://$LAB_VIP4/" 30
check "maint: no new connection reaches be1" lacks "be1 " "$seen"
P0=$(be_packets 1)
client ab -q -n 2000 -c 8 "http://$LAB_VIP4/" >"$WORK/ab-maint.log" 2>&1
P1=$(be_packets 1)
expect_eq "maint: ab through web, zero failed, and not one packet to be1" "0 0" \
	"$(ab_failures "$WORK/ab-maint.log") $((P1 - P0))"
check "maint is audited (by control socket)" \
	grep -q "change: backend maint web 1 (by control socket)" "$WORK/xlbd.log"
check "maint is in the running config" has "maint: true" "$(xlb config dump)"
xlb backend unmaint web 1 >/dev/null
check "unmaint: be1's check starts over and comes up" wait_for web 1 .check.state up 6
backends_seen "http://$LAB_VIP4/" 30
check "unmaint: be1 takes new connections again" has "be1 " "$seen"

kill -TERM "$XLBD_PID"
wait "$XLBD_PID" 2>/dev/null
XLBD_PID=
ktap_finish
