#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# lab-selftest.sh - checks scripts/lab.sh on a lab of its own: a failed up
# leaves nothing, then twice (default sizes, then 4 backends, 2 clients and
# 2 LBs for ECMP) up, idempotent up, every node, curl from every client to
# every backend over IPv4 and IPv6, VIP routes, the XDP_PASS program on each
# LB peer and an XDP_TX echo through it, down, and nothing left.
#
# Usage: selftests/e2e/lab-selftest.sh   (root; LAB_ID picks the lab, default a
# fresh random one so runs in parallel never collide). Output in KTAP
# (selftests/e2e/ktap.sh); the last line is "N passed, N failed"; the exit
# status is 1 if any failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly ROOT
readonly LAB=$ROOT/scripts/lab.sh
readonly BUILD=${LAB_BUILD:-$ROOT/build}
readonly ECHO_SRC=$ROOT/selftests/e2e/udp_echo.bpf.c
# shellcheck source=selftests/e2e/ktap.sh
. "$ROOT/selftests/e2e/ktap.sh"

TMP=
ID=

usage()
{
	sed -n '3,/^set -/{/^set -/d;s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" | sed '/./,$!d'
}

lab()
{
	LAB_ID=$ID "$LAB" "$@"
}

# A lab ID nobody uses now: random, so concurrent runs pick different ones.
fresh_id()
{
	local id

	while :; do
		id=t$(tr -dc 'a-z0-9' </dev/urandom | head -c 5)
		if ! ip netns list | grep -q "^xlb-$id-" && [ ! -e "/run/xlb-lab/$id" ]; then
			echo "$id"
			return 0
		fi
	done
}

# The echo fixture is built here, not by make: it is only for this test.
build_echo()
{
	clang -g -O2 -target bpf -Wall -Werror -I"/usr/include/$(gcc -print-multiarch)" \
		-c "$ECHO_SRC" -o "$TMP/udp_echo.bpf.o"
}

cleanup()
{
	if [ -n "$ID" ]; then
		lab down >/dev/null 2>&1 || true
	fi
	[ -z "$TMP" ] || rm -rf "$TMP"
}

# ------------------------------------------------------------ checks ----

# A failure during up (here: an unloadable xlb_pass object) must name the
# step and leave nothing behind.
test_failed_up()
{
	local out rc=0

	mkdir -p "$TMP/badbuild"
	echo "not an ELF file" >"$TMP/badbuild/xlb_pass.bpf.o"
	out=$(LAB_BUILD=$TMP/badbuild lab up 2>&1) || rc=$?
	expect_eq "failed up exits non-zero" 1 "$rc"
	check "failed up says what failed" grep -q "^lab: up: sw: xlb_pass on $ID-lb1" <<<"$out"
	expect_eq "failed up leaves no namespace" "" "$(ip netns list | grep "^xlb-$ID-" || true)"
	check "failed up leaves no state dir" test ! -e "/run/xlb-lab/$ID"
}

test_bad_params()
{
	local rc=0

	LAB_ID=Bad-1 "$LAB" up >/dev/null 2>&1 || rc=$?
	expect_eq "up rejects a bad LAB_ID" 1 "$rc"
	rc=0
	LAB_ID=$ID LAB_BACKENDS=17 "$LAB" up >/dev/null 2>&1 || rc=$?
	expect_eq "up rejects LAB_BACKENDS=17" 1 "$rc"
}

test_nodes()
{
	local node missing=

	for node in sw rt $LAB_CL_NAMES $LAB_LB_NAMES $LAB_BE_NAMES; do
		[ -e "/run/netns/xlb-$ID-$node" ] || missing+=" $node"
	done
	expect_eq "every node exists ($((2 + LAB_CLIENTS + LAB_LBS + LAB_BACKENDS)))" "" "$missing"
}

