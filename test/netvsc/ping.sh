#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ping.sh ours|stock QUEUES: a TAP backend in a fresh network namespace,
# testpmd icmpecho with QUEUES rx/tx queues; 200 pings from the namespace
# with 0% loss, and testpmd's port counters equal to what the TAP side
# sent and received.
. "$(dirname "$0")/lib.sh"
nv_init
it_need_tun
command -v ping >/dev/null || skip "no ping (apt-get install iputils-ping)"
q=${2:?queues}

ns="nv-$IT_TAG" tap="nvt$$"
ip netns add "$ns" || fail "cannot create netns $ns"
IT_NETNS+=("$ns")
# No IPv6 in the namespace: router solicitations would be extra frames.
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
it_emu_start p --max-queues 8 --backend "tap:$tap,netns=$ns,ip=10.79.0.1/24"
log="$IT_DIR/testpmd.log"
nv_i_start p "$log" --forward-mode=icmpecho --rxq="$q" --txq="$q"
grep -q 'greater than max_rx_queues' "$log" && [ "$NV_DRIVER" = ours ] &&
	skip "net_netvsc offers fewer than $q queues: $(grep -m1 'max_rx_queues' "$log")"
nv_cmd start
nv_out | grep -q 'packet forwarding - ports=' ||
	fail "testpmd did not start forwarding: $(nv_out | head -3)"
ping="$IT_DIR/ping.log"
# -W: the last replies may be slow on a loaded machine (a hang guard).
ip netns exec "$ns" ping -c 200 -i 0.005 -W 10 10.79.0.2 >"$ping" 2>&1
# The kernel may still send (ARP): take the TAP down, then let testpmd
# answer what the host already delivered before the counters are read.
ip -n "$ns" link set dev "$tap" down || fail "cannot take $tap down"
balanced() {
	local st
	nv_cmd show port stats 0
	st=$(nv_out)
	[ "$(nv_port_stat RX-packets <<<"$st")" = "$(it_backend_counter p 0 to-guest)" ] &&
		[ "$(nv_port_stat TX-packets <<<"$st")" = "$(it_backend_counter p 0 from-guest)" ] &&
		echo yes || echo no
}
nv_wait 30 yes balanced || it_log "counters still moving after 30 s"
nv_cmd stop
nv_cmd show port stats 0
st=$(nv_out)
nv_i_quit || fail "testpmd did not exit cleanly"
grep -q ' 0% packet loss' "$ping" ||
	fail "q=$q: $(grep 'packet loss' "$ping" || echo 'ping failed')"
rx=$(nv_port_stat RX-packets <<<"$st")
tx=$(nv_port_stat TX-packets <<<"$st")
to=$(it_backend_counter p 0 to-guest)
from=$(it_backend_counter p 0 from-guest)
it_log "testpmd RX $rx TX $tx; TAP to-guest $to from-guest $from"
# Every echo request (and ARP) went in and an answer came out.
[ "$rx" -ge 200 ] && [ "$tx" -ge 200 ] || fail "testpmd counted RX '$rx' TX '$tx' for 200 pings"
[ "$rx" = "$to" ] || fail "testpmd RX-packets $rx, the host delivered $to"
[ "$tx" = "$from" ] || fail "testpmd TX-packets $tx, the host received $from"
it_ctl p stats 0 | grep -q 'protocol errors 0' || fail "the PMD caused protocol errors"
it_log "ok: q=$q: $(grep 'packet loss' "$ping")"
