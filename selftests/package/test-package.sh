#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Tests what an operator installs: make install/uninstall into a DESTDIR,
# then the .deb that make deb built: lintian (errors fail), and a full
# dpkg life cycle in a throwaway root - an overlay of this machine's / in
# a private mount and network namespace, so dpkg, the maintainer scripts
# and the installed programs run as on a real node (dependencies present)
# while nothing reaches the host. The root gets its own bpffs and an eth0
# (veth); the source tree is hidden from it. systemd is not PID 1 here: where systemctl would start, restart or
# stop xlbd, the test runs the unit's own ExecStart line, or SIGTERM.
#
# Checks: files and conffiles in place, xlbd enabled, --version is the
# package version, the man pages against
# --help and the config reader (check-man.sh), systemd-analyze verify on
# the units, the installed xlbd --check and start on /etc/xlb/xlb.yaml
# (attached to eth0), an upgrade to a newer version while xlbd runs that
# keeps the XDP program and the conntrack map (same ids) and whose new
# xlbd adopts them, then purge: files gone, the pins left and said so.
#
# Usage: selftests/package/test-package.sh DEBDIR   (root; make test-package)
set -euo pipefail

case ${1:-} in
-h | --help)
	sed -n '3,/^set -/{/^set -/d;s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" | sed '/./,$!d'
	exit 0
	;;
"")
	echo "test-package.sh: missing DEBDIR (--help)" >&2
	exit 2
	;;
esac

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEBDIR=$(realpath "$1")

if [ -z "${XLB_PKGTEST_INNER:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "test-package.sh: run as root" >&2; exit 1; }
	exec env XLB_PKGTEST_INNER=1 unshare --mount --net --propagation private \
		bash "${BASH_SOURCE[0]}" "$@"
fi

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
# check DESCRIPTION COMMAND...: ok if COMMAND succeeds
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else notok "$d"; fi
}
diag() { sed 's/^/# /'; }

