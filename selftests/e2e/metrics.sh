#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Observability end to end: xlbd's HTTP endpoint in the namespace lab, with
# a real Prometheus server (its own config and data dir, scraping every
# 1 s inside the LB node's namespace) and headless Chromium. After a known
# number of requests through a VIP, Prometheus' HTTP API returns exactly
# the packets the datapath counted; promtool accepts /metrics; every metric
# the Grafana dashboard (contrib/grafana/xlb.json) queries is exported; the
# sync module (configured with a peer that never answers) makes /healthz
# answer 503 until its wait for the peer is over, and exports its
# xlb_sync_* families and the status page's peer row; the
# status page shows the lab's VIPs and a backend's drain; xlb top prints a
# frame and, under tmux, quits on q and on Ctrl-C with the terminal as it
# was. Output in KTAP (selftests/e2e/ktap.sh); the last line is
# "N passed, N failed"; the exit status is 1 if any failed.
#
# Usage: selftests/e2e/metrics.sh (root; `make test-e2e` runs it).
# E2E_KEEP=1 leaves the lab, Prometheus and xlbd up on exit.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=selftests/e2e/ktap.sh
. "$ROOT/selftests/e2e/ktap.sh"
ktap_args "$@"
BUILD=${BUILD:-$ROOT/build}
export LAB_ID=${LAB_ID:-m$(($$ % 100000))}
export LAB_BACKENDS=3
LAB="$ROOT/scripts/lab.sh"
WORK=$(mktemp -d /tmp/xlb-metrics.XXXXXX)
PIN=/sys/fs/bpf/xlb-metrics-$LAB_ID
SOCK=$WORK/xlbd.sock
CFG=$WORK/xlb.yaml
DASH=$ROOT/contrib/grafana/xlb.json
# Loopback of the LB node's namespace: private to this run.
MPORT=9642
PPORT=9090
URL=http://127.0.0.1:$MPORT
PROM=http://127.0.0.1:$PPORT
XLBD_PID=
PROM_PID=
TMUX_S=xlbtop-$LAB_ID
KTAP_LOG=$WORK/check.log
PLAN=28
# Sync to a peer that never answers: xlbd waits 3.5 s for it (503 on
# /healthz), then serves; the peer's families are there, state connecting.
SPORT=7401
SPEER=127.0.0.1:$((SPORT + 1))