# Every client reaches every backend's real address; the page names it.
test_backends()
{
	local cl i page a4 a6

	for cl in $LAB_CL_NAMES; do
		for ((i = 1; i <= LAB_BACKENDS; i++)); do
			page=LAB_BE${i}_PAGE
			a4=LAB_BE${i}_ADDR
			a6=LAB_BE${i}_ADDR6
			expect_eq "$cl -> be$i http://${!a4}/" "${!page}" \
				"$(lab exec "$cl" curl -s --max-time 3 "http://${!a4}/" || true)"
			expect_eq "$cl -> be$i http://[${!a6}]/" "${!page}" \
				"$(lab exec "$cl" curl -s --max-time 3 "http://[${!a6}]/" || true)"
		done
	done
	expect_eq "cl1 -> be1 /100k over IPv4 is 102400 bytes" "200 102400" \
		"$(lab exec cl1 curl -s -o /dev/null --max-time 3 -w '%{http_code} %{size_download}' \
			"http://$LAB_BE1_ADDR/100k" || true)"
	a6=LAB_BE${LAB_BACKENDS}_ADDR6
	expect_eq "cl1 -> be$LAB_BACKENDS /1k over IPv6 is 1024 bytes" "200 1024" \
		"$(lab exec cl1 curl -s -o /dev/null --max-time 3 -w '%{http_code} %{size_download}' \
			"http://[${!a6}]/1k" || true)"
}

# "ADDR1 ADDR2 ..." of the LBs, for matching a route's gateway.
lb_addrs()
{
	local i v

	for ((i = 1; i <= LAB_LBS; i++)); do
		v=LAB_LB${i}_ADDR${1:-}
		echo "${!v}"
	done
}

test_routes()
{
	local via hops

	via=$(lab exec rt ip route get "$LAB_VIP4" | grep -o 'via [^ ]*' | awk '{ print $2 }')
	check "rt: route to $LAB_VIP4 goes via an LB ($via)" grep -qxF "$via" <<<"$(lb_addrs)"
	via=$(lab exec rt ip -6 route get "$LAB_VIP6" | grep -o 'via [^ ]*' | awk '{ print $2 }')
	check "rt: route to $LAB_VIP6 goes via an LB ($via)" grep -qxF "$via" <<<"$(lb_addrs 6)"
	hops=$(lab exec rt ip route show "$LAB_VIP4_NET" | grep -o 'via [^ ]*' | awk '{ print $2 }' | sort)
	expect_eq "rt: $LAB_VIP4_NET has one nexthop per LB" "$(lb_addrs | sort)" "$hops"
	hops=$(lab exec rt ip -6 route show "$LAB_VIP6_NET" | grep -o 'via [^ ]*' | awk '{ print $2 }' | sort)
	expect_eq "rt: $LAB_VIP6_NET has one nexthop per LB" "$(lb_addrs 6 | sort)" "$hops"
	if ((LAB_LBS > 1)); then
		expect_eq "rt: 32 client flows to $LAB_VIP4 spread over all LBs" "$(lb_addrs | sort)" \
			"$(flow_gateways "$LAB_VIP4" "$LAB_CL1_ADDR")"
		expect_eq "rt: 32 client flows to $LAB_VIP6 spread over all LBs" "$(lb_addrs 6 | sort)" \
			"$(flow_gateways "$LAB_VIP6" "$LAB_CL1_ADDR6")"
	fi
	check "rt: nothing outside the lab is routable" \
		bash -c "! LAB_ID=$ID '$LAB' exec rt ip route get 8.8.8.8"
}

# The gateways the router picks for 32 TCP flows from CLIENT to VIP that
# differ only in the source port: with the L4 multipath hash they spread.
flow_gateways()
{
	local vip=$1 client=$2 sport

	for sport in $(seq 40000 40031); do
		lab exec rt ip route get "$vip" from "$client" iif eth1 ipproto tcp \
			sport "$sport" dport 80
	done | grep -o 'via [^ ]*' | awk '{ print $2 }' | sort -u
}

