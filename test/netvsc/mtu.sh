#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# mtu.sh ours [QUEUES]: MTU 1500 -> 9000 -> 1500 at runtime. A TAP with MTU 9000 in
# a namespace, testpmd icmpecho with scattered Rx (2 KiB mbufs) and
# multi-segment Tx. Each change (port stopped) starts a new host session
# with the new MTU. 9000-byte pings (9014-byte frames: five mbufs in, five
# segments out) are answered only at MTU 9000; at 1500 the host drops them
# as too big (its counter says how many); 1472-byte pings work throughout.
# The PMD's jumbo size classes count exactly the 50 jumbo frames each way.
# With QUEUES > 1 each new session has that many channels again.
# mtu.sh ours conf: the MTU comes from rte_eth_conf (testpmd's
# --max-pkt-len=9018, i.e. rxmode.mtu 9000, the way applications set it
# since DPDK 21.11): 9000 from the first configure (the host then passes
# jumbo frames), then 1500 at runtime as above.
# testpmd's counters equal the TAP's, and the host saw no protocol error.
. "$(dirname "$0")/lib.sh"
nv_init
[ "$NV_DRIVER" = ours ] || skip "the stock 22.11 PMD has no MTU change"
it_need_tun
command -v ping >/dev/null || skip "no ping (apt-get install iputils-ping)"

q=${2:-1} conf=
[ "$q" = conf ] && q=1 conf=--max-pkt-len=9018
ns="nv-$IT_TAG" tap="nvm$$"
ip netns add "$ns" || fail "cannot create netns $ns"
IT_NETNS+=("$ns")
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
it_emu_start m --max-queues 8 --mac 00:15:5d:00:05:10 --backend "tap:$tap,netns=$ns,ip=10.78.0.1/24"
# A fixed neighbour: no ARP probe may arrive after testpmd stops counting.
ip netns exec "$ns" ip neigh replace 10.78.0.2 lladdr 00:15:5d:00:05:10 nud permanent dev "$tap" ||
	fail "cannot add the neighbour entry"
ip netns exec "$ns" ip link set "$tap" mtu 9000 || fail "cannot set the TAP's MTU"
log="$IT_DIR/testpmd.log"
nv_i_start m "$log" --forward-mode=icmpecho --enable-scatter --tx-offloads=0x8000 \
	--rxq="$q" --txq="$q" $conf
nv_cmd start

too_big() { it_ctl m stats 0 | awk '/too-big/ { for (i = 1; i < NF; i++) if ($i == "too-big") { print $(i + 1) + 0; exit } }'; }

