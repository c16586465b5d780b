#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# vlan.sh ours: VLAN insert and strip through per-packet info. A TAP in a
# namespace; testpmd 5tswap with `tx_vlan set 0 100` reflects every frame.
# vlan.py sends UDP frames tagged with VLAN 100: they reach testpmd with
# the tag stripped (RX_VLAN_STRIPPED, tci 100 in testpmd's dump: the host
# moved it into the VLAN PPI), and come back tagged 100 on the wire (the
# PMD asked for it with the VLAN PPI, the host inserted it): every one,
# none untagged, none lost; the host counted one insertion per frame.
. "$(dirname "$0")/lib.sh"
nv_init
[ "$NV_DRIVER" = ours ] || skip "ours only (the stock reference runs ping/tcp)"
it_need_tun
[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
N=50
MAC=00:15:5d:00:03:10

ns="nv-$IT_TAG" tap="nvv$$"
ip netns add "$ns" || fail "cannot create netns $ns"
IT_NETNS+=("$ns")
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
it_emu_start v --mac "$MAC" --backend "tap:$tap,netns=$ns"
log="$IT_DIR/testpmd.log"
nv_i_start v "$log" --forward-mode=5tswap
nv_cmd port stop 0
nv_cmd tx_vlan set 0 100
nv_out | grep -qi 'error\|fail\|not support' && fail "tx_vlan set: $(nv_out)"
nv_cmd port start 0
nv_cmd set verbose 1
nv_cmd start
res=$(timeout -s KILL 120 ip netns exec "$ns" /usr/bin/python3 "$(dirname "$0")/vlan.py" "$tap" "$MAC" "$N" 2>&1) ||
	fail "vlan.py: $res"
it_log "vlan.py: $res"
nv_cmd stop
nv_cmd set verbose 0
nv_cmd show port stats 0
st=$(nv_out)
nv_i_quit || fail "testpmd did not exit cleanly"
[ "$res" = "sent $N tagged $N untagged 0 lost 0" ] || fail "frames sent back: $res"
s=$(grep -c 'VLAN tci=0x64' "$log")
[ "$s" -ge "$N" ] || fail "testpmd saw $s frames with a stripped tag 100, wanted $N"
grep -q 'RTE_MBUF_F_RX_VLAN_STRIPPED' "$log" || fail "no RX_VLAN_STRIPPED flag in testpmd's dump"
rx=$(nv_port_stat RX-packets <<<"$st")
tx=$(nv_port_stat TX-packets <<<"$st")
to=$(it_backend_counter v 0 to-guest)
from=$(it_backend_counter v 0 from-guest)
it_log "testpmd RX $rx TX $tx; TAP to-guest $to from-guest $from"
[ "$rx" = "$to" ] || fail "testpmd RX-packets $rx, the host delivered $to"
[ "$tx" = "$from" ] || fail "testpmd TX-packets $tx, the host received $from"
tags=$(it_ctl v stats 0 | awk '/offload:/ { for (i = 1; i < NF; i++) if ($i == "vlan") { v = $(i + 1); sub(",", "", v); s += v } } END { print s + 0 }')
[ "$tags" = "$tx" ] || fail "the host inserted $tags tags for $tx frames"
it_ctl v stats 0 | grep -q 'protocol errors 0' || fail "the PMD caused protocol errors"
it_log "ok: $N frames on VLAN 100, tags stripped on receive and inserted on send"
