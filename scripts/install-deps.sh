#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs every package xlb needs to build, test and benchmark on Debian 12.
# Idempotent: a second run with everything present costs one dpkg query.
#
# Usage: scripts/install-deps.sh   (root when something is missing; make
# runs it once, on the first target that needs the toolchain)
set -euo pipefail

case ${1:-} in
-h | --help)
	sed -n '3,/^set -/{/^set -/d;s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" | sed '/./,$!d'
	exit 0
	;;
"") ;;
*)
	echo "install-deps.sh: $1: unknown argument (--help)" >&2
	exit 2
	;;
esac

PKGS=(
	# build
	clang llvm make gcc pkg-config libbpf-dev libxdp-dev libelf-dev zlib1g-dev
	bpftool linux-libc-dev libc6-dev libyaml-dev
	# tests
	libcriterion-dev iproute2 ethtool
	# sanitizers and libFuzzer for clang (make test-asan, make fuzz): the
	# runtime matching the default clang (libclang-rt-14-dev on Debian 12)
	libclang-rt-dev
	# controller: JSON control protocol (json-c), neighbour lookups (libmnl),
	# the event loop (libevent 2.1; its evhttp serves /metrics)
	libjson-c-dev libmnl-dev libevent-dev
	# observability tests: a real Prometheus server and promtool (make
	# test-e2e: metrics.sh), headless Chromium for the status page, tmux
	# for xlb top
	prometheus chromium tmux
	# health checks: HTTP and HTTPS through libcurl's multi interface
	libcurl4-openssl-dev
	# state sync: authenticated peer messages (libsodium), bulk resync (zlib)
	libsodium-dev
	# end-to-end tests: real clients; nft drops a share of sync datagrams
	apache2-utils python3 jq nftables
	# health-kinds.sh: a UDP service and a tiny agent (socat), a
	# self-signed certificate for the TLS nginx (openssl)
	socat openssl
	# failover tests: real VRRP and BGP beside xlbd (contrib/keepalived,
	# contrib/bird)
	keepalived bird2
	# lab: netns backends and the client
	nginx curl iputils-ping
	# benchmarks: HTTP through the VIP, HAProxy (TCP mode) as the baseline, plots;
	# perf: the health bench splits xlbd's CPU by call graph
	haproxy wrk gnuplot-nox linux-perf
	# install and package: man pages from doc/*.md, make deb, make test-package
	go-md2man debhelper dpkg-dev lintian
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "xlb: install-deps: need root to install: ${missing[*]}" >&2
	exit 1
fi

echo "xlb: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
