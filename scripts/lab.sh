#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# lab.sh - a network-namespace lab for xlb: clients, a router, one-arm load
# balancer nodes and nginx backends, all on one machine, used by the demo, the
# end-to-end tests and the benchmarks.
#
#   cl1..clN ──┐                                       ┌── lb1..lbN  (XDP: the controller's)
#              │ ext bridge        int bridge (MTU 1600)│
#              ├────────── rt ──────────────────────────┼── be1..beN  (nginx, VIPs on lo, decap)
#   203.0.113.0/24             198.18.0.0/24
#   2001:db8:c::/64            2001:db8:1::/64
#
# The router routes the VIP prefixes 192.0.2.0/24 and 2001:db8::/64 to the LB
# node(s) (ECMP over all of them, L4 hash); an LB sends each packet on to a
# backend (tunnel or L2 DSR) and the backend answers the client directly.
#
# Usage: scripts/lab.sh up|down|status|env|exec NODE CMD...|help
#
# Parameters (environment):
#   LAB_ID        lab name, [a-z0-9]{1,6}, default "lab". Every namespace,
#                 bridge port and state path carries it, so labs never collide.
#   LAB_BACKENDS  backends be1..beN, 1..16, default 3
#   LAB_CLIENTS   clients cl1..clN, 1..4, default 1
#   LAB_LBS       load balancer nodes lb1..lbN, 1..4, default 1
#   LAB_BUILD     build directory, default <repo>/build (xlb_pass.bpf.o, xlb-decap)
#
# Nodes live in netns xlb-$LAB_ID-NODE (NODE: sw rt clI lbI beI); the state
# (nginx configs, logs, docroots, the env file) in /run/xlb-lab/$LAB_ID/.
# Nothing is created in the root namespace except the netns files. `down`
# ends every process left in the lab's namespaces (nginx, a controller, a
# shell from `exec`) and removes namespaces and state.
#
# `env` (and /run/xlb-lab/$LAB_ID/env) describes the lab as KEY=VALUE lines:
#   LAB_ID LAB_STATE LAB_BACKENDS LAB_CLIENTS LAB_LBS LAB_MTU LAB_DECAP
#   LAB_VIP4 LAB_VIP6 LAB_VIP4_NET LAB_VIP6_NET
#   LAB_NS_SW LAB_SW_BRIDGE LAB_SW_CLIENT_BRIDGE
#   LAB_NS_RT LAB_RT_{INTERNAL,CLIENT}_{IF,ADDR,ADDR6,MAC}
#   LAB_LB_NAMES, per LB:      LAB_NS_LB1 LAB_LB1_{IF,ADDR,ADDR6,MAC,PEER}
#   LAB_BE_NAMES LAB_BE_ADDRS LAB_BE_ADDRS6,
#              per backend: LAB_NS_BE1 LAB_BE1_{IF,ADDR,ADDR6,MAC,PAGE,NGINX_PID}
#   LAB_CL_NAMES, per client:  LAB_NS_CL1 LAB_CLIENT1_NS LAB_CL1_{IF,ADDR,ADDR6,MAC}
#
# `exec NODE CMD...` runs CMD with $LAB_BUILD first on PATH (so `xlb` is the
# build's) and, when whoever started an xlbd on NODE recorded it in
# /run/xlb-lab/$LAB_ID/NODE.xlb (XLB_SOCKET=... and XLB_PIN_DIR=... lines;
# scripts/demo.sh does), with those exported, so `scripts/lab.sh exec lb1
# xlb stats` reaches that xlbd. Values already in the environment win.
set -euo pipefail
umask 022

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly BUILD=${LAB_BUILD:-$ROOT/build}
readonly ID=${LAB_ID:-lab}
readonly NBE=${LAB_BACKENDS:-3}
readonly NCL=${LAB_CLIENTS:-1}
readonly NLB=${LAB_LBS:-1}

readonly STATE_BASE=/run/xlb-lab
readonly STATE=$STATE_BASE/$ID
readonly LOCK=$STATE_BASE/$ID.lock
readonly PASS_OBJ=$BUILD/xlb_pass.bpf.o
readonly DECAP=$BUILD/xlb-decap

readonly MTU=1600
readonly VIP4=192.0.2.10 VIP6=2001:db8::10
readonly VIP4_NET=192.0.2.0/24 VIP6_NET=2001:db8::/64
readonly INT4=198.18.0 INT6=2001:db8:1:: EXT4=203.0.113 EXT6=2001:db8:c::
# Bridges and their ports sit in the switch namespace; the ID in their names
# keeps captures and `ip link` output from two labs apart.
readonly BR_INT=$ID-int BR_EXT=$ID-ext

