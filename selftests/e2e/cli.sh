#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# This file holds the CLI's end-to-end tests: what `xlb` says to an
# operator. Unreachable xlbd (where it looked), usage errors per command,
# XLB_SOCKET/XLB_PIN_DIR, attach with no config, status outside the LB's
# namespace, conntrack list cuts/--limit 0/--backend/addr:port, flush
# --backend, lab.sh exec,
# the demo's printed commands (each one run), and xlb-pktgen's exit code and
# README recipe. Its own lab (LAB_ID c<pid>) and a real xlbd with the demo
# config and a unique pin dir; everything goes on every exit path.
#
# Usage: selftests/e2e/cli.sh (root; `make test-e2e` runs it).
# Output: KTAP-style "ok N - ..." lines, "N passed, N failed" last.
set -uo pipefail

case ${1:-} in
-h | --help)
	sed -n '3,/^set -/{/^set -/d;s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" | sed '/./,$!d'
	exit 0
	;;
"") ;;
*)
	echo "cli.sh: $1: unknown argument (--help)" >&2
	exit 2
	;;
esac
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
export LAB_ID=c$(($$ % 100000)) LAB_BACKENDS=3 LAB_BUILD=$BUILD
LAB="$ROOT/scripts/lab.sh"
WORK=$(mktemp -d /tmp/xlb-cli.XXXXXX)
PIN=/sys/fs/bpf/xlb-test-cli-$LAB_ID
PIN_ATTACH=/sys/fs/bpf/xlb-test-cliat-$LAB_ID
SOCK=$WORK/xlbd.sock
NS=xlb-test-cli-$LAB_ID
XLBD_PID=
X=$BUILD/xlb

n=0
pass=0
fail=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $*"; }
check() { # check DESCRIPTION COMMAND...
	local d=$1
	shift
	if "$@"; then
		ok "$d"
	else
		not_ok "$d"
		# what the last `out` saw, for a failure seen only in CI
		printf '# last command: rc=%s\n' "${rc-}"
		head -5 <<<"${out-}" | sed 's/^/# stdout: /'
		head -5 <<<"${err-}" | sed 's/^/# stderr: /'
	fi
}
# out COMMAND...: runs it; $rc, $out (stdout) and $err (stderr) for checks
out() {
	"$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	out=$(cat "$WORK/out")
	err=$(cat "$WORK/err")
}

