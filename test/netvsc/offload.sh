#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# offload.sh ours: checksum offload and TSO (LSOv2) end to end. Two NICs
# with TAPs (MTU 9000) in two namespaces; testpmd csum forwarding with
# IP/TCP/UDP checksums in hardware and TSO at MSS 1448 on both ports.
# NIC 0's port runs at MTU 9000: namespace a sends 9014-byte TCP segments
# (scattered over 36 mbufs of 256 bytes: more pages than one VMBus
# packet names, so the PMD sends a linear copy); it goes on NIC 1 (MTU 1500) with the LSOv2
# PPI and the host cuts it into 1514-byte frames with fresh checksums;
# ACKs go back with checksum PPIs. An 8 MiB transfer arrives with the same
# SHA-256; the kernels count no checksum errors; the host did LSO and
# refused nothing; its frame counts equal testpmd's (TX: sends less LSO
# sends plus segments); the PMD made linear copies.
. "$(dirname "$0")/lib.sh"
nv_init
[ "$NV_DRIVER" = ours ] || skip "ours only (the stock reference runs tcp)"
it_need_tun
py=/usr/bin/python3
[ -x "$py" ] || skip "no $py"
N=$((8 << 20))

for s in a b; do
	ip netns add "nv-$IT_TAG-$s" || fail "cannot create netns"
	IT_NETNS+=("nv-$IT_TAG-$s")
	ip netns exec "nv-$IT_TAG-$s" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
it_emu_start t --nics 2 --mac 00:15:5d:00:04:10 \
	--backend "tap:nxa$$,netns=nv-$IT_TAG-a,ip=10.83.0.1/24" \
	--backend "tap:nxb$$,netns=nv-$IT_TAG-b,ip=10.83.0.2/24"
ip netns exec "nv-$IT_TAG-a" ip link set "nxa$$" mtu 9000 &&
	ip netns exec "nv-$IT_TAG-b" ip link set "nxb$$" mtu 9000 || fail "cannot set the TAPs' MTU"
log="$IT_DIR/testpmd.log"
# Small mbufs (256 data bytes): a 9014-byte frame is a chain of 36, more
# pages than one VMBus packet names.
nv_i_start t "$log" --forward-mode=csum --enable-scatter --tx-offloads=0x8000 --mbuf-size=384
grep -qE '^Port 1: ' "$log" || fail "testpmd did not bring up the second NIC"
# csum forwarding writes the tx port's MAC as source and its peer's as
# destination: the peer of each port is the TAP behind it.
for k in 0 1; do
	p=$(awk -v m="00:15:5D:00:04:1$k" 'toupper($0) ~ "^PORT [0-9]+: " m {
		sub(":", "", $2); print $2; exit }' "$log")
	[ -n "$p" ] || fail "no port with NIC $k's MAC"
	t=nxa$$
	[ "$k" = 1 ] && t=nxb$$
	s=a
	[ "$k" = 1 ] && s=b
	nv_cmd set eth-peer "$p" "$(ip netns exec "nv-$IT_TAG-$s" cat "/sys/class/net/$t/address")"
	[ "$k" = 0 ] && pa=$p
done
nv_cmd port stop all
nv_cmd port config mtu "$pa" 9000
nv_out | grep -qi 'fail\|error\|invalid' && fail "port config mtu $pa 9000: $(nv_out)"
for p in 0 1; do
	for c in "csum set ip hw $p" "csum set tcp hw $p" "csum set udp hw $p" \
		"tso set 1448 $p"; do
		nv_cmd "$c"
		nv_out | grep -qi 'error\|not supported\|please stop\|invalid' && fail "$c: $(nv_out)"
	done
done
nv_cmd port start all
nv_out | grep -qi 'fail\|error' && fail "port start: $(nv_out)"
nv_cmd start

# Tcp InCsumErrors and Ip InHdrErrors of a namespace.
csum_errors() {
	ip netns exec "nv-$IT_TAG-$1" cat /proc/net/snmp | awk '
		$1 == "Ip:" && !ih { for (i = 2; i <= NF; i++) h[i] = $i; ih = 1; next }
		$1 == "Ip:" { for (i = 2; i <= NF; i++) if (h[i] == "InHdrErrors") e += $i }
		$1 == "Tcp:" && !th { for (i = 2; i <= NF; i++) t[i] = $i; th = 1; next }
		$1 == "Tcp:" { for (i = 2; i <= NF; i++) if (t[i] == "InCsumErrors") e += $i }
		END { print e + 0 }'
}
# Sum of a field of the host's "offload:" lines of NIC k.
emu_ofl() {
	it_ctl t stats "$1" | awk -v f="$2" '/ offload: / { for (i = 1; i < NF; i++) {
		k = $i; gsub("[(]", "", k)
		if (k == f) { v = $(i + 1); gsub("[,()]", "", v); s += v } } } END { print s + 0 }'
}
ea0=$(csum_errors a) eb0=$(csum_errors b)