test_sysctls()
{
	expect_eq "rt: forwarding on, redirects off, L4 multipath hash" "1 1 0 0 1 1" \
		"$(lab exec rt sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding \
			net.ipv4.conf.all.send_redirects net.ipv4.conf.eth0.send_redirects \
			net.ipv4.fib_multipath_hash_policy net.ipv6.fib_multipath_hash_policy | xargs)"
	expect_eq "be1: arp_ignore 1, arp_announce 2, rp_filter 0" "1 2 0 0" \
		"$(lab exec be1 sysctl -n net.ipv4.conf.eth0.arp_ignore \
			net.ipv4.conf.eth0.arp_announce net.ipv4.conf.all.rp_filter \
			net.ipv4.conf.eth0.rp_filter | xargs)"
	expect_eq "cl1: eth0 checksum/TSO/GSO/GRO offloads off" "off off off off" \
		"$(lab exec cl1 ethtool -k eth0 | grep -E '^(tx-checksumming|tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload):' | awk '{ print $2 }' | xargs)"
}

# xlb_pass in native mode on every LB's switch-side peer, and the proof
# that it does its job: a fixture on the LB's eth0 echoes a UDP datagram
# from the router with XDP_TX, and the router's socket gets it back. Once,
# on lb1, the same without xlb_pass shows the echo is then lost, so the
# check can fail.
test_xdp()
{
	local lb n peer link name

	for lb in $LAB_LB_NAMES; do
		n=${lb^^}
		peer=LAB_${n}_PEER
		link=$(ip -n "$LAB_NS_SW" -o link show dev "${!peer}")
		check "sw: native XDP on ${!peer}" grep -q 'mtu [0-9]* xdp ' <<<"$link"
		name=$(bpftool prog show id "$(grep -o 'prog/xdp id [0-9]*' <<<"$link" | awk '{ print $3 }')" |
			grep -o 'name [^ ]*' | awk '{ print $2 }')
		expect_eq "sw: program on ${!peer} is xlb_pass" xlb_pass "$name"

		check "$lb: attach the UDP echo fixture" ip -n "xlb-$ID-$lb" link set dev eth0 xdpdrv \
			obj "$TMP/udp_echo.bpf.o" sec xdp
		expect_eq "$lb: XDP_TX echo out of eth0 reaches rt" xlb-echo "$(udp_echo "$lb")"
		if [ "$lb" = lb1 ]; then
			ip -n "$LAB_NS_SW" link set dev "${!peer}" xdpdrv off
			expect_eq "$lb: without xlb_pass on the peer the echo is lost" "" "$(udp_echo "$lb")"
			check "sw: put xlb_pass back on ${!peer}" ip -n "$LAB_NS_SW" link set \
				dev "${!peer}" xdpdrv obj "$BUILD/xlb_pass.bpf.o" sec xdp
		fi
		ip -n "xlb-$ID-$lb" link set dev eth0 xdpdrv off
	done
}

# Send "xlb-echo" from the router to LB:7 on a connected UDP socket and
# print what comes back within a second (one datagram, 9 bytes).
udp_echo()
{
	local v=LAB_${1^^}_ADDR

	# shellcheck disable=SC2016
	lab exec rt bash -c 'exec 3<>"/dev/udp/$0/7"; printf "xlb-echo\n" >&3; timeout 1 head -c 9 <&3' \
		"${!v}" 2>/dev/null | tr -d '\n' || true
}

test_status()
{
	local out

	out=$(lab status)
	check "status shows xlb_pass" grep -q "xdp: $LAB_LB1_PEER xdp xlb_pass" <<<"$out"
	check "status shows nginx pids" grep -q "nginx: pid $LAB_BE1_NGINX_PID " <<<"$out"
}

# Pids of every nginx process of this lab: masters from the env, workers
# their children. Taken before down, checked after.
nginx_pids()
{
	local i v

	for ((i = 1; i <= LAB_BACKENDS; i++)); do
		v=LAB_BE${i}_NGINX_PID
		echo "${!v}"
		pgrep -P "${!v}" || true
	done
}

