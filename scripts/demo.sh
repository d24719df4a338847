#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh: xlb for real, on one machine. Brings up the namespace lab
# (client, router, LB node, three nginx backends), starts xlbd with
# scripts/demo.yaml attached to the LB node's NIC (HTTP health checks on
# every backend), sends HTTP through the VIPs and shows what happened, then
# stops one backend's nginx: the check marks it down, requests are all
# answered by the others, and it comes back once nginx starts again. The
# lab stays up to poke at; `scripts/demo.sh down` (or `make demo-down`)
# removes it; `scripts/demo.sh hints` prints the commands to poke at it
# (step 7) alone.
# LAB_BACKENDS=4 brings up a fourth backend (not in the config) to add live.
#
# Usage: scripts/demo.sh [down|hints]   (root; `make demo` builds first)
set -euo pipefail

case ${1:-} in
-h | --help)
	sed -n '3,/^set -/{/^set -/d;s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" | sed '/./,$!d'
	exit 0
	;;
"" | down | hints) ;;
*)
	echo "demo.sh: $1: unknown argument (--help)" >&2
	exit 2
	;;
esac

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
export LAB_ID=demo LAB_BACKENDS=${LAB_BACKENDS:-3} LAB_BUILD=$BUILD
LAB="$ROOT/scripts/lab.sh"
CFG="$ROOT/scripts/demo.yaml"
STATE=/run/xlb-lab/$LAB_ID
SOCK=$STATE/xlbd.sock
PIN=/sys/fs/bpf/xlb-demo

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

# What step 7 prints: the short forms (lab.sh exec finds xlb and xlbd's
# socket, recorded in $STATE/lb1.xlb), and only commands that work on this
# lab: adding backend 4 needs a lab that has be4.
hints() {
	local lab=scripts/lab.sh x
	[ "$PWD" = "$ROOT" ] || lab=$ROOT/scripts/lab.sh
	[ "$BUILD" = "$ROOT/build" ] || lab="LAB_BUILD=$BUILD $lab"
	lab="LAB_ID=demo $lab"
	x="$lab exec lb1 xlb"
	cat <<EOF
  $x stats                    # counters and rates
  $x conntrack list --limit 10
  $x backend drain web4 3   # be3: no new flows
  $x conntrack count --backend 3
  $x backend undrain web4 3
  $x backend weight web4 1 2
  $x backend weight web4 1 1
  $x backend list web4      # health checks
EOF
	if [ "$LAB_BACKENDS" -ge 4 ]; then
		echo "  $x backend add web4 4 --address 198.18.0.14"
		echo "  $x backend del web4 4"
	else
		echo "  (adding a backend: LAB_BACKENDS=4 scripts/demo.sh on a fresh lab)"
	fi
	cat <<EOF
  $x config dump
  $lab exec cl1 curl -s http://192.0.2.10/
  $lab status
  bpftool map dump pinned $PIN/xlb_vips
  bpftool prog show name xlb_lb
  xlbd's log: $STATE/xlbd.log
tear down: make demo-down   (or scripts/demo.sh down)
EOF
}

if [ "${1:-}" = hints ]; then
	hints
	exit 0
fi

if [ "${1:-}" = down ]; then
	"$LAB" down
	rm -rf "$PIN"
	echo "demo: lab and pinned maps removed"
	exit 0
fi

say "1. the lab: client -> router -> LB node (xlb) -> $LAB_BACKENDS nginx backends"
"$LAB" up
set -a
eval "$("$LAB" env)"
set +a
NS="nsenter --net=/run/netns/$LAB_NS_LB1"
# `lab.sh exec lb1 xlb` then reaches this xlbd with no -s/--pin-dir to type
printf 'XLB_SOCKET=%s\nXLB_PIN_DIR=%s\n' "$SOCK" "$PIN" >"$STATE/lb1.xlb"
XLB="$LAB exec lb1 xlb"

say "2. xlbd: config $CFG, attached to lb1's eth0"
if $XLB --json status >/dev/null 2>&1; then
	echo "xlbd is running already (pid $($XLB --json status | jq -r .pid))"