# Set while `up` runs: a failure then tears the half-built lab down.
UP_RUNNING=0
# What failed last (set by the ERR trap), for a failure outside step().
ERR_AT=

usage()
{
	cat <<EOF
usage: scripts/lab.sh COMMAND
  up               build the lab (idempotent: a lab already up is left alone)
  down             remove everything up made (safe on a half-built lab)
  status           nodes, addresses, nginx pids, XDP programs
  env              shell variables describing the lab (also in $STATE_BASE/ID/env);
                   use: set -a; eval "\$(scripts/lab.sh env)"; set +a
  exec NODE CMD... run CMD in NODE's network namespace (nsenter --net, so
                   bpffs stays visible; /sys/class/net is the root one's),
                   build dir first on PATH, XLB_SOCKET/XLB_PIN_DIR of the
                   xlbd recorded in $STATE_BASE/ID/NODE.xlb if any
                   (e.g. LAB_ID=demo scripts/lab.sh exec lb1 xlb stats)
  help             this text
nodes: sw rt cl1..clN lb1..lbN be1..beN
parameters (environment):
  LAB_ID=$ID          [a-z0-9]{1,6}; namespaces are xlb-\$LAB_ID-NODE
  LAB_BACKENDS=$NBE     1..16
  LAB_CLIENTS=$NCL      1..4
  LAB_LBS=$NLB          1..4
  LAB_BUILD=$BUILD
addresses: rt 198.18.0.1 2001:db8:1::1 / 203.0.113.1 2001:db8:c::1
           lbI 198.18.0.(1+I) 2001:db8:1::(1+I)   beI 198.18.0.(10+I) 2001:db8:1::(10+I)
           clI 203.0.113.(10+I) 2001:db8:c::(10+I)   VIPs $VIP4 $VIP6 (on the backends' lo)
EOF
}

die()
{
	echo "lab: $*" >&2
	exit 1
}

warn()
{
	echo "lab: warning: $*" >&2
}

# Reject bad parameters before anything is created: a bad LAB_ID could make
# names that collide with another lab or exceed IFNAMSIZ.
validate_params()
{
	[[ $ID =~ ^[a-z0-9]{1,6}$ ]] || die "LAB_ID must match [a-z0-9]{1,6} (got '$ID')"
	check_count LAB_BACKENDS "$NBE" 16
	check_count LAB_CLIENTS "$NCL" 4
	check_count LAB_LBS "$NLB" 4
}

check_count()
{
	local name=$1 val=$2 max=$3

	if ! [[ $val =~ ^[0-9]{1,2}$ ]] || ((val < 1 || val > max)); then
		die "$name must be 1..$max (got '$val')"
	fi
}

ns_of()
{
	echo "xlb-$ID-$1"
}

# Run a command in a node's network namespace only. Unlike `ip netns exec`
# it keeps the mount namespace, so /sys/fs/bpf stays visible to BPF tools.
# fd 9 is our lock: a daemon started here (nginx) must not inherit it.
in_ns()
{
	local node=$1
	shift
	nsenter --net="/run/netns/$(ns_of "$node")" -- "$@" 9>&-
}

# Nodes this lab's parameters call for, in build order.
wanted_nodes()
{
	local i

	printf "%s\n" sw rt
	for ((i = 1; i <= NCL; i++)); do echo "cl$i"; done
	for ((i = 1; i <= NLB; i++)); do echo "lb$i"; done
	for ((i = 1; i <= NBE; i++)); do echo "be$i"; done
}

# Nodes whose namespace exists now, whatever parameters built them: `down`
# must find a half-built lab or one made with other counts. Sorted in build
# order (sw rt cl* lb* be*, by number) for a readable status.
existing_nodes()
{
	ip netns list 2>/dev/null | awk '{ print $1 }' |
		sed -n "s/^xlb-$ID-\(sw\|rt\|cl[0-9]\+\|lb[0-9]\+\|be[0-9]\+\)$/\1/p" |
		awk '{ k = index("swrtcllbbe", substr($0, 1, 2)); print k, substr($0, 3) + 0, $0 }' |
		sort -n -k1,1 -k2,2 | awk '{ print $3 }'
}

lb_addr() { echo "$INT4.$((1 + $1))"; }
lb_addr6() { echo "$INT6$((1 + $1))"; }
be_addr() { echo "$INT4.$((10 + $1))"; }
be_addr6() { echo "$INT6$((10 + $1))"; }
cl_addr() { echo "$EXT4.$((10 + $1))"; }
cl_addr6() { echo "$EXT6$((10 + $1))"; }

# One lock per lab ID serialises up and down of the same lab; labs with
# other IDs go on in parallel. A concurrent `down` of another lab may
# remove the (shared, empty) base directory under us, hence the retry.
take_lock()
{
	local _

	for _ in 1 2 3; do
		mkdir -p "$STATE_BASE"
		if { exec 9>>"$LOCK"; } 2>/dev/null; then
			flock -w 120 9 || die "$1: another lab.sh holds $LOCK"
			return 0
		fi
	done
	die "$1: cannot open $LOCK"
}

release_lock()
{
	rm -f "$LOCK"
	rmdir "$STATE_BASE" 2>/dev/null || true
	exec 9>&-
}

# ---------------------------------------------------------------- up ----

# A failure in `up` removes what was built and names the step that failed.
up_fail()
{
	# In a subshell (a command substitution) only the main shell may tear
	# down; it sees the non-zero status and reports.
	[ "$BASHPID" = "$$" ] || exit 1
	echo "lab: up: $*" >&2
	if ((UP_RUNNING)); then
		UP_RUNNING=0
		teardown
		release_lock
	fi
	exit 1
}

# EXIT trap while `up` runs: set -e stopped us somewhere step() does not
# cover, or a signal did.
up_exit()
{
	if ((UP_RUNNING)); then
		up_fail "${ERR_AT:-failed}"
	fi
}

# step DESCRIPTION CMD...: run CMD, and on failure report DESCRIPTION with
# the command's own message.
step()
{
	local what=$1 out
	shift

	if ! out=$("$@" 2>&1); then
		up_fail "$what: ${out//$'\n'/ }"
	fi
}

sysctls()
{
	local node=$1
	shift

	step "$node: sysctl $*" in_ns "$node" sysctl -qw "$@"
}

# A namespace with loopback up, no IPv6 DAD (addresses usable at once, no
# 1 s wait) and no router advertisements taken from anyone.
make_ns()
{
	local node=$1 ns

	ns=$(ns_of "$node")
	step "create netns $ns" ip netns add "$ns"
	sysctls "$node" net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	step "$node: lo up" ip -n "$ns" link set lo up
}

# The switch: two bridges, the internal segment (MTU 1600 so tunnel headers
# fit over a 1500-byte client packet) and the client segment. It has no
# addresses: IPv6 is off so it sends no RS/MLD noise of its own, multicast
# snooping is off so NDP is flooded like ARP, and br_netfilter (if the
# host loaded it) is told not to pass bridged frames through iptables.
make_switch()
{
	local ns

	ns=$(ns_of sw)
	make_ns sw
	sysctls sw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	if in_ns sw test -e /proc/sys/net/bridge/bridge-nf-call-iptables; then
		sysctls sw net.bridge.bridge-nf-call-iptables=0 \
			net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0
	fi
	step "sw: bridge $BR_INT" ip -n "$ns" link add "$BR_INT" mtu "$MTU" type bridge \
		mcast_snooping 0
	step "sw: bridge $BR_EXT" ip -n "$ns" link add "$BR_EXT" type bridge mcast_snooping 0
	step "sw: $BR_INT up" ip -n "$ns" link set "$BR_INT" up
	step "sw: $BR_EXT up" ip -n "$ns" link set "$BR_EXT" up
}

# plug NODE IFACE PORT BRIDGE MTU: a veth with IFACE in NODE and PORT on
# BRIDGE in the switch. Created inside the namespaces directly, so no name
# is ever taken in the root namespace.
plug()
{
	local node=$1 dev=$2 port=$3 br=$4 mtu=$5 ns sw

	ns=$(ns_of "$node")
	sw=$(ns_of sw)
	step "$node: veth $dev <-> sw $port" ip -n "$sw" link add "$port" mtu "$mtu" type veth \
		peer name "$dev" mtu "$mtu" netns "$ns"
	step "sw: $port into $br" ip -n "$sw" link set "$port" master "$br" up
	step "$node: $dev up" ip -n "$ns" link set "$dev" up
}

addr()
{
	local node=$1 dev=$2 a4=$3 a6=$4 ns

	ns=$(ns_of "$node")
	step "$node: address $a4 on $dev" ip -n "$ns" addr add "$a4" dev "$dev"
	step "$node: address $a6 on $dev" ip -n "$ns" -6 addr add "$a6" dev "$dev" nodad
}

# Frames that go through XDP lose the CHECKSUM_PARTIAL hint (the receiver
# then drops them), and XDP on veth cannot take GSO super-packets: senders
# whose frames may meet XDP checksum and segment in software.
offloads_off()
{
	local node=$1 dev=$2

	step "$node: ethtool -K $dev tx/tso/gso/gro off" \
		in_ns "$node" ethtool -K "$dev" tx off tso off gso off gro off
}

# The router: internal side eth0, client side eth1, forwarding on, no ICMP
# redirects (the LB and the backends share its segment, a redirect would
# teach a node to bypass it), VIP prefixes routed to the LB node(s).
make_router()
{
	local ns i dev hops4=() hops6=()

	ns=$(ns_of rt)
	make_ns rt
	sysctls rt net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0 \
		net.ipv4.fib_multipath_hash_policy=1 net.ipv6.fib_multipath_hash_policy=1
	plug rt eth0 "$ID-rt" "$BR_INT" "$MTU"
	plug rt eth1 "$ID-rtx" "$BR_EXT" 1500
	sysctls rt net.ipv4.conf.eth0.send_redirects=0 net.ipv4.conf.eth1.send_redirects=0
	addr rt eth0 "$INT4.1/24" "${INT6}1/64"
	addr rt eth1 "$EXT4.1/24" "${EXT6}1/64"
	for dev in eth0 eth1; do offloads_off rt "$dev"; done
	offloads_off sw "$ID-rt"
	offloads_off sw "$ID-rtx"

	for ((i = 1; i <= NLB; i++)); do
		hops4+=(nexthop via "$(lb_addr "$i")" dev eth0)
		hops6+=(nexthop via "$(lb_addr6 "$i")" dev eth0)
	done
	step "rt: route $VIP4_NET via the LBs" ip -n "$ns" route add "$VIP4_NET" "${hops4[@]}"
	step "rt: route $VIP6_NET via the LBs" ip -n "$ns" -6 route add "$VIP6_NET" "${hops6[@]}"
}

make_client()
{
	local i=$1 node=cl$1 ns

	ns=$(ns_of "$node")
	make_ns "$node"
	plug "$node" eth0 "$ID-$node" "$BR_EXT" 1500
	addr "$node" eth0 "$(cl_addr "$i")/24" "$(cl_addr6 "$i")/64"
	offloads_off "$node" eth0
	offloads_off sw "$ID-$node"
	step "$node: default route" ip -n "$ns" route add default via "$EXT4.1"
	step "$node: default route v6" ip -n "$ns" -6 route add default via "${EXT6}1"
}

# An LB node, ready for the controller's XDP program on eth0. XDP_TX out of
# eth0 lands on the switch-side peer, and a veth drops XDP frames unless
# that peer runs XDP itself: it gets xlb_pass, in native mode (a generic
# one would not count).
make_lb()
{
	local i=$1 node=lb$1 ns sw

	ns=$(ns_of "$node")
	sw=$(ns_of sw)
	make_ns "$node"
	plug "$node" eth0 "$ID-$node" "$BR_INT" "$MTU"
	addr "$node" eth0 "$(lb_addr "$i")/24" "$(lb_addr6 "$i")/64"
	offloads_off "$node" eth0
	offloads_off sw "$ID-$node"
	step "$node: default route" ip -n "$ns" route add default via "$INT4.1"
	step "$node: default route v6" ip -n "$ns" -6 route add default via "${INT6}1"
	step "sw: xlb_pass on $ID-$node" ip -n "$sw" link set dev "$ID-$node" xdpdrv \
		obj "$PASS_OBJ" sec xdp
}

# A backend: real address on eth0, the VIPs on lo. arp_ignore/arp_announce
# keep it from answering ARP for the VIP or using it as an ARP source (the
# VIP's "owner" on the segment is the LB). rp_filter off as DSR backends
# run it: a new namespace inherits the host's IPv4 setting, and a strict
# check would drop any VIP packet whose client is not routed back out of
# the interface it came in on (a decapsulated one, a test's odd route).
make_backend()
{
	local i=$1 node=be$1 ns

	ns=$(ns_of "$node")
	make_ns "$node"
	plug "$node" eth0 "$ID-$node" "$BR_INT" "$MTU"
	addr "$node" eth0 "$(be_addr "$i")/24" "$(be_addr6 "$i")/64"
	step "$node: VIP $VIP4 on lo" ip -n "$ns" addr add "$VIP4/32" dev lo
	step "$node: VIP $VIP6 on lo" ip -n "$ns" -6 addr add "$VIP6/128" dev lo nodad
	sysctls "$node" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.eth0.arp_ignore=1 \
		net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.eth0.arp_announce=2 \
		net.ipv4.conf.eth0.rp_filter=0 net.ipv4.conf.lo.rp_filter=0
	step "$node: default route" ip -n "$ns" route add default via "$INT4.1"
	step "$node: default route v6" ip -n "$ns" -6 route add default via "${INT6}1"
	nginx_setup "$i"
	nginx_start "$i"
	decap_attach "$i"
}

# nginx tuned for load tests: one worker per backend (16 backends share
# the machine), long keep-alive, no access log; every path it writes is
# under the backend's state dir so labs never share a file.
nginx_conf()
{
	local dir=$1

	cat <<EOF
# nginx for one xlb lab backend, written by scripts/lab.sh; lives and dies with the lab.
user www-data;
worker_processes 1;
worker_rlimit_nofile 65536;
pid $dir/nginx.pid;
error_log $dir/error.log warn;

events {
	worker_connections 16384;
	multi_accept on;
}

http {
	access_log off;
	types {
		text/plain txt;
	}
	default_type application/octet-stream;
	sendfile on;
	tcp_nopush on;
	tcp_nodelay on;
	keepalive_timeout 60s;
	keepalive_requests 1000000;
	open_file_cache max=16;
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;

	server {
		listen 80 default_server backlog=4096;
		listen [::]:80 default_server ipv6only=on backlog=4096;
		server_name _;
		root $dir/www;
		index index.txt;
		# a download that holds its connection open for about 4 s: the
		# server paces it (a client-side --limit-rate does not: curl reads
		# the whole body from its socket buffer and closes at once)
		location = /slow100k {
			limit_rate 25k;
		}
		# the same pace for any file a test puts in www/slow/ (longer
		# downloads: failover.sh)
		location /slow/ {
			limit_rate 25k;
		}
	}
}
EOF
}

nginx_setup()
{
	local i=$1 dir=$STATE/be$1

	step "be$i: state dir $dir" mkdir -p "$dir/www/slow" "$dir/tmp"
	echo "backend be$i $(be_addr "$i")" >"$dir/www/index.txt"
	head -c 1024 /dev/zero >"$dir/www/1k"
	head -c 102400 /dev/zero >"$dir/www/100k"
	head -c 102400 /dev/zero >"$dir/www/slow100k"
	nginx_conf "$dir" >"$dir/nginx.conf"
}

# Start nginx in the backend's namespace and wait until it serves its page
# on loopback: `up` returns only when every backend answers.
nginx_start()
{
	local i=$1 node=be$1 dir=$STATE/be$1 page

	step "$node: nginx start" in_ns "$node" nginx -p "$dir/" -c "$dir/nginx.conf" \
		-e "$dir/error.log" -g 'daemon on;'
	page="backend be$i $(be_addr "$i")"
	for _ in $(seq 50); do
		if [ "$(in_ns "$node" curl -s --max-time 1 http://127.0.0.1/ 2>/dev/null)" = "$page" ] &&
			[ -s "$dir/nginx.pid" ]; then
			return 0
		fi
		sleep 0.1
	done
	up_fail "$node: nginx does not serve its page (see $dir/error.log)"
}

# Tunnel modes need the backend to strip the outer header; the decap tool
# is another component's, so its absence only costs the tunnel modes.
decap_attach()
{
	local i=$1 node=be$1

	if [ ! -x "$DECAP" ]; then
		return 0
	fi
	step "$node: $DECAP attach eth0" in_ns "$node" timeout 30 "$DECAP" attach eth0 \
		"$(be_addr "$i")" "$(be_addr6 "$i")"
}

# The tools up needs, checked before anything is built.
check_tools()
{
	local t

	[ "$(id -u)" -eq 0 ] || die "up: need root"
	for t in ip nsenter ethtool nginx curl flock sysctl; do
		command -v "$t" >/dev/null || die "up: $t not found (run scripts/install-deps.sh)"
	done
	[ -f "$PASS_OBJ" ] || die "up: $PASS_OBJ missing (run make all)"
}

mac_of()
{
	ip -n "$(ns_of "$1")" -br link show dev "$2" | awk '{ print $3 }'
}

# The lab as shell variables, for the demo and the tests: per node
# LAB_NS_<NODE>, LAB_<NODE>_{IF,ADDR,ADDR6,MAC}; lists for loops.
write_env()
{
	local i n names

	echo "# xlb lab $ID, written by scripts/lab.sh up. Use: set -a; . $STATE/env; set +a"
	echo "LAB_ID=$ID"
	echo "LAB_STATE=$STATE"
	echo "LAB_BACKENDS=$NBE"
	echo "LAB_CLIENTS=$NCL"
	echo "LAB_LBS=$NLB"
	echo "LAB_MTU=$MTU"
	echo "LAB_DECAP=$([ -x "$DECAP" ] && echo 1 || echo 0)"
	echo "LAB_VIP4=$VIP4"
	echo "LAB_VIP6=$VIP6"
	echo "LAB_VIP4_NET=$VIP4_NET"
	echo "LAB_VIP6_NET=$VIP6_NET"
	echo "LAB_NS_SW=$(ns_of sw)"
	echo "LAB_SW_BRIDGE=$BR_INT"
	echo "LAB_SW_CLIENT_BRIDGE=$BR_EXT"
	echo "LAB_NS_RT=$(ns_of rt)"
	echo "LAB_RT_INTERNAL_IF=eth0"
	echo "LAB_RT_INTERNAL_ADDR=$INT4.1"
	echo "LAB_RT_INTERNAL_ADDR6=${INT6}1"
	echo "LAB_RT_INTERNAL_MAC=$(mac_of rt eth0)"
	echo "LAB_RT_CLIENT_IF=eth1"
	echo "LAB_RT_CLIENT_ADDR=$EXT4.1"
	echo "LAB_RT_CLIENT_ADDR6=${EXT6}1"
	echo "LAB_RT_CLIENT_MAC=$(mac_of rt eth1)"

	names=$(seq -f 'lb%g' -s ' ' "$NLB")
	echo "LAB_LB_NAMES='$names'"
	for ((i = 1; i <= NLB; i++)); do
		n=LB$i
		echo "LAB_NS_$n=$(ns_of "lb$i")"
		echo "LAB_${n}_IF=eth0"
		echo "LAB_${n}_ADDR=$(lb_addr "$i")"
		echo "LAB_${n}_ADDR6=$(lb_addr6 "$i")"
		echo "LAB_${n}_MAC=$(mac_of "lb$i" eth0)"
		echo "LAB_${n}_PEER=$ID-lb$i"
	done

	names=$(seq -f 'be%g' -s ' ' "$NBE")
	echo "LAB_BE_NAMES='$names'"
	echo "LAB_BE_ADDRS='$(for ((i = 1; i <= NBE; i++)); do be_addr "$i"; done | xargs)'"
	echo "LAB_BE_ADDRS6='$(for ((i = 1; i <= NBE; i++)); do be_addr6 "$i"; done | xargs)'"
	for ((i = 1; i <= NBE; i++)); do
		n=BE$i
		echo "LAB_NS_$n=$(ns_of "be$i")"
		echo "LAB_${n}_IF=eth0"
		echo "LAB_${n}_ADDR=$(be_addr "$i")"
		echo "LAB_${n}_ADDR6=$(be_addr6 "$i")"
		echo "LAB_${n}_MAC=$(mac_of "be$i" eth0)"
		echo "LAB_${n}_PAGE='backend be$i $(be_addr "$i")'"
		echo "LAB_${n}_NGINX_PID=$(cat "$STATE/be$i/nginx.pid")"
	done

	names=$(seq -f 'cl%g' -s ' ' "$NCL")
	echo "LAB_CL_NAMES='$names'"
	for ((i = 1; i <= NCL; i++)); do
		n=CL$i
		echo "LAB_NS_$n=$(ns_of "cl$i")"
		echo "LAB_CLIENT${i}_NS=$(ns_of "cl$i")"
		echo "LAB_${n}_IF=eth0"
		echo "LAB_${n}_ADDR=$(cl_addr "$i")"
		echo "LAB_${n}_ADDR6=$(cl_addr6 "$i")"
		echo "LAB_${n}_MAC=$(mac_of "cl$i" eth0)"
	done
}

# What `up` compares to decide whether a lab that exists is the one asked for.
params_line()
{
	echo "backends=$NBE clients=$NCL lbs=$NLB"
}

# Returns 0 if the lab is fully up with these parameters (nothing to do),
# dies if it is up with other ones, and clears a half-built one.
check_existing()
{
	local nodes

	nodes=$(existing_nodes)
	if [ -f "$STATE/complete" ]; then
		if [ "$(cat "$STATE/params")" != "$(params_line)" ]; then
			die "up: lab $ID is already up with $(cat "$STATE/params"); run down first"
		fi
		if [ "$nodes" = "$(wanted_nodes)" ]; then
			echo "lab: up: lab $ID already up ($(params_line))"
			return 0
		fi
	fi
	if [ -n "$nodes" ] || [ -d "$STATE" ]; then
		warn "up: lab $ID is half-built, removing it first"
		teardown
	fi
	return 1
}

cmd_up()
{
	local i

	check_tools
	take_lock up
	if check_existing; then
		release_lock_keep
		return 0
	fi
	UP_RUNNING=1
	set -E
	trap 'ERR_AT="line $LINENO: $BASH_COMMAND"' ERR
	trap 'ERR_AT=interrupted; exit 130' INT TERM
	trap up_exit EXIT
	step "state dir $STATE" mkdir -p "$STATE"
	params_line >"$STATE/params"
	[ -x "$DECAP" ] ||
		warn "$DECAP not built: tunnel modes (IPIP, IP6IP6, 4in6, 6in4) won't work, L2 DSR will"

	make_switch
	make_router
	for ((i = 1; i <= NCL; i++)); do make_client "$i"; done
	for ((i = 1; i <= NLB; i++)); do make_lb "$i"; done
	for ((i = 1; i <= NBE; i++)); do make_backend "$i"; done
	# frames a client sends with XDP (xlb-pktgen) reach the switch only if
	# the peer runs an XDP program; without one they vanish uncounted
	for ((i = 1; i <= NCL; i++)); do
		step "sw: xlb_pass on $ID-cl$i" ip -n "$(ns_of sw)" link set \
			dev "$ID-cl$i" xdpdrv obj "$PASS_OBJ" sec xdp
	done

	write_env >"$STATE/env.tmp" || up_fail "write $STATE/env"
	mv "$STATE/env.tmp" "$STATE/env"
	touch "$STATE/complete"
	UP_RUNNING=0
	trap - ERR INT TERM EXIT
	release_lock_keep
	echo "lab: up: lab $ID ($(params_line)); env in $STATE/env"
}

# Drop the lock but keep the lock file: the lab still exists.
release_lock_keep()
{
	exec 9>&-
}

# -------------------------------------------------------------- down ----

# Kill a pid after checking it is the process we think, so a stale pid
# file cannot make us kill someone else's process.
kill_verified()
{
	local pid=$1 pattern=$2

	[[ $pid =~ ^[0-9]+$ ]] || return 0
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$pattern" || return 0
	kill -TERM "$pid" 2>/dev/null || true
}

# Every process left in a lab namespace was started for the lab (nginx, a
# controller, a shell from `exec`): TERM, then KILL what is still there,
# since a live process would keep the namespace alive after `ip netns del`.
kill_ns_procs()
{
	local ns=$1 pids

	pids=$(ip netns pids "$ns" 2>/dev/null | xargs) || true
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null || true
	for _ in $(seq 30); do
		pids=$(ip netns pids "$ns" 2>/dev/null | xargs) || true
		[ -n "$pids" ] || return 0
		sleep 0.1
	done
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null || true
}

# Remove everything of this lab that exists, whatever state it is in.
# Best effort throughout: a step that fails must not stop the next.
teardown()
{
	local node pidf

	for pidf in "$STATE"/be*/nginx.pid; do
		[ -f "$pidf" ] || continue
		kill_verified "$(cat "$pidf" 2>/dev/null)" "$(dirname "$pidf")/nginx.conf"
	done
	for node in $(existing_nodes); do
		kill_ns_procs "$(ns_of "$node")"
	done
	for node in $(existing_nodes); do
		ip netns del "$(ns_of "$node")" 2>/dev/null || true
	done
	rm -rf "$STATE"
}

cmd_down()
{
	local nodes

	[ "$(id -u)" -eq 0 ] || die "down: need root"
	take_lock down
	nodes=$(existing_nodes)
	if [ -z "$nodes" ] && [ ! -d "$STATE" ]; then
		release_lock
		echo "lab: down: lab $ID is not up"
		return 0
	fi
	teardown
	release_lock
	nodes=$(existing_nodes)
	[ -z "$nodes" ] || die "down: namespaces left: $(echo "$nodes" | xargs)"
	echo "lab: down: lab $ID removed"
}

# ------------------------------------------------------------ status ----

# "DEV MODE NAME(id N)" for every XDP program attached in a node.
xdp_progs()
{
	local node=$1 line dev id mode name

	ip -n "$(ns_of "$node")" -o link show 2>/dev/null | while read -r line; do
		[[ $line == *prog/xdp* ]] || continue
		dev=$(awk -F': ' '{ print $2 }' <<<"$line")
		dev=${dev%@*}
		id=$(grep -o 'prog/xdp id [0-9]*' <<<"$line" | awk '{ print $3 }')
		mode=$(grep -o ' xdp[a-z]* ' <<<"$line" | head -1 | xargs)
		name=$(bpftool prog show id "$id" 2>/dev/null | grep -o 'name [^ ]*' | awk '{ print $2 }')
		echo "$dev $mode ${name:-?}(id $id)"
	done
}

node_status()
{
	local node=$1 ns addrs pidf pid

	ns=$(ns_of "$node")
	addrs=$(ip -n "$ns" -o addr show scope global 2>/dev/null |
		awk '{ printf "%s %s, ", $2, $4 }')
	if [ "$node" = sw ]; then
		addrs="bridges $(ip -n "$ns" -br link show type bridge | awk '{ print $1 }' | xargs)"
	fi
	printf '%-4s %-13s %s\n' "$node" "$ns" "${addrs%, }"
	if [ "$node" = sw ]; then
		printf '     ports: %s\n' "$(ip -n "$ns" -br link show type veth | awk '{ print $1 }' |
			sed 's/@.*//' | xargs)"
	fi
	xdp_progs "$node" | sed 's/^/     xdp: /'
	pidf=$STATE/$node/nginx.pid
	if [[ $node == be* ]]; then
		pid=$(cat "$pidf" 2>/dev/null || true)
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			echo "     nginx: pid $pid (workers $(pgrep -P "$pid" | xargs))"
		else
			echo "     nginx: not running"
		fi
	fi
}