cleanup() {
	tmux kill-session -t "$TMUX_S" 2>/dev/null
	if [ "${E2E_KEEP:-0}" = 1 ]; then
		echo "# lab $LAB_ID left up (E2E_KEEP=1); $WORK" >&2
		return
	fi
	[ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null
	[ -n "$XLBD_PID" ] && kill "$XLBD_PID" 2>/dev/null
	[ -n "$PROM_PID" ] && wait "$PROM_PID" 2>/dev/null
	[ -n "$XLBD_PID" ] && wait "$XLBD_PID" 2>/dev/null
	"$LAB" down >/dev/null 2>&1
	rm -rf "$PIN" "$WORK"
}
trap cleanup EXIT

in_lb() { nsenter --net="/run/netns/$LAB_NS_LB1" "$@"; }
xlb() { in_lb "$BUILD/xlb" -s "$SOCK" --pin-dir "$PIN" "$@"; }
client() { nsenter --net="/run/netns/$LAB_NS_CL1" "$@"; }
get() { in_lb curl -s --max-time 5 "$@"; }

start_xlbd() {
	local pid
	nsenter --net="/run/netns/$LAB_NS_LB1" "$BUILD/xlbd" -c "$CFG" \
		-s "$SOCK" -i eth0 --state-dir "$WORK" >>"$WORK/xlbd.log" 2>&1 &
	XLBD_PID=$!
	for _ in $(seq 50); do
		pid=$(xlb --json status 2>/dev/null | jq -r .pid 2>/dev/null)
		[ "$pid" = "$XLBD_PID" ] && get -o /dev/null "$URL/healthz" && return 0
		kill -0 "$XLBD_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "xlbd (pid $XLBD_PID) did not come up:"
	sed 's/^/  /' "$WORK/xlbd.log"
	return 1
}

write_config() {
	local i a a6 m
	{
		echo "pin_dir: $PIN"
		echo "maglev_size: 251"
		echo "mtu: $LAB_MTU"
		echo "encap: { source4: 198.19.0.0, source6: '2001:db8:ffff::' }"
		echo "nexthop: { interface: eth0, address: $LAB_RT_INTERNAL_ADDR }"
		echo "metrics: { listen: 127.0.0.1:$MPORT }"
		echo "sync: { listen: 127.0.0.1:$SPORT, peers: [ $SPEER ], key_file: $WORK/sync.key, key_id: 1 }"
		echo "backends:"
		for i in 1 2 3; do
			eval "a=\$LAB_BE${i}_ADDR; a6=\$LAB_BE${i}_ADDR6; m=\$LAB_BE${i}_MAC"
			echo "  - { id: $i, address: $a, mac: '$m' }"
			echo "  - { id: 1$i, address: '$a6', mac: '$m' }"
		done
		echo "vips:"
		echo "  - { name: web4, address: $LAB_VIP4, port: 80, protocol: tcp,"
		echo "      backends: [ {id: 1}, {id: 2}, {id: 3} ] }"
		echo "  - { name: web6, address: '$LAB_VIP6', port: 80, protocol: tcp,"
		echo "      check: { kind: tcp, initial: up, interval: 1s },"
		echo "      backends: [ {id: 11}, {id: 12}, {id: 13} ] }"
	} >"$CFG"
	(umask 077 && echo "1 $(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$WORK/sync.key")
}

start_prometheus() {
	cat >"$WORK/prometheus.yml" <<-YAML
		global: { scrape_interval: 1s, evaluation_interval: 1s }
		scrape_configs:
		  - job_name: xlb
		    static_configs: [ { targets: ['127.0.0.1:$MPORT'] } ]
	YAML
	mkdir -p "$WORK/prom-data"
	nsenter --net="/run/netns/$LAB_NS_LB1" prometheus \
		--config.file="$WORK/prometheus.yml" \
		--storage.tsdb.path="$WORK/prom-data" \
		--web.listen-address=127.0.0.1:$PPORT \
		--log.level=warn >"$WORK/prometheus.log" 2>&1 &
	PROM_PID=$!
	for _ in $(seq 100); do
		[ "$(promq 'up{job="xlb"}')" = 1 ] && return 0
		kill -0 "$PROM_PID" 2>/dev/null || break
		sleep 0.2
	done
	echo "prometheus (pid $PROM_PID) is not scraping xlbd:"
	tail -20 "$WORK/prometheus.log"
	return 1
}

# promq EXPR: the value of the first series of an instant query.
promq() {
	get -G "$PROM/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty' 2>/dev/null
}

vip_packets() { xlb --json stats | jq -r '.vips[] | select(.name == "web4") | .packets'; }

# Waits until the datapath's count for web4 holds still (the requests'
# last ACKs are in), then until Prometheus has scraped that very value.
settled=
prom_got=
prom_matches() {
	local a b
	for _ in $(seq 20); do
		a=$(vip_packets)
		sleep 0.5
		b=$(vip_packets)
		[ "$a" = "$b" ] && break
	done
	settled=$b
	for _ in $(seq 50); do
		prom_got=$(promq 'xlb_vip_packets_total{vip="web4"}')
		[ "$prom_got" = "$settled" ] && return 0
		sleep 0.2
	done
	echo "datapath: $settled packets; Prometheus: ${prom_got:-nothing}"
	return 1
}

chrome() {
	# a fresh profile each time; the lab's loopback only
	local prof
	prof=$(mktemp -d "$WORK/chrome.XXXXXX")
	timeout 60 nsenter --net="/run/netns/$LAB_NS_LB1" chromium --headless \
		--no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$prof" --virtual-time-budget=4000 \
		"$@" 2>>"$WORK/chromium.log"
}

ktap_begin $PLAN
ktap_diag "lab $LAB_ID: bringing it up"
if ! "$LAB" up >"$WORK/lab.log" 2>&1; then
	ktap_fail "the lab comes up" "$(cat "$WORK/lab.log")"
	ktap_skip_to $PLAN "the lab did not come up"
	ktap_finish
	exit 1
fi
set -a
# shellcheck disable=SC1090
eval "$("$LAB" env)"
set +a
ktap_pass "the lab comes up"
write_config
T_START=$(date +%s%3N)
if ! check "xlbd starts and serves /healthz on $URL (metrics.listen)" start_xlbd; then
	ktap_skip_to $PLAN "xlbd did not start"
	ktap_finish
	exit 1
fi
# /healthz while sync waits for its silent peer (3.5 s after the start),
# then after
hz0=$(get -w '\n%{http_code}' "$URL/healthz")
T_HZ0=$(date +%s%3N)
for _ in $(seq 100); do
	[ "$(get -o /dev/null -w '%{http_code}' "$URL/healthz")" = 200 ] && break
	sleep 0.1
done
if ((T_HZ0 - T_START < 3000)); then
	check "/healthz answers 503 naming sync while it waits for its peer ($(head -1 <<<"$hz0" | jq -c .checks))" \
		test "$(tail -1 <<<"$hz0")" = 503 -a \
		"$(head -1 <<<"$hz0" | jq -r '.checks.sync | startswith("not synced")')" = true
else
	ktap_skip "/healthz answers 503 while sync waits for its peer" \
		"xlbd took $((T_HZ0 - T_START)) ms to answer, past the 3.5 s wait"
fi
hz=$(get "$URL/healthz")
check "/healthz answers 200 and says serving ($hz)" \
	test "$(get -o /dev/null -w '%{http_code}' "$URL/healthz")" = 200 -a \
	"$(jq -r .status <<<"$hz")" = serving
get "$URL/metrics" >"$WORK/metrics.txt"
check "promtool check metrics accepts /metrics ($(grep -c '^# TYPE' "$WORK/metrics.txt") families)" \
	promtool check metrics <"$WORK/metrics.txt"
sync_families() {
	local f
	for f in 'xlb_sync_lag_seconds histogram' 'xlb_sync_queue_entries gauge' \
		'xlb_sync_resends_total counter' 'xlb_sync_rejects_total counter' \
		'xlb_sync_fingerprint_match gauge' 'xlb_sync_peer_state gauge' \
		'xlb_sync_entries_sent_total counter' 'xlb_sync_entries_received_total counter'; do
		grep -qx "# TYPE $f" "$WORK/metrics.txt" || { echo "no '# TYPE $f'"; return 1; }
	done
	grep -qx "xlb_sync_peer_state{peer=\"$SPEER\",state=\"connecting\"} 1" "$WORK/metrics.txt" &&
		grep -qx "xlb_sync_lag_seconds_bucket{peer=\"$SPEER\",le=\"+Inf\"} 0" "$WORK/metrics.txt" &&
		grep -qx "xlb_sync_rejects_total{peer=\"other\",reason=\"forged\"} 0" "$WORK/metrics.txt" &&
		grep -qx 'xlb_sync_synced 1' "$WORK/metrics.txt"
}
check "the sync families are exported per peer ($SPEER connecting, synced after the wait)" \
	sync_families
check "an unknown path is 404, a POST is refused" \
	test "$(get -o /dev/null -w '%{http_code}' "$URL/nope")" = 404 -a \
	"$(get -o /dev/null -w '%{http_code}' -X POST "$URL/metrics")" != 200

# --- Prometheus scrapes xlbd -------------------------------------------------
if ! check "a real Prometheus (scrape interval 1 s) scrapes xlbd: up == 1" start_prometheus; then
	ktap_skip_to 10 "Prometheus is not scraping"
else
	before=$(vip_packets)
	ok=0
	for i in $(seq 30); do
		client curl -s -o /dev/null --max-time 3 --local-port $((20000 + i)) \
			"http://$LAB_VIP4/" && ok=$((ok + 1))
	done
	check "30 requests through VIP web4 succeed ($ok)" test "$ok" = 30
	check "Prometheus' HTTP API returns exactly the packets the datapath counted" \
		prom_matches
	ktap_diag "web4: $before packets before, $settled after 30 requests; Prometheus: $prom_got"
fi
check "each request is at least 3 packets through the VIP ($before -> $settled)" \
	test $((settled - before)) -ge 90

# --- the seed scenario: a cluster that scales out and back under load --------
# web4 starts with backend 1 alone; under ab load backends 2 and 3 join one
# by one, all three serve a while, then 3 and 2 leave (drain, then delete).
# No request may fail, and Prometheus' series must show each backend taking
# its share while all three were in.
ab_failures() {
	awk '/^Failed requests:/ {f += $3} /^Non-2xx responses:/ {f += $3}
	     /^Complete requests:/ {c = $3} END {print (c ? f : 999999)}' "$1"
}
scale() {
	local i a
	xlb backend del web4 3 >/dev/null && xlb backend del web4 2 >/dev/null || return 1
	client ab -q -t 16 -n 1000000 -c 4 "http://$LAB_VIP4/" >"$WORK/ab.log" 2>&1 &
	local ab=$!
	sleep 2
	for i in 2 3; do
		eval "a=\$LAB_BE${i}_ADDR"
		xlb backend add web4 $i --address "$a" >/dev/null || return 1
		sleep 2
	done
	T1=$(date +%s)
	sleep 5
	T2=$(date +%s)
	for i in 3 2; do
		xlb backend drain web4 $i >/dev/null || return 1
		sleep 1
		xlb backend del web4 $i >/dev/null || return 1
	done
	wait $ab
	echo "ab: $(grep -E '^(Complete|Failed) requests' "$WORK/ab.log" | tr -s ' ' | tr '\n' ' ')"
}
T1=
T2=
check "backends 2 and 3 join web4 one by one under load and leave again" scale
ktap_diag "$(cat "$KTAP_LOG")"
check "... with zero failed requests (ab: $(ab_failures "$WORK/ab.log") failed)" \
	test "$(ab_failures "$WORK/ab.log")" = 0
shares() {
	local i v tot=0 w=$((T2 - T1))
	for i in 1 2 3; do
		v=$(get -G "$PROM/api/v1/query" --data-urlencode \
			"query=increase(xlb_backend_packets_total{backend=\"$i\"}[${w}s])" \
			--data-urlencode "time=$T2" | jq -r '.data.result[0].value[1] // 0')
		eval "p$i=\${v%.*}"
		tot=$((tot + ${v%.*}))
	done
	echo "packets per backend over the ${w} s with all three: $p1 $p2 $p3 (of $tot)"
	((tot > 0)) || return 1
	for i in 1 2 3; do
		eval "v=\$p$i"
		# Maglev, equal weights: a third each; new connections are random
		((v * 100 / tot >= 18 && v * 100 / tot <= 50)) || return 1
	done
}
check "Prometheus' series show each of the three backends taking its share" shares
ktap_diag "$(cat "$KTAP_LOG")"
xlb backend add web4 2 --address "$LAB_BE2_ADDR" >/dev/null
xlb backend add web4 3 --address "$LAB_BE3_ADDR" >/dev/null
fwd=$(xlb --json stats | jq -r .counters.tx_forward)
check "xlb_packets_total{outcome=\"tx_forward\"} equals the datapath's counter ($fwd)" \
	test "$(get "$URL/metrics" | awk '/^xlb_packets_total\{outcome="tx_forward"/ {print $2}')" = "$fwd"

# --- the Grafana dashboard ---------------------------------------------------
get "$URL/metrics" >"$WORK/metrics.txt"
check "the dashboard is valid JSON with panels and queries" \
	jq -e '(.panels | length) > 10 and ([.. | .expr? // empty] | length) > 20' "$DASH"
names=$(jq -r '.. | (.expr?, .definition?) // empty' "$DASH" |
	grep -oE '\b(xlb|xlbd|process)_[a-zA-Z0-9_]+' | sort -u)
missing=
nsync=0
for n in $names; do
	[[ $n == xlb_sync_* ]] && nsync=$((nsync + 1))
	# a histogram's series are NAME_bucket, NAME_sum, NAME_count
	if grep -q "^# TYPE $n " "$WORK/metrics.txt" ||
		grep -q "^# TYPE ${n%_bucket} histogram" "$WORK/metrics.txt"; then
		continue
	fi
	missing+="$n "
done
check "every metric the dashboard queries is in /metrics ($(wc -w <<<"$names") names)" \
	test -z "$missing"
[ -z "$missing" ] || ktap_diag "not exported: $missing"
check "the sync panels query sync families ($nsync names), all exported" \
	test "$nsync" -ge 5 -a -z "$missing"

# --- the status page in headless Chromium ---------------------------------------
chrome --dump-dom "$URL/" >"$WORK/page1.html"
page_lists() {
	local f=$1 x
	for x in '>web4<' '>web6<' 'id="vip-web4-be-3"' 'id="vip-web6-be-13"'; do
		grep -q "$x" "$f" || { echo "$x is not on the page"; return 1; }
	done
}
check "the status page lists the lab's VIPs (web4, web6) and their backends" \
	page_lists "$WORK/page1.html"
xlb backend drain web4 2 >/dev/null
sleep 1
chrome --dump-dom "$URL/" >"$WORK/page2.html"
check "after a drain the page shows backend 2 of web4 drained" \
	grep -q 'id="vip-web4-be-2" data-state="drained"' "$WORK/page2.html"
check "... and backend 1 still up" \
	grep -q 'id="vip-web4-be-1" data-state="up"' "$WORK/page2.html"
check "the page shows sync's role and the peer $SPEER, connecting" \
	grep -q "id=\"peer-$SPEER\" data-state=\"connecting\"" "$WORK/page2.html"
chrome --screenshot="$WORK/status.png" --window-size=1280,1100 "$URL/" >/dev/null
check "a screenshot of the page is taken ($(stat -c %s "$WORK/status.png" 2>/dev/null) bytes)" \
	test -s "$WORK/status.png"
[ -z "${SCREENSHOT_TO:-}" ] || cp "$WORK/status.png" "$SCREENSHOT_TO"
xlb backend undrain web4 2 >/dev/null

# --- xlb top ------------------------------------------------------------------
top=$(xlb top --once)
check "xlb top --once shows both VIPs and web4's three backends" \
	test "$(grep -cE '^(web4|web6) ' <<<"$top")" = 2 -a \
	"$(grep -c '^  backend [123] ' <<<"$top")" = 3
# top_tmux KEY: xlb top in a tmux pane; KEY quits it; the terminal's
# settings after are those before.
top_tmux() {
	local key=$1
	rm -f "$WORK/tty.before" "$WORK/tty.after" "$WORK/top.rc"
	tmux new-session -d -s "$TMUX_S" -x 120 -y 30 \
		"stty -g >$WORK/tty.before; nsenter --net=/run/netns/$LAB_NS_LB1 $BUILD/xlb -s $SOCK top; echo \$? >$WORK/top.rc; stty -g >$WORK/tty.after; sleep 60" || return 1
	for _ in $(seq 30); do
		tmux capture-pane -p -t "$TMUX_S" | grep -q '^web4 ' && break
		sleep 0.2
	done
	tmux capture-pane -p -t "$TMUX_S" | grep -q '^web4 ' || {
		echo "no frame:"; tmux capture-pane -p -t "$TMUX_S"; return 1; }
	tmux send-keys -t "$TMUX_S" "$key"
	for _ in $(seq 30); do
		[ -s "$WORK/tty.after" ] && break
		sleep 0.1
	done
	tmux kill-session -t "$TMUX_S"
	echo "exit $(cat "$WORK/top.rc" 2>/dev/null)"
	test "$(cat "$WORK/top.rc" 2>/dev/null)" = 0 && cmp "$WORK/tty.before" "$WORK/tty.after"
}
check "xlb top under tmux quits on q, exit 0, terminal restored" top_tmux q
check "xlb top under tmux quits on Ctrl-C, exit 0, terminal restored" top_tmux C-c
check "xlbd is still serving /healthz" \
	test "$(get -o /dev/null -w '%{http_code}' "$URL/healthz")" = 200
# A reload that moves the endpoint rebinds within a second or two.
sed -i "s/listen: 127.0.0.1:$MPORT/listen: 127.0.0.1:$((MPORT + 1))/" "$CFG"
moved() {
	xlb reload || return 1
	for _ in $(seq 30); do
		[ "$(get -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((MPORT + 1))/healthz")" = 200 ] &&
			! get -o /dev/null "$URL/healthz" && return 0
		sleep 0.1
	done
	echo "not moved:"; tail -5 "$WORK/xlbd.log"
	return 1
}
check "a reload that changes metrics.listen moves the endpoint" moved
ktap_finish
