#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# tso.sh ours: the largest TSO send the host allows, end to end. nv_tso
# (tso.c) sends one TCP segment of 62779 bytes (the emulator advertises
# Azure's LSOv2 limit, 62780: a frame must stay below it) as a chain of
# 2048-byte mbufs with TSO at MSS 1460 to a TAP in a network namespace.
# The host cuts it into 43 frames; behind the TAP, tso_rx.py captures
# them and checks every IPv4 and TCP checksum, the lengths and the payload
# reassembled by sequence number, and the namespace's kernel counts the
# segments with no checksum or header error (it answers each with a
# reset: no socket listens). The host counted one LSO send, 43 segments,
# nothing refused, no protocol error; the PMD counted one packet sent and
# no error.
. "$(dirname "$0")/lib.sh"
nv_init
[ "$NV_DRIVER" = ours ] || skip "ours only (needs the nv_tso program)"
it_need_tun
py=/usr/bin/python3
[ -x "$py" ] || skip "no $py"
[ -x "${NV_TSO:-}" ] || skip "nv_tso not built"
LSO_MAX=62780 MSS=1460 PORT=9
PAYLOAD=$((LSO_MAX - 1 - 54))
FRAMES=$(((PAYLOAD + MSS - 1) / MSS))

ns="nv-$IT_TAG" tap="nvs$$"
ip netns add "$ns" || fail "cannot create netns $ns"
IT_NETNS+=("$ns")
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
it_emu_start s --mac 00:15:5d:00:05:10 --backend "tap:$tap,netns=$ns,ip=10.84.0.2/24"
root=$(it_root s)

# Tcp InSegs, InCsumErrors, InErrs and Ip InHdrErrors of the namespace.
snmp() {
	ip netns exec "$ns" cat /proc/net/snmp | awk -v p="$1" -v f="$2" '
		$1 == p ":" && !h { for (i = 2; i <= NF; i++) n[i] = $i; h = 1; next }
		$1 == p ":" { for (i = 2; i <= NF; i++) if (n[i] == f) print $i }'
}
segs0=$(snmp Tcp InSegs) cerr0=$(snmp Tcp InCsumErrors) terr0=$(snmp Tcp InErrs)
herr0=$(snmp Ip InHdrErrors)

rxlog="$IT_DIR/tso_rx.log"
timeout -s KILL 120 ip netns exec "$ns" "$py" "$(dirname "$0")/tso_rx.py" \
	"$tap" "$PORT" "$PAYLOAD" "$MSS" 90 >"$rxlog" 2>&1 &
rxpid=$!
nv_wait 10 listening head -n1 "$rxlog" || fail "capture not listening: $(cat "$rxlog")"

log="$IT_DIR/nv_tso.log"
nv_eal_args
dmac=$(ip netns exec "$ns" cat "/sys/class/net/$tap/address")
nv_ours_exec "$root" 200 "$NV_TSO" --log-level=pmd.net.netvsc:info "${NV_EAL[@]}" -- \
	"$dmac" 10.84.0.1 10.84.0.2 "$PORT" "$PAYLOAD" "$MSS" >"$log" 2>&1 &
tpid=$!
nv_wait_line 60 "$log" '^tso: sent' "$tpid"
grep -q "LSO up to $LSO_MAX bytes" "$log" ||
	fail "the PMD does not offer LSO up to $LSO_MAX bytes: $(grep -m1 'LSO up to' "$log" || tail -n 3 "$log")"
grep -q "^tso: sent $((PAYLOAD + 54)) bytes in 31 mbufs" "$log" ||
	fail "nv_tso did not send: $(tail -n 5 "$log")"
wait "$rxpid" || fail "capture: $(tail -n 3 "$rxlog")"
grep -q "^tso_rx: $FRAMES frames, $PAYLOAD bytes, largest $MSS, payload ok" "$rxlog" ||
	fail "capture: $(tail -n 1 "$rxlog"), wanted $FRAMES frames of $PAYLOAD bytes"
it_log "$(tail -n 1 "$rxlog")"

# The host finished the send: its counters, then nv_tso's.
lso_sends() { it_ctl s stats 0 | sed -n 's/.* offload: tx lso \([0-9]*\) .*/\1/p'; }
nv_wait 30 1 lso_sends || fail "host LSO sends: '$NV_GOT', wanted 1"
st=$(it_ctl s stats 0)
grep -q "offload: tx lso 1 (segments $FRAMES)" <<<"$st" ||
	fail "host offload counters: $(grep 'offload:' <<<"$st")"
grep -q 'refused 0' <<<"$st" || fail "the host refused an offload: $(grep 'offload:' <<<"$st")"
grep -q 'protocol errors 0' <<<"$st" || fail "host protocol errors: $st"
# SIGTERM to nv_tso itself: below the background subshell and its
# watchdog (the rest are execs).
real=
for w in $(pgrep -P "$tpid"); do
	for c in $(pgrep -P "$w"); do
		[ "$(readlink "/proc/$c/exe" 2>/dev/null)" = "$(readlink -f "$NV_TSO")" ] && real=$c
	done
done
[ -n "$real" ] || fail "cannot find the nv_tso process below $tpid"
kill -TERM "$real"
wait "$tpid" || fail "nv_tso exit status $?: $(tail -n 5 "$log")"
nv_check_log "$log"
grep -q '^tso: tx 1 errors 0 ' "$log" || fail "PMD counters: $(grep '^tso: tx' "$log")"

segs=$(($(snmp Tcp InSegs) - segs0))
errs=$(($(snmp Tcp InCsumErrors) - cerr0 + $(snmp Tcp InErrs) - terr0 + $(snmp Ip InHdrErrors) - herr0))
[ "$segs" -ge "$FRAMES" ] || fail "the namespace's kernel counted $segs TCP segments, wanted $FRAMES"
[ "$errs" = 0 ] || fail "the namespace's kernel counted $errs checksum or header errors"
it_log "PASS: one $((PAYLOAD + 54))-byte TSO send -> $FRAMES frames, checksums and payload verified by the capture and the kernel"