cmd_status()
{
	local nodes node

	nodes=$(existing_nodes)
	if [ -z "$nodes" ]; then
		echo "lab $ID: down"
		return 0
	fi
	if [ -f "$STATE/complete" ]; then
		echo "lab $ID: up ($(cat "$STATE/params")), state $STATE"
	else
		echo "lab $ID: half-built (run down)"
	fi
	for node in $nodes; do node_status "$node"; done
}

# ------------------------------------------------------- env / exec ----

cmd_env()
{
	[ -f "$STATE/complete" ] || die "env: lab $ID is not up"
	cat "$STATE/env"
}

# Exports XLB_SOCKET and XLB_PIN_DIR from $STATE/NODE.xlb, unless set: read
# as KEY=VALUE lines, never sourced, so the file cannot run anything.
xlbd_env()
{
	local f=$STATE/$1.xlb key val

	[ -f "$f" ] || return 0
	while IFS='=' read -r key val; do
		case $key in
		XLB_SOCKET | XLB_PIN_DIR)
			[ -n "${!key:-}" ] || export "$key=$val"
			;;
		esac
	done <"$f"
}

cmd_exec()
{
	local node=${1:-}

	if [ -z "$node" ] || [ $# -lt 2 ]; then
		die "exec: usage: exec NODE CMD..."
	fi
	shift
	[ -e "/run/netns/$(ns_of "$node")" ] || die "exec: no node $node in lab $ID"
	export PATH="$BUILD:$PATH"
	xlbd_env "$node"
	exec nsenter --net="/run/netns/$(ns_of "$node")" -- "$@"
}

main()
{
	local cmd=${1:-help}

	[ $# -gt 0 ] && shift
	case $cmd in
	help | -h | --help)
		usage
		return 0
		;;
	esac
	validate_params
	case $cmd in
	up) cmd_up ;;
	down) cmd_down ;;
	status) cmd_status ;;
	env) cmd_env ;;
	exec) cmd_exec "$@" ;;
	*)
		usage >&2
		exit 2
		;;
	esac
}

main "$@"