T=$(mktemp -d /tmp/xlb-pkgtest.XXXXXX)
cleanup() {
	[ -n "${XLBD_PID:-}" ] && kill "$XLBD_PID" 2>/dev/null
	# the mounts and eth0 die with the namespaces; the directory does not
	umount -R "$T" 2>/dev/null || umount -l "$T" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
echo "KTAP version 1"

# ---- make install / uninstall ----------------------------------------------
D=$T/destdir
make -s -C "$SRC" install DESTDIR="$D" PREFIX=/usr/local >"$T/install.log" 2>&1 ||
	{ diag <"$T/install.log"; notok "make install DESTDIR=... PREFIX=/usr/local"; }
missing=()
for f in usr/local/sbin/{xlbd,xlb,xlb-decap,xlb-pktgen,xlb-sim} \
	usr/local/lib/xlb/{xlb_lb,xlb_decap,xlb_pass}.bpf.o \
	usr/local/lib/systemd/system/{xlbd.service,xlb-decap@.service} \
	usr/local/share/man/man8/{xlb,xlbd,xlb-decap}.8 usr/local/share/man/man5/xlb.yaml.5 \
	usr/local/share/xlb/contrib/keepalived/{keepalived.conf,xlb-site.conf} \
	usr/local/share/xlb/contrib/bird/{bird.conf,router.conf} \
	usr/local/share/xlb/contrib/grafana/xlb.json \
	etc/xlb/xlb.yaml etc/default/xlbd; do
	[ -e "$D/$f" ] || missing+=("$f")
done
check "make install puts every file in place${missing:+ (missing: ${missing[*]})}" \
	[ ${#missing[@]} -eq 0 ]
check "contrib's scripts are installed executable beside their configs" \
	[ -x "$D/usr/local/share/xlb/contrib/keepalived/xlb-keepalived-track" ] &&
	[ -x "$D/usr/local/share/xlb/contrib/keepalived/xlb-keepalived-notify" ] &&
	[ -x "$D/usr/local/share/xlb/contrib/bird/xlb-bird-announce" ]
check "the installed unit runs /usr/local/sbin/xlbd" \
	grep -q '^ExecStart=/usr/local/sbin/xlbd ' "$D/usr/local/lib/systemd/system/xlbd.service"
echo "# edited" >>"$D/etc/xlb/xlb.yaml"
make -s -C "$SRC" install DESTDIR="$D" PREFIX=/usr/local >"$T/install2.log" 2>&1
check "a second make install keeps an existing /etc/xlb/xlb.yaml" \
	grep -q '^# edited' "$D/etc/xlb/xlb.yaml"
make -s -C "$SRC" uninstall DESTDIR="$D" PREFIX=/usr/local >/dev/null 2>&1
left=$(cd "$D" && find . -type f | sort | tr '\n' ' ')
check "make uninstall leaves only the config (left: $left)" \
	[ "$left" = "./etc/default/xlbd ./etc/xlb/xlb.yaml " ]

# ---- the .deb: lintian -----------------------------------------------------
deb=$(ls "$DEBDIR"/xlb_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || { notok "a .deb in $DEBDIR (make deb)"; exit 1; }
version=$(dpkg-deb -f "$deb" Version)
if lintian --fail-on error --tag-display-limit 0 "$DEBDIR"/xlb_*.changes >"$T/lintian" 2>&1; then
	ok "lintian: no errors ($(grep -c '^[WIPX]:' "$T/lintian" || true) warnings and notes)"
else
	notok "lintian: errors"
fi
diag <"$T/lintian"

# ---- a throwaway root: this machine's / under an overlay ---------------------
R=$T/root
mount -t tmpfs tmpfs "$T"
mkdir -p "$T/up" "$T/work" "$R" "$T/pkg"
mount -t overlay overlay -o "lowerdir=/,upperdir=$T/up,workdir=$T/work" "$R"
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount -t bpf bpf "$R/sys/fs/bpf" # a bpffs of its own: pins stay private
mount --rbind /dev "$R/dev"
mount -t tmpfs tmpfs "$R/run"
mount -t tmpfs tmpfs "$R/tmp"
cp "$deb" "$R/tmp/xlb.deb"
# hide the source and build tree: the installed programs must not need it
[ ! -d "$R$SRC" ] || mount -t tmpfs tmpfs "$R$SRC"
in_root() { chroot "$R" "$@"; }

if in_root dpkg-query -W xlb >/dev/null 2>&1; then
	in_root dpkg --purge xlb >/dev/null 2>&1 || true # this machine had one
fi
if in_root dpkg -i /tmp/xlb.deb >"$T/dpkg-i" 2>&1; then
	ok "dpkg -i $(basename "$deb")"
else
	notok "dpkg -i $(basename "$deb")"
	diag <"$T/dpkg-i"
	exit 1
fi
check "postinst says what to edit before systemctl start xlbd" \
	grep -q 'edit /etc/xlb/xlb.yaml' "$T/dpkg-i"

missing=()
for f in usr/sbin/{xlbd,xlb,xlb-decap,xlb-pktgen,xlb-sim} \
	usr/lib/xlb/{xlb_lb,xlb_decap,xlb_pass,xlb_pktgen,xlb_sink}.bpf.o \
	lib/systemd/system/{xlbd.service,xlb-decap@.service} \
	usr/share/man/man8/{xlb,xlbd,xlb-decap,xlb-pktgen,xlb-sim}.8.gz \
	usr/share/man/man5/xlb.yaml.5.gz \
	usr/share/doc/xlb/{copyright,examples/xlb.example.yaml,examples/decap-eth0.env} \
	usr/share/xlb/contrib/keepalived/{keepalived.conf,xlb-keepalived-track} \
	usr/share/xlb/contrib/bird/xlb-bird-announce usr/share/xlb/contrib/grafana/xlb.json \
	etc/xlb/xlb.yaml etc/default/xlbd; do
	[ -e "$R/$f" ] || missing+=("$f")
done
check "the package's files are in place${missing:+ (missing: ${missing[*]})}" \
	[ ${#missing[@]} -eq 0 ]
conff=$(in_root dpkg-query -W -f='${Conffiles}' xlb | awk 'NF {print $1}' | sort | tr '\n' ' ')
check "conffiles: /etc/default/xlbd /etc/xlb/xlb.yaml (got: $conff)" \
	[ "$conff" = "/etc/default/xlbd /etc/xlb/xlb.yaml " ]
check "xlbd.service is enabled (multi-user.target.wants)" \
	[ -L "$R/etc/systemd/system/multi-user.target.wants/xlbd.service" ]
check "the unit starts /usr/sbin/xlbd on /etc/xlb/xlb.yaml" \
	grep -q '^ExecStart=/usr/sbin/xlbd -c /etc/xlb/xlb.yaml ' "$R/lib/systemd/system/xlbd.service"
for p in xlbd xlb xlb-decap xlb-pktgen xlb-sim; do
	got=$(in_root "/usr/sbin/$p" --version 2>&1 || true)
	check "$p --version is the package's version ($got)" [ "$got" = "$p $version" ]
done
if bash "$SRC/selftests/package/check-man.sh" "$R/usr/sbin" "$R/usr/share/man" >"$T/man" 2>&1; then
	ok "man pages agree with --help and read.c ($(grep -c '^ok' "$T/man") checks)"
else
	notok "man pages agree with --help and read.c"
	grep -v '^ok' "$T/man" | diag
fi
if in_root systemd-analyze --version >/dev/null 2>&1; then
	for u in xlbd.service xlb-decap@eth0.service; do
		if in_root systemd-analyze verify "$u" >"$T/verify" 2>&1; then
			ok "systemd-analyze verify $u"
		else
			notok "systemd-analyze verify $u"
			diag <"$T/verify"
		fi
	done
else
	echo "ok $((n += 1)) - systemd-analyze verify # SKIP systemd-analyze not installed"
fi

# ---- start the installed xlbd as its unit would -------------------------------
# eth0 (a veth) and the example's next hop (10.0.0.1) with a MAC in the neighbour table
ip link set lo up
ip link add eth0 type veth peer name eth0p
ip link set eth0p up
ip link set eth0 up
ip addr add 10.0.0.2/24 dev eth0
ip neigh replace 10.0.0.1 lladdr 02:00:00:00:0a:fe dev eth0 nud permanent

if in_root xlbd --check -c /etc/xlb/xlb.yaml >"$T/check" 2>&1; then
	ok "installed xlbd --check -c /etc/xlb/xlb.yaml: $(grep -c '^vip ' "$T/check" || true) VIPs"
else
	notok "installed xlbd --check -c /etc/xlb/xlb.yaml"
	diag <"$T/check"
fi

# The operator's edit: attach at start (skb, generic XDP: any NIC has it).
sed -i 's/^XLBD_OPTS=.*/XLBD_OPTS="-i eth0 -m skb"/' "$R/etc/default/xlbd"
execstart=$(sed -n 's/^ExecStart=//p' "$R/lib/systemd/system/xlbd.service")
start_xlbd() {
	chroot "$R" sh -c ". /etc/default/xlbd; exec $execstart" >>"$T/xlbd.log" 2>&1 &
	XLBD_PID=$!
	for _ in $(seq 100); do
		in_root xlb status >"$T/status" 2>&1 && return 0
		kill -0 "$XLBD_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
stop_xlbd() {
	kill -TERM "$XLBD_PID" 2>/dev/null || return 0
	wait "$XLBD_PID" 2>/dev/null || true
	XLBD_PID=
}
prog_id() { ip -o link show dev eth0 | grep -o 'prog/xdp id [0-9]*' | grep -o '[0-9]*$'; }
map_id() { in_root bpftool -j map show pinned "/sys/fs/bpf/xlb/$1" | grep -o '"id":[0-9]*' | head -1; }

if start_xlbd; then
	ok "the unit's ExecStart starts the installed xlbd (xlb status answers)"
else
	notok "the unit's ExecStart starts the installed xlbd"
	diag <"$T/xlbd.log"
	exit 1
fi
check "xlb status shows xlb attached to eth0" grep -q eth0 "$T/status"
vips=$(in_root xlb vip list 2>&1 | grep -cE 'web-http|web-https|web6|dns' || true)
check "xlbd serves the config's 4 VIPs (xlb vip list: $vips)" [ "$vips" -eq 4 ]
prog1=$(prog_id || true)
ct1=$(map_id xlb_conntrack || true)
check "an XDP program on eth0 (id ${prog1:-none}) and a pinned conntrack map (${ct1:-none})" \
	[ -n "$prog1" ] && [ -n "$ct1" ]

# ---- upgrade to a newer version while xlbd runs -------------------------------
mkdir -p "$T/v2"
dpkg-deb -R "$deb" "$T/v2/x"
sed -i "s/^Version: .*/Version: $version.1/" "$T/v2/x/DEBIAN/control"
dpkg-deb --root-owner-group -b "$T/v2/x" "$R/tmp/xlb-new.deb" >/dev/null
if in_root dpkg -i /tmp/xlb-new.deb >"$T/dpkg-up" 2>&1; then
	ok "dpkg -i of version $version.1 over the running node"
else
	notok "dpkg -i of version $version.1 over the running node"
	diag <"$T/dpkg-up"
fi
check "the upgrade kept the operator's /etc/default/xlbd" \
	grep -q 'XLBD_OPTS="-i eth0 -m skb"' "$R/etc/default/xlbd"
check "the upgrade left the XDP program attached (id $(prog_id || echo none))" \
	[ "$(prog_id || true)" = "$prog1" ]
check "the upgrade left the conntrack map pinned ($(map_id xlb_conntrack || echo none))" \
	[ "$(map_id xlb_conntrack || true)" = "$ct1" ]
# what systemd's try-restart in postinst does: stop, start the new xlbd
stop_xlbd
check "a stopped xlbd leaves the program attached" [ "$(prog_id || true)" = "$prog1" ]
if start_xlbd; then ok "the new xlbd starts over the pinned maps"; else
	notok "the new xlbd starts over the pinned maps"
	diag <"$T/xlbd.log"
fi
check "the new xlbd adopted the conntrack map (same id $ct1)" \
	[ "$(map_id xlb_conntrack || true)" = "$ct1" ]
check "the XDP program is the same (id $prog1)" [ "$(prog_id || true)" = "$prog1" ]
stop_xlbd

# ---- purge -----------------------------------------------------------------
if in_root dpkg --purge xlb >"$T/purge" 2>&1; then ok "dpkg --purge xlb"; else
	notok "dpkg --purge xlb"
fi
diag <"$T/purge"
left=()
for f in usr/sbin/xlbd usr/lib/xlb lib/systemd/system/xlbd.service etc/xlb \
	etc/default/xlbd etc/systemd/system/multi-user.target.wants/xlbd.service \
	usr/share/man/man8/xlbd.8.gz; do
	[ -e "$R/$f" ] || [ -L "$R/$f" ] && left+=("$f")
done
check "purge removed every file${left:+ (left: ${left[*]})}" [ ${#left[@]} -eq 0 ]
check "purge left the pins and the program (as it says)" \
	[ -e "$R/sys/fs/bpf/xlb/xlb_conntrack" ] && [ "$(prog_id || true)" = "$prog1" ]
check "purge says what is left pinned and how to remove it" \
	grep -q 'rm -r /sys/fs/bpf/xlb' "$T/purge"
ip link set dev eth0 xdp off 2>/dev/null || true

echo "$((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