# A pid is gone if no process has it, or only a zombie waiting for init.
alive_pids()
{
	local pid st

	for pid in "$@"; do
		st=$(ps -o stat= -p "$pid" 2>/dev/null || true)
		[ -z "$st" ] || [[ $st == Z* ]] || echo "$pid"
	done
}

test_down()
{
	local pids out

	pids=$(nginx_pids | xargs)
	check "down" lab down
	expect_eq "down leaves no namespace" "" "$(ip netns list | grep "^xlb-$ID-" || true)"
	check "down leaves no state dir" test ! -e "/run/xlb-lab/$ID"
	# shellcheck disable=SC2086
	expect_eq "down leaves no nginx ($(wc -w <<<"$pids") pids checked)" "" "$(alive_pids $pids | xargs)"
	out=$(pgrep -af "/run/xlb-lab/$ID/" || true)
	expect_eq "down leaves no process using the lab's state dir" "" "$out"
	out=$(lab down)
	expect_eq "down on a lab that is not up" "lab: down: lab $ID is not up" "$out"
}

# round_plan BACKENDS CLIENTS LBS: how many results round() reports, by
# the checks above (round's own 4, nodes 1, backends 2 per client and
# backend + 2, routes 5 + 2 with ECMP, sysctls 3, xdp 4 per LB + 2, status
# 2, down 6). ktap_finish fails the run if the count is off.
round_plan()
{
	echo $((4 + 1 + 2 * $1 * $2 + 2 + 5 + ($3 > 1 ? 2 : 0) + 3 + 4 * $3 + 2 + 2 + 6))
}

# One round: up with the given sizes, all checks, down.
round()
{
	local out end=$((KTAP_N + $(round_plan "$@")))

	export LAB_BACKENDS=$1 LAB_CLIENTS=$2 LAB_LBS=$3
	ktap_diag "round: LAB_ID=$ID LAB_BACKENDS=$1 LAB_CLIENTS=$2 LAB_LBS=$3"
	if ! out=$(lab up 2>&1); then
		ktap_fail "up" "$out"
		ktap_skip_to "$end" "the lab did not come up"
		return 0
	fi
	ktap_pass "up"
	expect_eq "up again is a no-op" \
		"lab: up: lab $ID already up (backends=$1 clients=$2 lbs=$3)" "$(lab up 2>&1)"
	check "env file matches lab.sh env" cmp -s <(lab env) "/run/xlb-lab/$ID/env"
	set -a
	# shellcheck disable=SC1090
	. <(lab env)
	set +a
	expect_eq "env names this lab" "$ID" "$LAB_ID"
	test_nodes
	test_backends
	test_routes
	test_sysctls
	test_xdp
	test_status
	test_down
}

main()
{
	case ${1:-} in
	-h | --help)
		usage
		exit 0
		;;
	"") ;;
	*)
		echo "lab-selftest: $1: unknown argument (--help)" >&2
		exit 2
		;;
	esac
	[ "$(id -u)" -eq 0 ] || { echo "lab-selftest: need root" >&2; exit 1; }
	[ -f "$BUILD/xlb_pass.bpf.o" ] || { echo "lab-selftest: run make all first" >&2; exit 1; }
	ID=${LAB_ID:-$(fresh_id)}
	TMP=$(mktemp -d /tmp/xlb-lab-selftest.XXXXXX)
	KTAP_LOG=$TMP/check.log
	trap cleanup EXIT
	build_echo
	# test_bad_params 2, test_failed_up 4, then the two rounds
	ktap_begin $((6 + $(round_plan 3 1 1) + $(round_plan 4 2 2)))
	ktap_diag "lab-selftest: LAB_ID=$ID"

	test_bad_params
	test_failed_up
	round 3 1 1
	round 4 2 2

	ktap_finish
}

main "$@"
