#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# TAP backend in a fresh network namespace; testpmd icmpecho answers ARP
# and ICMP; 100 pings from the namespace, no loss. Once with one queue,
# once with 4 (subchannels).
. "$(dirname "$0")/lib.sh"
it_init
it_need_testpmd
it_need_tun
command -v ping >/dev/null || skip "no ping (apt-get install iputils-ping)"

run_case() {
	# Separate statements: 'local' expands all its words before assigning.
	local q=$1
	local ns="emu-$IT_TAG-q$q" tap="emut$$q$q" out ping
	ip netns add "$ns" || fail "cannot create netns $ns"
	IT_NETNS+=("$ns")
	it_emu_start "q$q" --max-queues 8 \
		--backend "tap:$tap,netns=$ns,ip=10.77.$q.1/24"
	ip netns exec "$ns" ip link show "$tap" >/dev/null ||
		fail "TAP $tap is not in namespace $ns"
	out="$IT_DIR/testpmd-q$q.log"
	it_tp_start "q$q" "$out" --forward-mode=icmpecho --rxq="$q" --txq="$q"
	ping="$IT_DIR/ping-q$q.log"
	ip netns exec "$ns" ping -c 100 -i 0.01 -W 1 "10.77.$q.2" >"$ping" 2>&1
	it_tp_stop || fail "testpmd (rxq=$q) did not exit cleanly"
	it_strict_ok "q$q" 0
	grep -q ' 0% packet loss' "$ping" ||
		fail "rxq=$q: $(grep 'packet loss' "$ping" || echo 'ping failed')"
	it_log "ok: rxq=txq=$q: $(grep 'packet loss' "$ping")"
}

run_case 1
run_case 4