srv="$IT_DIR/server.log"
: >"$srv"
timeout -s KILL 150 ip netns exec "nv-$IT_TAG-b" "$py" "$(dirname "$0")/xfer.py" serve 10.83.0.2 5201 >"$srv" 2>&1 &
spid=$!
nv_wait 10 listening head -n1 "$srv" || fail "server not listening: $(cat "$srv")"
sent=$(timeout -s KILL 150 ip netns exec "nv-$IT_TAG-a" "$py" "$(dirname "$0")/xfer.py" send 10.83.0.2 5201 "$N" 2>&1) ||
	fail "sender failed: $sent"
wait "$spid" || fail "receiver failed: $(cat "$srv")"
got=$(tail -n1 "$srv")
it_log "sent: $sent; received: $got"
[ "$sent" = "$got" ] || fail "bytes or checksum differ: sent '$sent', received '$got'"
[ "${got%% *}" = "$N" ] || fail "received ${got%% *} bytes, wanted $N"
port_of() { awk -v m="00:15:5D:00:04:1$1" 'toupper($0) ~ "^PORT [0-9]+: " m {
	sub(":", "", $2); print $2; exit }' "$log"; }
port_stat() { nv_cmd show port stats "$1"; nv_out | nv_port_stat "$2"; }
# What the host and testpmd counted differently (0 when they agree); read
# while testpmd still forwards, so that a late frame (an ARP probe) is
# counted on both sides.
rx_gap() { echo $(($(it_backend_counter t "$1" to-guest) - $(port_stat "$2" RX-packets))); }
tx_gap() {
	local tx from
	tx=$(port_stat "$2" TX-packets)
	from=$(it_backend_counter t "$1" from-guest)
	echo $((from - (tx - $(emu_ofl "$1" lso) + $(emu_ofl "$1" segments))))
}
for k in 0 1; do
	p=$(port_of "$k")
	[ -n "$p" ] || fail "no port with NIC $k's MAC"
	nv_wait 20 0 rx_gap "$k" "$p" || fail "NIC $k: the host delivered $NV_GOT frames more than testpmd received"
	nv_wait 20 0 tx_gap "$k" "$p" ||
		fail "NIC $k: the host sent $NV_GOT frames more than testpmd's sends less LSO sends plus segments"
done
nv_cmd stop
nv_cmd show port stats all
st=$(nv_out)
xs=()
for p in 0 1; do
	nv_cmd show port xstats "$p"
	xs[p]=$(nv_out)
done
nv_i_quit || fail "testpmd did not exit cleanly"
ea=$(($(csum_errors a) - ea0)) eb=$(($(csum_errors b) - eb0))
[ "$ea" = 0 ] && [ "$eb" = 0 ] || fail "checksum errors counted by the kernels: a $ea, b $eb"
for k in 0 1; do
	p=$(port_of "$k")
	pst=$(awk -v p="$p" '/NIC statistics for port/ { cur = ($(NF - 1) == p) } cur' <<<"$st")
	rx=$(nv_port_stat RX-packets <<<"$pst")
	tx=$(nv_port_stat TX-packets <<<"$pst")
	to=$(it_backend_counter t "$k" to-guest)
	from=$(it_backend_counter t "$k" from-guest)
	lso=$(emu_ofl "$k" lso) segs=$(emu_ofl "$k" segments) cs=$(emu_ofl "$k" csum)
	ref=$(emu_ofl "$k" refused)
	lin=$(awk '$1 ~ /^tx_q[0-9]+_linearized:$/ { s += $2 } END { print s + 0 }' <<<"${xs[p]}")
	bad=$(awk '$1 ~ /^tx_q[0-9]+_(bad_offload|too_big|errors):$/ { s += $2 } END { print s + 0 }' <<<"${xs[p]}")
	it_log "NIC $k (port $p): testpmd RX $rx TX $tx (linearized $lin); host to-guest $to from-guest $from; LSO $lso sends -> $segs frames, checksum requests $cs, refused $ref"
	[ "$ref" = 0 ] && [ "$bad" = 0 ] || fail "NIC $k: host refused $ref, PMD dropped $bad"
	[ "$cs" -gt 0 ] || fail "NIC $k: no checksum offload request reached the host"
	it_ctl t stats "$k" | grep -q 'protocol errors 0' || fail "NIC $k: protocol errors"
	[ "$k" = 1 ] && { [ "$lso" -gt 0 ] && [ "$segs" -gt "$lso" ] || fail "NIC 1: no LSO send ($lso, $segs segments)"; }
	[ "$k" = 1 ] && { [ "$lin" -gt 0 ] || fail "NIC 1: no linear copy of a long chain"; }
done
it_log "ok: $N bytes intact with checksum offload and TSO"
