#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# cycles.sh ours|stock: 100 port stop/start cycles, then 20 close/detach/
# re-attach cycles, each followed by traffic; DPDK heap in use and mbufs in
# use are the same after the last cycle as after the first (nothing leaks
# into rte_malloc or the mempool), and, under ASan, LeakSanitizer finds
# nothing at exit. The port forwards every frame after the last cycle.
. "$(dirname "$0")/lib.sh"
nv_init
STARTS=100 PROBES=20 N=500

it_emu_start c --backend "gen:flows=8,size=64,count=$N,start=0"
guid=$(nv_guid c 0)
nv_i_start c "$IT_DIR/testpmd.log" --forward-mode=rxonly

# DPDK heap in use: "<MB> MB in <n> blocks".
heap() {
	nv_cmd dump_socket_mem
	nv_out | sed -n 's/^Total *: size(M) total: [0-9.]* alloc: \([0-9.]*\).*count alloc: *\([0-9]*\).*/\1 MB in \2 blocks/p'
}
# Objects out of every mempool: size less the pool's and caches' counts.
mbufs() {
	nv_cmd dump_mempool
	nv_out | awk -F= '/^  size=/ { s += $2 } /^  common_pool_count=/ { s -= $2 }
		/^    total_cache_count=/ { s -= $2 } END { print s + 0 }'
}
# Forward one batch of N generated frames; testpmd must count all.
traffic() {
	local r0
	nv_cmd clear port stats 0
	nv_cmd start
	it_ctl c gen 0 start >/dev/null || fail "gen start refused"
	nv_wait 30 "$N" eval 'nv_cmd show port stats 0; nv_out | nv_port_stat RX-packets' ||
		fail "$1: testpmd received $NV_GOT of $N"
	nv_cmd stop
}
# Many commands at once, then wait for as many prompts.
batch() {
	local n i
	n=$(grep -o 'testpmd> ' "$NV_LOG" | wc -l)
	printf '%s\n' "$@" >&9
	for i in $(seq 1200); do
		[ "$(grep -o 'testpmd> ' "$NV_LOG" | wc -l)" -ge $((n + $#)) ] && return 0
		kill -0 "$IT_TP_PID" 2>/dev/null || fail "testpmd died during a batch"
		sleep 0.1
	done
	fail "a batch of $# commands did not finish in 120 s"
}

traffic "first run"
h1=$(heap) m1=$(mbufs)
cmds=()
for i in $(seq "$STARTS"); do cmds+=("port stop 0" "port start 0"); done
batch "${cmds[@]}"
nv_check_log "$NV_LOG"
starts=$(grep -c 'Port 0: [0-9A-Fa-f:]\{17\}' "$NV_LOG")
[ "$starts" -ge $((STARTS + 1)) ] || fail "only $starts port starts reported for $STARTS cycles"
traffic "after $STARTS stop/start cycles"
h2=$(heap) m2=$(mbufs)
it_log "after $STARTS stop/start: heap $h1 -> $h2, mbufs in use $m1 -> $m2"
[ "$m1" = "$m2" ] || fail "mbufs in use grew from $m1 to $m2 over $STARTS stop/start cycles"
[ "$h1" = "$h2" ] || fail "DPDK heap grew from $h1 to $h2 over $STARTS stop/start cycles"

for i in $(seq "$PROBES"); do
	batch "port stop 0" "port close 0" "device detach $guid"
	if [ "$NV_DRIVER" = stock ] && nv_out | grep -q 'unplug not supported'; then
		it_log "ok: $STARTS start/stop cycles; the stock vmbus bus cannot unplug, so no re-probe"
		exit 0
	fi
	nv_out | grep -q 'is detached' || fail "cycle $i: device not detached: $(nv_out | tail -3)"
	batch "port attach $guid"
	nv_out | grep -q 'is attached' || fail "cycle $i: re-attach failed: $(nv_out | tail -3)"
	batch "port start 0"
	nv_check_log "$NV_LOG"
	[ "$i" = 1 ] && { traffic "first re-probe"; h3=$(heap); m3=$(mbufs); }
done
traffic "after $PROBES close/re-probe cycles"
h4=$(heap) m4=$(mbufs)
it_log "after $PROBES re-probes: heap $h3 -> $h4, mbufs in use $m3 -> $m4"
[ "$m3" = "$m4" ] || fail "mbufs in use grew from $m3 to $m4 over $PROBES re-probes"
[ "$h3" = "$h4" ] || fail "DPDK heap grew from $h3 to $h4 over $PROBES re-probes"
nv_i_quit || fail "testpmd did not exit cleanly"
it_ctl c stats 0 | grep -q 'protocol errors 0' || fail "protocol errors over the cycles"
it_log "ok: $STARTS start/stop and $PROBES close/re-probe cycles, nothing leaked"
