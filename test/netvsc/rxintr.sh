#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# rxintr.sh ours QUEUES IRQ-MASK: Rx interrupts. nv_rxintr (rxintr.c), an
# l3fwd-power style responder, sleeps in rte_epoll_wait on its queues'
# event fds when idle, on an emulator whose kernel face has the given
# interrupt-mask behaviour (--irq-mask new|old, docs/emulator.md).
#  1. Idle: over a quiet 2 s the process used (almost) no CPU (utime +
#     stime from /proc, at most 5 ticks where a polling loop uses ~200)
#     and the wait never returned: it sleeps.
#  2. 20 pings (from 4 addresses, so several queues get some) through a
#     TAP device in a network namespace are all answered (each one wakes
#     it), and its counters equal the host's.
. "$(dirname "$0")/lib.sh"
nv_init
it_need_tun
command -v ping >/dev/null || skip "no ping (apt-get install iputils-ping)"
q=${2:?queues} mask=${3:?irq-mask}
[ "$NV_DRIVER" = ours ] || fail "Rx interrupts: ours only"
[ -x "${NV_RXINTR:-}" ] || skip "nv_rxintr not built"
NV_BIN=$(readlink -f "$NV_RXINTR")

ns="nv-$IT_TAG" tap="nvi$$"
ip netns add "$ns" || fail "cannot create netns $ns"
IT_NETNS+=("$ns")
# No IPv6 in the namespace: router solicitations would be traffic.
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
it_emu_start p --max-queues 8 --irq-mask "$mask" \
	--backend "tap:$tap,netns=$ns,ip=10.79.0.1/24"

log="$IT_DIR/rxintr.log"
IT_TP_PREFIX="r$RANDOM"
nv_eal_args
nv_ours_exec "$(it_root p)" 120 "$NV_RXINTR" --log-level=pmd.net.netvsc:info \
	"${NV_EAL[@]}" -- "$q" >"$log" 2>&1 &
IT_TP_PID=$!
for _ in $(seq 300); do
	grep -q '^rxintr: ready' "$log" && break
	kill -0 "$IT_TP_PID" 2>/dev/null || { nv_check_log "$log"; fail "nv_rxintr exited early"; }
	sleep 0.1
done
grep -q '^rxintr: ready' "$log" || fail "nv_rxintr not sleeping after 30 s"
nv_check_log "$log"
pid=$(it_tp_guest_pid)
[ -n "$pid" ] || fail "no nv_rxintr process"

# utime + stime of the whole process (every thread), in clock ticks.
cpu() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat"; }
# The last "rxintr: stats" line after asking for it with SIGUSR1.
stats() {
	local n i
	n=$(grep -c '^rxintr: stats' "$log")
	kill -USR1 "$pid"
	for i in $(seq 100); do
		[ "$(grep -c '^rxintr: stats' "$log")" -gt "$n" ] && break
		sleep 0.05
	done
	grep '^rxintr: stats' "$log" | tail -n 1
}
field() { awk -v f="$1" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }' <<<"$2"; }

s0=$(stats)
c0=$(cpu)
sleep 2
c1=$(cpu)
s1=$(stats)
it_log "idle 2 s: $((c1 - c0)) ticks; before: $s0; after: $s1"
# The stats request itself is a signal, never a wakeup by an event.
[ "$(field wakeups "$s1")" = "$(field wakeups "$s0")" ] ||
	fail "the idle wait returned with events: $s0 -> $s1"
[ $((c1 - c0)) -le 5 ] || fail "idle in interrupt mode, yet $((c1 - c0)) ticks of CPU in 2 s"

# From 4 source addresses: RSS spreads the flows over the queues, and a
# queue whose interrupt never woke the responder would lose its pings.
for i in 1 2 3 4; do
	ip -n "$ns" addr add "10.79.0.1$i/24" dev "$tap" || fail "addr add"
done
for i in 1 2 3 4; do
	ip netns exec "$ns" ping -c 5 -i 0.05 -W 2 -I "10.79.0.1$i" 10.79.0.2 >"$IT_DIR/ping$i.log" 2>&1
	grep -q ' 0% packet loss' "$IT_DIR/ping$i.log" ||
		fail "q=$q mask=$mask from 10.79.0.1$i: $(grep 'packet loss' "$IT_DIR/ping$i.log" || echo 'ping failed')"
done
kill -TERM "$pid"
wait "$IT_TP_PID"
rc=$?
IT_TP_PID=
nv_check_log "$log"
[ "$rc" = 0 ] || fail "nv_rxintr exited $rc"
s2=$(grep '^rxintr: stats' "$log" | tail -n 1)
it_log "after ping: $s2"
rx=$(field rx "$s2") tx=$(field tx "$s2") wk=$(field wakeups "$s2")
to=$(it_backend_counter p 0 to-guest)
from=$(it_backend_counter p 0 from-guest)
[ "$wk" -gt "$(field wakeups "$s1")" ] || fail "answered pings without waking up: $s2"
[ "$rx" -ge 20 ] && [ "$tx" -ge 20 ] || fail "rx '$rx' tx '$tx' for 20 pings"
[ "$rx" = "$to" ] || fail "nv_rxintr received $rx, the host delivered $to"
[ "$tx" = "$from" ] || fail "nv_rxintr sent $tx, the host received $from"
it_strict_ok p 0
irqs=$(it_ctl p stats 0 | awk '/^  queue / { for (i = 1; i < NF; i++)
	if ($i == "irqs") { v = $(i + 1); sub(",", "", v); s += v } } END { print s + 0 }')
[ "$irqs" -gt 0 ] || fail "the host raised no interrupt"
busy=$(it_ctl p stats 0 | awk '/^  queue [0-9]+[^:]*: rx [1-9]/' | wc -l)
it_log "ok: q=$q mask=$mask: 20 pings answered; host irqs $irqs; $busy queue(s) received"
