#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# tcp.sh ours|stock: two emulated NICs with TAP backends in two network
# namespaces, testpmd io forwarding between the ports; an 8 MiB TCP
# transfer from one namespace to the other arrives with the same SHA-256
# (full-size frames: page-buffer sends; ACKs: copied sends), and testpmd's
# counters match the hosts' on both ports.
. "$(dirname "$0")/lib.sh"
nv_init
it_need_tun
py=/usr/bin/python3
[ -x "$py" ] || skip "no $py"
N=$((8 << 20))

for s in a b; do
	ip netns add "nv-$IT_TAG-$s" || fail "cannot create netns"
	IT_NETNS+=("nv-$IT_TAG-$s")
	ip netns exec "nv-$IT_TAG-$s" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
it_emu_start t --nics 2 --mac 00:15:5d:00:01:10 \
	--backend "tap:nva$$,netns=nv-$IT_TAG-a,ip=10.80.0.1/24" \
	--backend "tap:nvb$$,netns=nv-$IT_TAG-b,ip=10.80.0.2/24"
log="$IT_DIR/testpmd.log"
nv_i_start t "$log" --forward-mode=io
grep -qE '^Port 1: ' "$log" || fail "testpmd did not bring up the second NIC"
nv_cmd start
srv="$IT_DIR/server.log"
# Created here: nv_wait gives up at once if head cannot open it, and the
# background job may not have run its redirection yet.
: >"$srv"
timeout -s KILL 60 ip netns exec "nv-$IT_TAG-b" "$py" "$(dirname "$0")/xfer.py" serve 10.80.0.2 5201 >"$srv" 2>&1 &
spid=$!
nv_wait 10 listening head -n1 "$srv" || fail "server not listening: $(cat "$srv")"
t0=$SECONDS
sent=$(timeout -s KILL 60 ip netns exec "nv-$IT_TAG-a" "$py" "$(dirname "$0")/xfer.py" send 10.80.0.2 5201 "$N" 2>&1) ||
	fail "sender failed: $sent"
it_log "transfer took $((SECONDS - t0)) s"
wait "$spid" || fail "receiver failed: $(cat "$srv")"
got=$(tail -n1 "$srv")
it_log "sent: $sent; received: $got"
[ "$sent" = "$got" ] || fail "bytes or checksum differ: sent '$sent', received '$got'"
[ "${got%% *}" = "$N" ] || fail "received ${got%% *} bytes, wanted $N"
# The kernels keep talking after the transfer (late ACKs, ARP): take
# both TAPs down so nothing more enters, then let testpmd (still
# forwarding) drain what the hosts already delivered; only then compare.
for s in a b; do
	ip -n "nv-$IT_TAG-$s" link set dev "nv$s$$" down || fail "cannot take nv$s$$ down"
done
# Ports follow the bus scan, not the NIC numbers: match the MAC.
port_of_nic() { awk -v m="00:15:5D:00:01:1$1" 'toupper($0) ~ "^PORT [0-9]+: " m {
	sub(":", "", $2); print $2; exit }' "$log"; }
# "RX TX to-guest from-guest" of NIC $1, testpmd's and the host's.
nic_counts() {
	local p pst
	p=$(port_of_nic "$1")
	nv_cmd show port stats "$p"
	pst=$(nv_out)
	echo "$(nv_port_stat RX-packets <<<"$pst") $(nv_port_stat TX-packets <<<"$pst")" \
		"$(it_backend_counter t "$1" to-guest) $(it_backend_counter t "$1" from-guest)"
}
balanced() {
	local k c
	for k in 0 1; do
		read -ra c <<<"$(nic_counts "$k")"
		[ "${c[0]}" = "${c[2]}" ] && [ "${c[1]}" = "${c[3]}" ] || { echo no; return; }
	done
	echo yes
}
nv_wait 30 yes balanced || it_log "counters still moving after 30 s: $(nic_counts 0) / $(nic_counts 1)"
nv_cmd stop
nv_cmd show port stats all
st=$(nv_out)
nv_i_quit || fail "testpmd did not exit cleanly"
for k in 0 1; do
	p=$(port_of_nic "$k")
	[ -n "$p" ] || fail "no port with NIC $k's MAC"
	pst=$(awk -v p="$p" '/NIC statistics for port/ { cur = ($(NF - 1) == p) } cur' <<<"$st")
	rx=$(nv_port_stat RX-packets <<<"$pst")
	tx=$(nv_port_stat TX-packets <<<"$pst")
	to=$(it_backend_counter t "$k" to-guest)
	from=$(it_backend_counter t "$k" from-guest)
	it_log "NIC $k (port $p): testpmd RX $rx TX $tx; host to-guest $to from-guest $from"
	[ "$rx" = "$to" ] || fail "NIC $k (port $p): testpmd RX-packets $rx, the host delivered $to"
	[ "$tx" = "$from" ] || fail "NIC $k (port $p): testpmd TX-packets $tx, the host received $from"
	it_ctl t stats "$k" | grep -q 'protocol errors 0' || fail "NIC $k: protocol errors"
done
it_log "ok: $N bytes intact through two NICs"