cleanup() {
	[ -n "$XLBD_PID" ] && kill "$XLBD_PID" 2>/dev/null && wait "$XLBD_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	"$LAB" down >/dev/null 2>&1
	rm -rf "$PIN" "$PIN_ATTACH" "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

echo "KTAP version 1"
echo "# cli: lab $LAB_ID, pin dir $PIN"

# ---- without a daemon ----------------------------------------------------

out env XLB_SOCKET="$WORK/none.sock" "$X" status
check "status, xlbd unreachable: exit 1" [ "$rc" = 1 ]
check "status says the socket and that it came from XLB_SOCKET" \
	grep -q "$WORK/none.sock.*XLB_SOCKET" <<<"$err"
check "status outside any LB: 'no xlb program attached in this network namespace'" \
	grep -q "no xlb program attached in this network namespace" <<<"$out"
out "$X" -s "$WORK/flag.sock" stats
check "stats with -s: exit 1, names the socket and -s" \
	eval '[ "$rc" = 1 ] && grep -q "$WORK/flag.sock is the one given with -s" <<<"$err"'
out env -u XLB_SOCKET "$X" stats
check "stats with no -s nor XLB_SOCKET: says it tried the default" \
	eval '[ "$rc" = 1 ] && grep -q "/run/xlb/xlbd.sock is the default" <<<"$err"'
out env XLB_SOCKET="$WORK/env.sock" "$X" -s "$WORK/flag.sock" stats
check "-s wins over XLB_SOCKET" grep -q "$WORK/flag.sock" <<<"$err"

for args in "maglev" "maglev show" "stats web4" "vip" "vip del" "backend" \
	"backend drain web4" "conntrack" "config" "reload now" "detach"; do
	# shellcheck disable=SC2086
	out "$X" -s "$WORK/none.sock" $args
	check "xlb $args: exit 2, its own usage line, not 'unknown command'" \
		eval '[ "$rc" = 2 ] && ! grep -q "unknown command" <<<"$err" &&
		      grep -q "^usage: xlb ${args%% *}" <<<"$err"'
done
out "$X" maglev
check "xlb maglev says what is missing" grep -q "missing show VIP" <<<"$err"
out "$X" bogus
check "xlb bogus: unknown command, exit 2" \
	eval '[ "$rc" = 2 ] && grep -q "unknown command: bogus" <<<"$err"'
for p in xlb xlbd xlb-decap xlb-pktgen xlb-sim; do
	out "$BUILD/$p" --version
	check "$p --version" eval '[ "$rc" = 0 ] && [ -n "$out" ]'
done
out "$BUILD/xlbd" --help
# has_all TEXT WORD...: every WORD is in TEXT
has_all() {
	local t=$1 w
	shift
	for w; do grep -q -- "$w" <<<"$t" || return 1; done
}
check "xlbd --help (from its option table) lists every option" \
	eval '[ "$rc" = 0 ] && has_all "$out" "-c, --config" "-s, --socket" "-i, --interface" \
		"-m, --xdp-mode" --detach-on-exit "-v, --verbose" --check --state-dir \
		--version "-h, --help"'
out "$BUILD/xlbd" --bogus
check "xlbd with an unknown option: exit 2 and a usage line" \
	eval '[ "$rc" = 2 ] && grep -q "^usage: xlbd" <<<"$err"'
out "$BUILD/xlb-pktgen" sink --dev v0 --src 10.0.0.1
check "xlb-pktgen sink refuses a generator option: exit 2" \
	eval '[ "$rc" = 2 ] && grep -q "unknown option" <<<"$err"'
out "$X" --help
check "xlb --help documents XLB_SOCKET and XLB_PIN_DIR" \
	eval 'grep -q XLB_SOCKET <<<"$out" && grep -q XLB_PIN_DIR <<<"$out"'

# attach with no config, pin dir from XLB_PIN_DIR
ip netns add "$NS" &&
	ip -n "$NS" link add v0 type veth peer name v1 &&
	ip -n "$NS" link set v0 up && ip -n "$NS" link set v1 up
out env XLB_PIN_DIR="$PIN_ATTACH" nsenter --net="/run/netns/$NS" "$X" attach v0 --mode skb
check "attach: exit 0, pinned in \$XLB_PIN_DIR" \
	eval '[ "$rc" = 0 ] && [ -e "$PIN_ATTACH/xlb_vips" ] &&
	      grep -q "pinned in $PIN_ATTACH (XLB_PIN_DIR)" <<<"$out"'
check "attach with no config says the LB has no VIPs and forwards nothing" \
	grep -q "no VIPs in the maps: the LB forwards nothing" <<<"$out"
nsenter --net="/run/netns/$NS" "$X" detach v0 >/dev/null 2>&1
ip -n "$NS" link set v0 xdpgeneric off 2>/dev/null

# xlb-pktgen onto a veth whose peer has no XDP program: nothing arrives
out nsenter --net="/run/netns/$NS" "$BUILD/xlb-pktgen" --dev v0 \
	--dst-mac 02:00:00:00:00:02 --src 10.0.0.1 --dst 10.0.0.2 --dport 80 --count 200
check "xlb-pktgen: nothing delivered (peer without XDP) exits non-zero" \
	eval '[ "$rc" != 0 ] && grep -q "none of 200 frames" <<<"$err"'

# the demo's printed commands, offline
out bash -c "cd '$ROOT' && LAB_BACKENDS=3 scripts/demo.sh hints"
hints=$out
check "demo hints: no nsenter line, none over 100 characters" \
	eval '! grep -q nsenter <<<"$hints" && awk "length > 100 {bad=1} END {exit bad}" <<<"$hints"'
check "demo hints: every lab.sh command has LAB_ID=demo in front" \
	eval '! grep "scripts/lab.sh" <<<"$hints" | grep -vq "LAB_ID=demo scripts/lab.sh"'
check "demo hints: LAB_ID=demo scripts/lab.sh status" \
	grep -q "LAB_ID=demo scripts/lab.sh status" <<<"$hints"
check "demo hints on 3 backends: no 'backend add' (backend 4 does not exist)" \
	eval '! grep -q "backend add" <<<"$hints"'
out bash -c "cd '$ROOT' && LAB_BACKENDS=4 scripts/demo.sh hints"
check "demo hints on 4 backends: backend add web4 4" \
	grep -q "xlb backend add web4 4 --address 198.18.0.14" <<<"$out"

# ---- the lab, an xlbd with the demo's config -----------------------------

echo "# lab $LAB_ID: bringing it up"
if ! "$LAB" up >"$WORK/lab.log" 2>&1; then
	sed 's/^/#   /' "$WORK/lab.log"
	not_ok "lab up"
	echo "$pass passed, $fail failed"
	exit 1
fi
set -a
eval "$("$LAB" env)"
set +a
sed "s|^pin_dir: .*|pin_dir: $PIN|" "$ROOT/scripts/demo.yaml" >"$WORK/xlb.yaml"
out nsenter --net="/run/netns/$LAB_NS_LB1" "$BUILD/xlbd" --check -c "$WORK/xlb.yaml"
check "xlbd --check: the demo config is good (exit 0) and it says what it holds" \
	eval '[ "$rc" = 0 ] && grep -q "^vip web4 192.0.2.10:80/tcp" <<<"$out"'
check "xlbd --check pins nothing" test ! -e "$PIN"
sed 's/^mtu: .*/mtu: 70000/' "$WORK/xlb.yaml" >"$WORK/bad.yaml"
out nsenter --net="/run/netns/$LAB_NS_LB1" "$BUILD/xlbd" --check -c "$WORK/bad.yaml"
check "xlbd --check: a bad config exits 1 naming FILE:LINE: FIELD" \
	eval '[ "$rc" = 1 ] && grep -q "bad.yaml:[0-9]*: mtu:" <<<"$err"'
# live changes are kept in $WORK (--state-dir), gone with it
start_xlbd() {
	nsenter --net="/run/netns/$LAB_NS_LB1" "$BUILD/xlbd" -c "$WORK/xlb.yaml" \
		-s "$SOCK" -i eth0 --state-dir "$WORK" >>"$WORK/xlbd.log" 2>&1 &
	XLBD_PID=$!
	for _ in $(seq 50); do
		"$X" -s "$SOCK" --json status >/dev/null 2>&1 && break
		sleep 0.1
	done
}
start_xlbd
# as scripts/demo.sh records its xlbd
printf 'XLB_SOCKET=%s\nXLB_PIN_DIR=%s\n' "$SOCK" "$PIN" >"$LAB_STATE/lb1.xlb"

# one xlbd per pin dir: a second one with another socket is refused
out nsenter --net="/run/netns/$LAB_NS_LB1" "$BUILD/xlbd" -c "$WORK/xlb.yaml" -s "$WORK/second.sock"
check "a second xlbd on the same pin dir exits 1 naming the first one's pid" \
	eval '[ "$rc" = 1 ] && grep -q "pin dir $PIN is in use by xlbd pid $XLBD_PID" <<<"$err" &&
	      [ ! -e "$WORK/second.sock" ]'
out "$X" -s "$SOCK" --json vip list
check "... and the first one's VIPs keep their ids" \
	eval '[ "$rc" = 0 ] && ! grep -q "\"id\":-" <<<"$out"'
out env XLB_PIN_DIR="$PIN" nsenter --net="/run/netns/$NS" "$X" attach v0 --mode skb
check "xlb attach (no daemon) works beside a running xlbd on its pin dir" [ "$rc" = 0 ]
nsenter --net="/run/netns/$NS" "$X" detach v0 >/dev/null 2>&1

out "$LAB" exec lb1 xlb stats
check "lab.sh exec lb1 xlb stats: the build's xlb reaches the recorded xlbd" \
	eval '[ "$rc" = 0 ] && grep -q web4 <<<"$out"'
out "$LAB" exec lb1 xlb status
check "status in the LB's namespace: attached" \
	eval '[ "$rc" = 0 ] && grep -q "^datapath: attached" <<<"$out"'
out env XLB_SOCKET="$SOCK" "$X" status
check "status outside the LB's namespace: says why nothing is attached here" \
	eval '[ "$rc" = 0 ] && grep -q "no xlb program attached in this network namespace" <<<"$out" &&
	      grep -q "nsenter --net=/proc/$XLBD_PID/ns/net" <<<"$out" &&
	      grep -q "scripts/lab.sh exec" <<<"$out" && ! grep -q "not attached" <<<"$out"'

# every xlb/lab.sh command the demo prints works on this lab
fails=0
while IFS= read -r line; do
	cmd=${line#  }
	cmd=${cmd//LAB_ID=demo/LAB_ID=$LAB_ID}
	if ! (cd "$ROOT" && bash -c "$cmd") >"$WORK/hint.out" 2>&1; then
		echo "# failed: $cmd"
		sed 's/^/#   /' "$WORK/hint.out"
		fails=$((fails + 1))
	fi
done < <(grep "^  LAB_ID=demo scripts/lab.sh" <<<"$hints")
check "each command the demo prints runs on the demo's lab" [ "$fails" = 0 ]

# words read by hand: --help is help, never a file, VIP or interface name
out bash -c "cd '$WORK' && XLB_SOCKET='$SOCK' '$X' config save --help"
check "config save --help prints its usage and saves nothing to ./--help" \
	eval '[ "$rc" = 0 ] && grep -q "^usage: xlb .*config dump | save \[FILE\]" <<<"$out" &&
	      [ ! -e "$WORK/--help" ]'
out env XLB_SOCKET="$SOCK" "$X" backend list -h
check "backend list -h prints its usage" \
	eval '[ "$rc" = 0 ] && grep -q "^usage: xlb .*backend list \[VIP\]" <<<"$out"'

# every change is confirmed in the words of xlbd's audit log
out env XLB_SOCKET="$SOCK" "$X" backend weight web4 3 4
check "backend weight confirms: 'backend weight web4 3 2 -> 4', and that the file lacks it" \
	eval '[ "$rc" = 0 ] && [ "$(head -1 <<<"$out")" = "backend weight web4 3 2 -> 4" ] &&
	      grep -q "^(not in .*xlb config save writes it)$" <<<"$out"'
check "... and xlbd logged the same change" \
	grep -q "change: backend weight web4 3 2 -> 4 (by control socket)" "$WORK/xlbd.log"
env XLB_SOCKET="$SOCK" "$X" backend weight web4 3 2 >/dev/null

# flows for the conntrack table: 40 new connections from distinct ports,
# once every web4 backend's check is up (the demo's checks start down and
# rise after 2 s: until then the flows would all go to the first one up)
for _ in $(seq 100); do
	notup=$(XLB_SOCKET=$SOCK "$X" --json backend list web4 2>/dev/null |
		jq '[.backends[].vips[] | select(.vip == "web4") |
		     select(.check.state != "up")] | length')
	[ "$notup" = 0 ] && break
	sleep 0.1
done
for ((p = 20000; p < 20040; p++)); do
	nsenter --net="/run/netns/$LAB_NS_CL1" curl -s --max-time 3 \
		--local-port "$p" "http://$LAB_VIP4/" >/dev/null
done
total=$(XLB_SOCKET=$SOCK "$X" conntrack count | awk '{print $1}')
out env XLB_SOCKET="$SOCK" "$X" conntrack list --limit 5
check "conntrack list --limit 5: 5 rows and '... 5 of $total shown; --limit 0 for all'" \
	eval '[ "$rc" = 0 ] && [ "$(grep -c "^203\.0\.113\." <<<"$out")" = 5 ] &&
	      grep -q "^\.\.\. 5 of $total shown; --limit 0 for all$" <<<"$out"'
check "conntrack list: addresses as addr:port" \
	eval 'grep -Eq "^203\.0\.113\.11:[0-9]+ +192\.0\.2\.10:80 " <<<"$out"'
out env XLB_SOCKET="$SOCK" "$X" conntrack list --limit 0
check "conntrack list --limit 0: all $total, no cut line" \
	eval '[ "$total" -ge 40 ] && [ "$(grep -c "^203\.0\.113\." <<<"$out")" = "$total" ] &&
	      ! grep -q "shown" <<<"$out"'
out env XLB_SOCKET="$SOCK" "$X" conntrack list --limit 0 --backend 3
rows3=$(grep -c "^203\.0\.113\." <<<"$out")
check "conntrack list --backend 3: only backend 3's entries, some" \
	eval '[ "$rows3" -gt 0 ] && [ "$rows3" -lt "$total" ] &&
	      ! grep "^203\.0\.113\." <<<"$out" | awk "{print \$5}" | grep -vqx 3'
out env XLB_SOCKET="$SOCK" "$X" conntrack count --backend 3
check "conntrack count --backend 3 agrees with the list" \
	grep -q "^$rows3 entries to backend 3" <<<"$out"
out env XLB_SOCKET="$SOCK" "$X" conntrack flush --backend 3
check "conntrack flush --backend 3: its $rows3 entries deleted" \
	grep -q "^$rows3 entries flushed" <<<"$out"
out env XLB_SOCKET="$SOCK" "$X" conntrack count --backend 3
left=$(XLB_SOCKET=$SOCK "$X" conntrack count | awk '{print $1}')
check "... none left on backend 3, the other $((total - rows3)) kept" \
	eval 'grep -q "^0 entries to backend 3" <<<"$out" && [ "$left" = "$((total - rows3))" ]'

# a long change (a 16M-slot table) outlives a short --timeout: "timed out",
# exit 3, never "failed", and xlbd applies it anyway
cp "$WORK/xlb.yaml" "$WORK/xlb.yaml.orig"
cat >>"$WORK/xlb.yaml" <<EOF
  - name: big
    address: 192.0.2.99
    port: 80
    protocol: tcp
    table_size: 16777213
    backends: [ { id: 1 }, { id: 2 } ]
EOF
out "$X" -s "$SOCK" --timeout 1 reload
check "reload of a 16M-slot table with --timeout 1: exit 3, 'timed out ... may still be applied'" \
	eval '[ "$rc" = 3 ] && grep -q "timed out waiting for xlbd after 1 s (the change may still be applied: check with xlb status)" <<<"$err" &&
	      ! grep -qi "failed\|temporarily" <<<"$err"'
out "$X" -s "$SOCK" vip list
check "... and the change was applied (vip big listed)" \
	eval '[ "$rc" = 0 ] && grep -q "^big " <<<"$out"'
cp "$WORK/xlb.yaml.orig" "$WORK/xlb.yaml"
out "$X" -s "$SOCK" reload
check "a reload without --timeout waits as long as it takes: exit 0" \
	eval '[ "$rc" = 0 ] && ! "$X" -s "$SOCK" vip list | grep -q "^big "'

# README's pktgen recipe, as printed there
recipe=$(sed -n '/^# pktgen-lab-recipe/,/^```/p' "$ROOT/README.md" | grep -v '^#\|^```')
out bash -c "cd '$ROOT' && $recipe"
check "README's lab pktgen recipe: exit 0, every frame left the client" \
	eval '[ "$rc" = 0 ] && ! grep -q "uncounted\|none of" <<<"$err" && grep -q "^sent 2000 packets" <<<"$out"'
[ "$rc" = 0 ] || sed 's/^/#   /' <<<"$out$err"

# a backup added live stands by while web6's primaries can serve
out "$X" -s "$SOCK" backend add web6 14 --address 2001:db8:1::14 --backup
bk=$("$X" -s "$SOCK" --json backend list web6 |
	jq -r '.backends[] | select(.id == 14) | .vips[] | select(.vip == "web6") |
	       "\(.backup) \(.benched)"')
check "backend add --backup: a backup that stands by (got: $bk)" \
	eval '[ "$rc" = 0 ] && [ "$bk" = "true true" ]'
"$X" -s "$SOCK" backend del web6 14 >/dev/null

# live changes survive kill -9 and a restart (the state file), until a reload
out "$X" -s "$SOCK" backend add web4 4 --address 198.18.0.14
check "a live backend add says it is not in the file" \
	eval '[ "$rc" = 0 ] && grep -qx "(not in $WORK/xlb.yaml; xlb config save writes it)" <<<"$out"'
kill -9 "$XLBD_PID"
wait "$XLBD_PID" 2>/dev/null
start_xlbd
out "$X" -s "$SOCK" backend list web4
# (the demo's HTTP check finds no server at .14 in this lab: down, weight 0)
check "after kill -9 and a restart, backend 4 added live is still in web4" \
	eval '[ "$rc" = 0 ] && grep -Eq "^ +4  198\.18\.0\.14 .* web4:(1|0\(down\))" <<<"$out"'
check "... and xlbd said it loaded the state file instead of the config file" \
	grep -q "live changes kept: loaded the state file" "$WORK/xlbd.log"
cp "$WORK/xlb.yaml" "$WORK/xlb.yaml.orig"
out "$X" -s "$SOCK" config save
check "xlb config save writes backend 4 into the config file" \
	eval '[ "$rc" = 0 ] && grep -q "saved the running config to $WORK/xlb.yaml" <<<"$out" &&
	      grep -q "198.18.0.14" "$WORK/xlb.yaml"'
cp "$WORK/xlb.yaml.orig" "$WORK/xlb.yaml"
out "$X" -s "$SOCK" reload
check "a reload goes back to the file: backend 4 is gone, so is the state file" \
	eval '[ "$rc" = 0 ] && ! "$X" -s "$SOCK" backend list web4 | grep -q "198\.18\.0\.14" &&
	      ! ls "$WORK"/*.state.yaml >/dev/null 2>&1'

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
