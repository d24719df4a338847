#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Holds the man pages to what the programs and the config reader accept:
# every option a program's --help lists (for xlb, each command's --help
# too) appears in its man page, every long option a page names is one the
# program lists, and every key of the config reader's key tables
# (user/config/read.c) appears in xlb.yaml(5) as its full path (e.g.
# conntrack.timeout_tcp, vips[].backends[].weight) and in README.
# A subcommand with options of its own (xlb-pktgen sink) is held to its own
# --help in a section of the page named after it (SINK), and the rest of
# the page to the program's --help.
#
# Usage: selftests/package/check-man.sh SBINDIR MANDIR
#   e.g. ROOT/usr/sbin ROOT/usr/share/man (installed; pages may be .gz), or
#   build build/man (flat). Prints KTAP; exits 1 if anything is missing.
set -euo pipefail

case ${1:-} in
-h | --help)
	sed -n '3,/^set -/{/^set -/d;s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" | sed '/./,$!d'
	exit 0
	;;
esac
[ $# -eq 2 ] || { echo "check-man.sh: need SBINDIR MANDIR (--help)" >&2; exit 2; }
SBIN=$1
MAN=$2
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }

# the page of NAME.SECTION as roff, plain (\- and \fB...\fP undone)
page() {
	local f
	for f in "$MAN/man$2/$1.$2" "$MAN/man$2/$1.$2.gz" "$MAN/$1.$2"; do
		[ -e "$f" ] && { zcat -f "$f" | sed -e 's/\\-/-/g'; return; }
	done
	echo "check-man.sh: no man page $1($2) under $MAN" >&2
	return 1
}
plain() { sed -e 's/\\f[BIRPC]//g' -e 's/\\fC//g'; }

# options: -x or --word after a blank, bracket, comma, bar or parenthesis
opts() { grep -oE '(^|[][ ,|(])--?[a-zA-Z][a-zA-Z0-9-]*' | sed 's/^[^-]*//' | sort -u; }
has_opt() { grep -qE -- "(^|[^a-zA-Z0-9-])$2([^a-zA-Z0-9-]|\$)" <<<"$1"; }

# check_opts WHERE WHAT HELP TEXT: holds TEXT (a page, or a section of one,
# called WHERE) to HELP, the --help of WHAT (xlbd, xlb-pktgen sink).
check_opts() {
	local where=$1 what=$2 help=$3 text=$4 o
	local missing=() extra=()
	while read -r o; do
		has_opt "$text" "$o" || missing+=("$o")
	done < <(opts <<<"$help")
	if [ ${#missing[@]} -eq 0 ]; then
		ok "$where names every option of $what --help"
	else
		notok "$where lacks ${missing[*]} (in $what --help)"
	fi
	# --help and --version: every program answers them (opt.c)
	while read -r o; do
		has_opt "$help" "$o" || [ "$o" = --help ] || [ "$o" = --version ] ||
			extra+=("$o")
	done < <(opts <<<"$text" | grep -- '^--')
	if [ ${#extra[@]} -eq 0 ]; then
		ok "every long option in $where is in $what --help"
	else
		notok "$where names ${extra[*]}, which $what --help does not"
	fi
}

# section TITLE [out]: the section .SH TITLE of a roff page (stdin); with
# "out", the page without it.
section() {
	awk -v name="$1" -v out="$([ "${2:-}" = out ] && echo 1 || echo 0)" '
		BEGIN { in_sec = 0 }
		/^\.SH / { cur = $0; sub(/^\.SH "?/, "", cur); sub(/"$/, "", cur)
			in_sec = (cur == name) }
		out != in_sec'
}

# Programs whose subcommand has its own options, and the section of the
# page that documents them (the section's title is the subcommand's name
# in capitals).
declare -A subcmd=([xlb-pktgen]=sink)

echo "KTAP version 1"
for prog in xlbd xlb xlb-decap xlb-pktgen xlb-sim; do
	help=$("$SBIN/$prog" --help 2>&1) || { notok "$prog --help exits 0"; continue; }
	if [ "$prog" = xlb ]; then
		# each command phrase of the overview ("vip add", "stats") has its own
		while read -r phrase; do
			help+=$'\n'$("$SBIN/xlb" $phrase --help 2>&1 || true)
		done < <(grep -oE '^  [a-z]+( (add|del|list|dump|show|count|flush|weight|drain|undrain))?' <<<"$help" | sort -u)
	fi
	roff=$(page "$prog" 8) || { notok "$prog(8) exists"; continue; }
	sub=${subcmd[$prog]:-}
	if [ -z "$sub" ]; then
		check_opts "$prog(8)" "$prog" "$help" "$(plain <<<"$roff")"
		continue
	fi
	SUB=${sub^^}
	subhelp=$("$SBIN/$prog" "$sub" --help 2>&1) ||
		{ notok "$prog $sub --help exits 0"; continue; }
	subtext=$(section "$SUB" <<<"$roff" | plain)
	if [ -n "$subtext" ]; then
		ok "$prog(8) has a section $SUB for $prog $sub"
	else
		notok "$prog(8) lacks a section $SUB for $prog $sub"
	fi
	check_opts "$prog(8) outside $SUB" "$prog" "$help" \
		"$(section "$SUB" out <<<"$roff" | plain)"
	check_opts "$prog(8) $SUB" "$prog $sub" "$subhelp" "$subtext"
done

# The reader's key tables, each with the path its keys are written under.
# CHECK_KEYS serve vips[].check and vips[].backends[].check alike; the page
# gives them once, under the VIP's.
declare -A prefix=([ROOT]="" [CT]="conntrack." [ENCAP]="encap." [NH]="nexthop."
	[BE]="backends[]." [VIP]="vips[]." [REF]="vips[].backends[]."
	[CHECK]="vips[].check." [METRICS]="metrics." [SYNC]="sync.")
roff=$(page xlb.yaml 5) || { notok "xlb.yaml(5) exists"; exit 1; }
keys=0
while read -r table key; do
	keys=$((keys + 1))
	if [ -z "${prefix[$table]+set}" ]; then
		notok "key table ${table}_KEYS: add its path to check-man.sh"
		continue
	fi
	path=${prefix[$table]}$key
	if grep -qF "\\fB$path\\fP" <<<"$roff"; then
		ok "xlb.yaml(5) documents $path"
	else
		notok "xlb.yaml(5) lacks **$path** (a key of ${table}_KEYS in read.c)"
	fi
	if grep -qE "[\`.]$key[\`.]" "$SRC/README.md"; then
		ok "README names $key"
	else
		notok "README lacks \`$key\` (${table}_KEYS)"
	fi
done < <(awk '
	match($0, /key_spec [A-Z_]+_KEYS\[\] = \{/) {
		t = $0; sub(/.*key_spec /, "", t); sub(/_KEYS.*/, "", t); next }
	t != "" && /^};/ { t = ""; next }
	t != "" && match($0, /^[ \t]*(\{ |[A-Z_]+\()"[a-z0-9_]+"/) {
		k = substr($0, RSTART, RLENGTH)
		sub(/^[^"]*"/, "", k); sub(/"$/, "", k); print t, k }' "$SRC/user/config/read.c")
[ "$keys" -gt 20 ] && ok "read.c's key tables give $keys keys" ||
	notok "read.c's key tables give $keys keys (expected more than 20: parse broke?)"

echo "# $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
