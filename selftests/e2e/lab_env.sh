# SPDX-License-Identifier: GPL-2.0
#
# This file holds the preamble and helpers the lab suites that run one xlbd
# on lb1 share (e2e.sh, health.sh, health-kinds.sh, health-tunnel.sh,
# health-scenarios.sh): --help, the work dir, pin dir and lab id unique per
# PID, the cleanup on every exit path (ab and xlbd killed, lab down, pins
# and work dir removed), the lab's bring-up as the first KTAP test, xlbd's
# start, nginx stop/start, and the small client/ab/timing helpers.
#
# Usage: ROOT=...; . "$ROOT/selftests/e2e/lab_env.sh"; ktap_args "$@";
# lab_env ID_PREFIX WORK_NAME PIN_NAME [BACKENDS]; then write_config etc.;
# ktap_begin N; lab_up; ... A suite with more to clean up defines
# lab_cleanup_more (called after xlbd is killed, before the lab goes down).

# shellcheck shell=bash
# shellcheck source=selftests/e2e/ktap.sh
. "$(dirname "${BASH_SOURCE[0]}")/ktap.sh"

# lab_env ID_PREFIX WORK_NAME PIN_NAME [BACKENDS]: the suite's names
# (LAB_ID ID_PREFIX<pid>, /tmp/WORK_NAME.XXXXXX,
# /sys/fs/bpf/PIN_NAME-$LAB_ID), the lab's backends (default 3), the common
# variables, and the cleanup trap.
lab_env()
{
	BUILD=${BUILD:-$ROOT/build}
	export LAB_ID=${LAB_ID:-$1$(($$ % 100000))}
	export LAB_BACKENDS=${4:-3}
	LAB="$ROOT/scripts/lab.sh"
	WORK=$(mktemp -d "/tmp/$2.XXXXXX")
	PIN=/sys/fs/bpf/$3-$LAB_ID
	SOCK=$WORK/xlbd.sock
	CFG=$WORK/xlb.yaml
	XLBD_PID=
	AB_PID=
	KTAP_LOG=$WORK/check.log
	NEXT_PORT=20000 # backends_seen's next client port
	trap lab_cleanup EXIT
}

lab_cleanup()
{
	[ -n "$AB_PID" ] && kill "$AB_PID" 2>/dev/null
	[ -n "$XLBD_PID" ] && kill -9 "$XLBD_PID" 2>/dev/null
	declare -F lab_cleanup_more >/dev/null && lab_cleanup_more
	if [ "${E2E_KEEP:-0}" = 1 ]; then
		echo "# lab $LAB_ID left up (E2E_KEEP=1); xlbd socket $SOCK" >&2
		return
	fi
	"$LAB" down >/dev/null 2>&1
	rm -rf "$PIN" "$WORK"
}

# lab_up: the lab comes up (a test) and its env is exported; if it does
# not, the rest of the plan is skipped and the suite exits 1.
lab_up()
{
	ktap_diag "lab $LAB_ID: bringing it up"
	if ! "$LAB" up >"$WORK/lab.log" 2>&1; then
		ktap_fail "the lab comes up" "$(cat "$WORK/lab.log")"
		ktap_skip_to "$KTAP_PLAN" "the lab did not come up"
		ktap_finish
		exit 1
	fi
	set -a
	# shellcheck disable=SC1090
	eval "$("$LAB" env)"
	set +a
	ktap_pass "the lab comes up ($LAB_BACKENDS backends)"
}

in_ns() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }
xlb() { in_ns "$LAB_NS_LB1" "$BUILD/xlb" -s "$SOCK" --pin-dir "$PIN" "$@"; }
client() { in_ns "$LAB_NS_CL1" "$@"; }

# start_xlbd [LOG]: xlbd on lb1's eth0 (log: LOG, default $WORK/xlbd.log);
# nsenter execs it, so $! is xlbd itself: waits up to 5 s until the daemon
# answering on the socket is the one just started.
start_xlbd()
{
	local pid log=${1:-$WORK/xlbd.log}
	nsenter --net="/run/netns/$LAB_NS_LB1" "$BUILD/xlbd" -c "$CFG" \
		-s "$SOCK" -i eth0 --state-dir "$WORK" >>"$log" 2>&1 &
	XLBD_PID=$!
	for _ in $(seq 100); do
		pid=$(xlb --json status 2>/dev/null | jq -r .pid 2>/dev/null)
		[ "$pid" = "$XLBD_PID" ] && return 0
		kill -0 "$XLBD_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "xlbd (pid $XLBD_PID) did not come up:"
	sed 's/^/  /' "$log"
	return 1
}

now() { date +%s.%N; }
calc() { awk "BEGIN { print $* }"; } # calc EXPR: a float
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; } # le A B

# ab_failures LOG: ab's failed requests (connect, receive, length,
# exceptions) + non-2xx; a huge number if ab completed nothing.
ab_failures()
{
	awk '/^Failed requests:/ {f += $3} /^Non-2xx responses:/ {f += $3}
	     /^Complete requests:/ {c = $3} END {print (c ? f : 999999)}' "$1"
}

# config_head: the top of the suites' xlbd config, up to and including
# backends 1-3 of the lab (tunnel mode, IPv4, with their MACs).
config_head()
{
	local i a m
	echo "pin_dir: $PIN"
	echo "hash_seed: 24301"
	echo "maglev_size: 65537"
	echo "mtu: $LAB_MTU"
	echo "encap: { source4: 198.19.0.0 }"
	echo "nexthop: { interface: eth0, address: $LAB_RT_INTERNAL_ADDR }"
	echo "backends:"
	for i in 1 2 3; do
		eval "a=\$LAB_BE${i}_ADDR; m=\$LAB_BE${i}_MAC"
		echo "  - { id: $i, address: $a, mac: '$m' }"
	done
}

# backends_seen URL N: sets $seen: the backends N new connections from cl1
# to URL reached (one line each, sorted, unique). Not called in $(...): the
# port counter must persist. Every connection gets a client port never used
# before in this run (below the ephemeral range ab uses): a reused port
# could still be in TIME_WAIT on the client, or match a live conntrack
# entry, which is not a new flow.
backends_seen()
{
	local url=$1 n=$2 i first=$NEXT_PORT
	NEXT_PORT=$((NEXT_PORT + n))
	# shellcheck disable=SC2034 # $seen is for the caller
	seen=$(for ((i = first; i < first + n; i++)); do
		client curl -s --max-time 3 --local-port "$i" "$url"
	done | sort -u)
}

# nginx_stop N / nginx_start N: backend N's nginx (the lab's) stopped and
# gone within 5 s / started again.
nginx_dir() { echo "$LAB_STATE/be$1"; }
nginx_stop()
{
	local d
	d=$(nginx_dir "$1")
	kill -TERM "$(cat "$d/nginx.pid")" || return 1
	for _ in $(seq 100); do
		[ -s "$d/nginx.pid" ] || return 0
		sleep 0.05
	done
	echo "nginx of be$1 did not stop"
	return 1
}
nginx_start()
{
	local d
	d=$(nginx_dir "$1")
	in_ns "$(eval echo "\$LAB_NS_BE$1")" nginx -p "$d/" -c "$d/nginx.conf" \
		-e "$d/error.log" -g 'daemon on;'
}

# Run rather than sourced: say what this file is.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "usage: . selftests/e2e/lab_env.sh   (sourced by the lab suites; run, it only prints this)"
fi