else
	# --state-dir: the demo's live changes go with its lab (demo-down)
	setsid $NS "$BUILD/xlbd" -c "$CFG" -s "$SOCK" -i eth0 --state-dir "$STATE" \
		>"$STATE/xlbd.log" 2>&1 </dev/null &
	for _ in $(seq 50); do
		$XLB --json status >/dev/null 2>&1 && break
		sleep 0.1
	done
	$XLB --json status >/dev/null 2>&1 || {
		cat "$STATE/xlbd.log" >&2
		die "xlbd did not start"
	}
	cat "$STATE/xlbd.log"
fi
# every backend starts down until its check has seen it up twice (rise 2)
printf 'health checks: waiting for every backend to be proven up'
for _ in $(seq 100); do
	[ "$($XLB --json status | jq -r '.health_checks_up == .health_checks')" = true ] && break
	printf .
	sleep 0.1
done
echo
$XLB status
echo
$XLB vip list

say "3. HTTP through the VIPs from the client (one new connection each)"
client() { nsenter --net="/run/netns/$LAB_NS_CL1" "$@"; }
count_backends() { # URL N FIRST_PORT
	local i
	for ((i = $3; i < $3 + $2; i++)); do
		client curl -s --max-time 3 --local-port "$i" "$1" || echo "(failed)"
	done | sort | uniq -c | awk '{c=$1; $1=""; printf "  %5d %s\n", c, $0}'
}
port=$((11000 + RANDOM % 20000))
echo "300 requests to http://$LAB_VIP4/ (weights be1:be2:be3 = 1:1:2):"
count_backends "http://$LAB_VIP4/" 300 "$port"
echo "150 requests to http://[$LAB_VIP6]/ (equal weights):"
count_backends "http://[$LAB_VIP6]/" 150 $((port + 300))

say "4. load: ab -n 5000 -c 10 through the VIP"
client ab -q -n 5000 -c 10 "http://$LAB_VIP4/" |
	grep -E "Complete requests|Failed requests|Requests per second|Time per request.*mean\)"

say "5. xlb's view: counters, per VIP and backend"
sleep 1.1 # one sampling interval, so the rates cover the load
$XLB stats
echo
$XLB maglev show web4
echo
$XLB conntrack count

say "6. health checks: be2's nginx stops, then starts again"
# run CMD: shows it as typed, then runs it as a fresh shell would (from
# $PWD, none of this script's variables), so what it shows works as shown
run() {
	printf '$ %s\n' "$1"
	env -i PATH="$PATH" HOME="${HOME:-/root}" bash -c "$1"
}
# the short forms of hints(): LAB_ID=demo scripts/lab.sh exec NODE ...
lab=scripts/lab.sh
[ "$PWD" = "$ROOT" ] || lab=$ROOT/scripts/lab.sh
[ "$BUILD" = "$ROOT/build" ] || lab="LAB_BUILD=$BUILD $lab"
lab="LAB_ID=demo $lab"
x="$lab exec lb1 xlb"
wait_check() { # ID STATE: be ID's check in web4 says STATE (10 s at most)
	local i
	for i in $(seq 200); do
		[ "$($XLB --json backend list web4 |
			jq -r ".backends[] | select(.id == $1) | .vips[0].check.state")" = "$2" ] &&
			{ echo "(after $(awk -v i="$i" 'BEGIN { printf "%.1f", i * 0.05 }') s)"; return 0; }
		sleep 0.05
	done
	die "backend $1 not $2 after 10 s"
}
run "kill \$(cat $STATE/be2/nginx.pid)"
echo "be2 is marked down after 2 failed checks (fall 2, interval 1 s) ..."
wait_check 2 down
run "$x backend list web4"
echo
echo "300 requests while be2 is down (its slots went to be1 and be3):"
count_backends "http://$LAB_VIP4/" 300 $((port + 450))
client ab -q -n 3000 -c 10 "http://$LAB_VIP4/" | grep -E "Complete requests|Failed requests"
echo
run "$lab exec be2 nginx -p $STATE/be2/ -c $STATE/be2/nginx.conf -e $STATE/be2/error.log -g 'daemon on;'"
echo "be2 is back after 2 good checks (rise 2) ..."
wait_check 2 up
run "$x backend list web4"

say "7. poke at it"
hints