# pings SIZE COUNT LOSS: COUNT pings of SIZE bytes, LOSS% lost (0 or 100).
# All answered: one ping at a time, each waiting for its reply (-W is only
# a hang guard: a burst's ping gives up on a reply slower than twice the
# slowest so far, and with -w sends more than COUNT, whose late replies
# would upset the counts below). All lost: one burst; the host's too-big
# counter, checked by the caller, says why.
pings() {
	local out="$IT_DIR/ping-$1-$RANDOM.log" got
	if [ "$3" = 100 ]; then
		ip netns exec "$ns" ping -M do -s "$1" -c "$2" -i 0.01 -W 1 10.78.0.2 >"$out" 2>&1
		grep -q " 0 received, 100% packet loss" "$out" ||
			fail "MTU $mtu: $2 pings of $1 bytes: wanted all lost: $(grep 'packet loss' "$out" || tail -n2 "$out")"
		it_log "MTU $mtu: $1-byte pings: none of $2 answered"
		return
	fi
	got=$(ip netns exec "$ns" bash -c 'n=0; for i in $(seq "$2"); do
		ping -M do -s "$1" -c 1 -W 30 10.78.0.2 >>"$3" 2>&1 && n=$((n + 1)); done; echo $n' \
		_ "$1" "$2" "$out")
	[ "$got" = "$2" ] || fail "MTU $mtu: $2 pings of $1 bytes: $got answered: $(grep 'packet loss' "$out" | sort | uniq -c)"
	it_log "MTU $mtu: $1-byte pings: $got of $2 answered"
}

set_mtu() {
	nv_cmd stop
	nv_cmd port stop 0
	nv_cmd port config mtu 0 "$1"
	nv_out | grep -qi 'fail\|error\|invalid' && fail "port config mtu 0 $1: $(nv_out)"
	nv_cmd port start 0
	nv_out | grep -qi 'fail\|error' && fail "port start after MTU $1: $(nv_out)"
	nv_cmd show port info 0
	nv_out | grep -q "MTU: $1\$" || fail "port info after MTU $1: $(nv_out | grep -i mtu)"
	it_ctl m stats 0 | grep -q " channels $q," ||
		fail "MTU $1: the host has $(it_ctl m stats 0 | grep -o ' channels [0-9]*'), wanted $q"
	# The new session's subchannels are mapped again, one per queue.
	[ "$q" = 1 ] || [ "$(grep -c "port 0: $q channels (asked $q)" "$log")" -gt "$nch" ] ||
		fail "MTU $1: no '$q channels' line for the new session"
	nch=$(grep -c "port 0: $q channels (asked $q)" "$log")
	nv_cmd start
	mtu=$1
}

# jumbo: 50 pings of 9000 bytes at MTU 9000, then 1472-byte ones; the
# PMD's jumbo size classes count exactly those 50 frames each way.
jumbo() {
	pings 8972 50 0
	nv_cmd show port xstats 0
	for d in rx tx; do
		j=$(nv_out | nv_port_stat "${d}_size_1519_max_packets")
		[ "$j" = 50 ] || fail "MTU 9000: ${d}_size_1519_max_packets '$j', wanted 50"
	done
	pings 1472 10 0
}

nch=$(grep -c "port 0: $q channels (asked $q)" "$log")
[ "$q" = 1 ] || [ "$nch" -ge 1 ] || fail "$q queues: no '$q channels' line at start"
if [ -n "$conf" ]; then
	mtu=9000 answered=80
	grep -q "port 0: MTU 9000 from the port's configuration (new host session)" "$log" ||
		fail "no MTU line from configure: $(grep -m1 'MTU' "$log")"
	nv_cmd show port info 0
	nv_out | grep -q "MTU: 9000\$" || fail "port info: $(nv_out | grep -i mtu)"
	jumbo
else
	mtu=1500 answered=100
	pings 1472 20 0
	b0=$(too_big)
	pings 8972 5 100
	[ "$(too_big)" = $((b0 + 5)) ] || fail "MTU 1500: host too-big $(too_big), wanted $((b0 + 5))"
	set_mtu 9000
	grep -q "port 0: MTU 9000 (new host session)" "$log" || fail "no MTU log line"
	jumbo
fi
set_mtu 1500
b0=$(too_big)
pings 8972 5 100
[ "$(too_big)" = $((b0 + 5)) ] || fail "back at 1500: host too-big $(too_big), wanted $((b0 + 5))"
pings 1472 20 0
nv_cmd stop
nv_cmd show port stats 0
st=$(nv_out)
nv_i_quit || fail "testpmd did not exit cleanly"
rx=$(nv_port_stat RX-packets <<<"$st")
tx=$(nv_port_stat TX-packets <<<"$st")
to=$(it_backend_counter m 0 to-guest)
from=$(it_backend_counter m 0 from-guest)
it_log "testpmd RX $rx TX $tx; TAP to-guest $to from-guest $from"
[ "$rx" = "$answered" ] && [ "$tx" = "$answered" ] ||
	fail "testpmd RX '$rx' TX '$tx', wanted exactly the $answered answered pings"
[ "$rx" = "$to" ] || fail "testpmd RX-packets $rx, the host delivered $to"
[ "$tx" = "$from" ] || fail "testpmd TX-packets $tx, the host received $from"
it_ctl m stats 0 | grep -q 'protocol errors 0' || fail "the PMD caused protocol errors"
if [ -n "$conf" ]; then
	it_log "ok: MTU 9000 from the configuration -> 1500, jumbo pings answered only at 9000"
else
	it_log "ok: MTU 1500 -> 9000 -> 1500, jumbo pings answered only at 9000"
fi
