#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# mp.sh ours: multi-process. nv_mp (mp.c) as the primary configures port 0
# with 2 queues and forwards queue 0; a second nv_mp, a secondary process
# (--proc-type=secondary), attaches and forwards queue 1. A generator
# sends 20000 frames of 16 flows (RSS spreads them over both queues).
# Each process's counts equal the host's for its queue (received and
# sent), the secondary reads the same PMD counters (xstats in shared
# memory), every frame came back or was refused by a busy host (counted,
# and only with no_desc/ring_full), and the host saw no protocol error.
# The secondary exits first; a second secondary then attaches, takes
# queue 1 for N more frames and exits, with the same checks. The
# primary's counts, read last, still equal the host's.
. "$(dirname "$0")/lib.sh"
nv_init
[ "$NV_DRIVER" = ours ] || fail "multi-process: ours only"
[ -x "${NV_MP:-}" ] || skip "nv_mp not built"
NV_BIN=$(readlink -f "$NV_MP")
N=20000

# The secondary runs besides IT_TP_PID (the primary): both are ours to
# kill on any exit, found like it_tp_guest_pid finds one.
mp_cleanup() {
	local p
	for p in $(mp_pids); do
		kill -KILL "$p" 2>/dev/null
	done
	it_cleanup
}
trap mp_cleanup EXIT

it_emu_start g --max-queues 8 --backend "gen:flows=16,size=128,count=$N,rate=50000,start=0"
IT_TP_PREFIX="m$RANDOM"
root=$(it_root g)

# Our nv_mp processes of this test other than pid $1.
mp_pids() {
	local p
	for p in $(pgrep -f -- "--file-prefix=$IT_TAG-$IT_TP_PREFIX( |\$)"); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$NV_BIN" ] && [ "$p" != "${1:-}" ] && echo "$p"
	done
}

# mp_start LOG LCORE ARGS...: one nv_mp in the background; sets MP_PID
# (its watchdog wrapper) and MP_REAL (the process itself).
mp_start() {
	local log=$1 i
	NV_LCORES=$2
	shift 2
	nv_eal_args
	# Watchdog (hang guard only), MP_SECS: the primary runs longest;
	# below meson's 480 s so a hang fails with the logs.
	nv_ours_exec "$root" "${MP_SECS:-220}" "$NV_MP" --log-level=pmd.net.netvsc:info \
		"${NV_EAL[@]}" "$@" >"$log" 2>&1 &
	MP_PID=$!
	for i in $(seq 1800); do
		if grep -q '^mp: ready' "$log"; then
			nv_check_log "$log"
			MP_REAL=$(mp_pids "${ppid_real:-}")
			[ "$(wc -w <<<"$MP_REAL")" = 1 ] || fail "cannot tell the nv_mp processes apart: $MP_REAL"
			return 0
		fi
		kill -0 "$MP_PID" 2>/dev/null || { nv_check_log "$log"; fail "$(basename "$log"): exited early"; }
		sleep 0.1
	done
	fail "$(basename "$log"): not ready after 180 s"
}

# mp_stop REAL WRAPPER LOG: SIGTERM, exit status 0; MP_LINE gets its
# summary line (not a command substitution: wait needs this shell).
mp_stop() {
	local pid=$2 log=$3 rc
	kill -TERM "$1"
	wait "$pid"
	rc=$?
	nv_check_log "$log"
	[ "$rc" = 0 ] || fail "$(basename "$log"): exit status $rc"
	MP_LINE=$(grep '^mp: q' "$log" | tail -n 1)
}

plog="$IT_DIR/primary.log"
# Secondaries must map the primary's memory at the primary's addresses:
# a fixed base far above the libraries (and above ASan's shadow, which
# ends near 0x10007fff8000) keeps a secondary's own random layout out of
# the way (under ASan, EAL's default choice collided now and then).
MP_SECS=440 mp_start "$plog" 0 --base-virtaddr=0x200000000000 -- 0 2
it_log "at ${SECONDS} s: primary ready"
IT_TP_PID=$MP_PID ppid_real=$MP_REAL
# FIELD of host queue Q (also once closed: "queue 0 (closed): rx ...").
q_field() { it_ctl g stats 0 | awk -v q="$1" -v f="$2" '$1 == "queue" && ($2 == q ":" || $2 == q) {
	for (i = 3; i < NF; i++) if ($i == f) { v = $(i + 1); sub(",", "", v); print v; exit } }'; }
field() { awk -v f="$1" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }' <<<"$2"; }

# mp_wait SECS WANT COUNTER: nv_wait with a wall-clock bound (hang guard;
# one emulator query may take long on a loaded machine).
mp_wait() {
	local end=$((SECONDS + $1))
	while [ "$SECONDS" -lt "$end" ]; do
		NV_GOT=$(it_backend_counter g 0 "$3")
		[ "$NV_GOT" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# Both processes received every delivered frame and the host counted
# every frame they sent (their counters after a SIGUSR1). A slow host may
# refuse sends (backpressure): those are dropped, and accounted below.
# Phase 2 counts from where phase 1 left: what the primary had received
# (P_RX0) and what the first secondary sent (S_TX0).
P_RX0=0 S_TX0=0
mp_drained() {
	local a b
	kill -USR1 "$ppid_real" "$sreal" 2>/dev/null
	sleep 0.2
	a=$(grep '^mp: progress' "$plog" | tail -n 1)
	b=$(grep '^mp: progress' "$slog" | tail -n 1)
	MP_PROGRESS="primary: ${a:-none}; secondary: ${b:-none}"
	[ -n "$a" ] && [ -n "$b" ] || return 1
	[ $(($(field rx "$a") - P_RX0 + $(field rx "$b"))) = "$N" ] || return 1
	[ "$(it_backend_counter g 0 from-guest)" = $(($(field tx "$a") + S_TX0 + $(field tx "$b"))) ]
}

# run_secondary LOG TOTAL WHAT: a secondary forwards queue 1 until the
# generator has delivered TOTAL frames in all and both processes have
# taken and answered them, then exits; MP_LINE is its summary.
run_secondary() {
	local end
	slog=$1
	mp_start "$slog" 1 --proc-type=secondary -- 1 2
	it_log "at ${SECONDS} s: $3 ready"
	spid=$MP_PID sreal=$MP_REAL
	grep -q 'attached as a secondary process' "$slog" || fail "the PMD did not attach the $3"
	it_ctl g gen 0 start >/dev/null || fail "gen start refused ($3)"
	mp_wait 120 "$2" to-guest || fail "the generator delivered $NV_GOT of $2 ($3)"
	end=$((SECONDS + 120))
	until mp_drained; do
		[ "$SECONDS" -lt "$end" ] || fail "not drained after 120 s ($3): $MP_PROGRESS; host got $(it_backend_counter g 0 from-guest)"
	done
	it_log "at ${SECONDS} s: $3: traffic done"
	mp_stop "$sreal" "$spid" "$slog"
}

run_secondary "$IT_DIR/secondary.log" "$N" secondary
s=$MP_LINE h1rx=$(q_field 1 rx) h1tx=$(q_field 1 tx)
# Steering is on by default, and a secondary never sees VF frames: it says so.
grep -q 'secondary: VF steering is on in the primary' "$IT_DIR/secondary.log" ||
	fail "the secondary did not warn that VF-steered frames reach the primary only"
it_log "secondary: $s; host queue 1: rx $h1rx tx $h1tx"

# check WHO LINE HOST_RX HOST_TX Q [XSTAT]: its counts equal the host's,
# every frame it received was sent or dropped, drops only under
# backpressure; it reads rx_q<Q>_packets XSTAT (default HOST_RX).
check() {
	local who=$1 l=$2 q=$5 xs=${6:-$3}
	[ "$(field rx "$l")" = "$3" ] || fail "$who received $(field rx "$l"), the host delivered $3 on queue $q"
	[ "$(field tx "$l")" = "$4" ] || fail "$who sent $(field tx "$l"), the host received $4 on queue $q"
	[ "$(field xstat "$l")" = "$xs" ] || fail "$who reads rx_q${q}_packets $(field xstat "$l"), the host delivered $xs"
	[ $(($(field tx "$l") + $(field drop "$l"))) = "$3" ] || fail "$who: received $3, sent and dropped $(($(field tx "$l") + $(field drop "$l")))"
	[ "$(field drop "$l")" = 0 ] || [ "$(field busy "$l")" -gt 0 ] ||
		fail "$who dropped $(field drop "$l") frames without backpressure (tx_q${q}_no_desc + ring_full 0)"
}
check secondary "$s" "$h1rx" "$h1tx" 1

# ---- Phase 2: a second secondary attaches after the first exited and
# takes over queue 1; the generator sends N more frames.
kill -USR1 "$ppid_real"
sleep 0.2
a=$(grep '^mp: progress' "$plog" | tail -n 1)
[ -n "$a" ] || fail "no progress line from the primary"
P_RX0=$(field rx "$a") S_TX0=$(field tx "$s")
run_secondary "$IT_DIR/secondary2.log" $((2 * N)) "second secondary"
s2=$MP_LINE h1rx2=$(q_field 1 rx) h1tx2=$(q_field 1 tx)
it_log "second secondary: $s2; host queue 1 since phase 1: rx $((h1rx2 - h1rx)) tx $((h1tx2 - h1tx))"
# The queue's counters live in shared memory: they count both phases.
check "second secondary" "$s2" $((h1rx2 - h1rx)) $((h1tx2 - h1tx)) 1 "$h1rx2"
[ "$((h1rx2 - h1rx))" -gt 0 ] || fail "the second secondary's queue received nothing"

mp_stop "$ppid_real" "$IT_TP_PID" "$plog"
it_log "at ${SECONDS} s: primary stopped"
p=$MP_LINE
IT_TP_PID=
h0rx=$(q_field 0 rx) h0tx=$(q_field 0 tx)
it_log "primary: $p; host queue 0: rx $h0rx tx $h0tx"
check primary "$p" "$h0rx" "$h0tx" 0
[ "$h1rx" -gt 0 ] && [ "$h0rx" -gt 0 ] || fail "RSS left a queue empty: queue 0 $h0rx, queue 1 $h1rx"
[ $((h0rx + h1rx2)) = $((2 * N)) ] || fail "the queues received $((h0rx + h1rx2)) of $((2 * N))"
from=$(it_backend_counter g 0 from-guest)
[ "$from" = $((h0tx + h1tx2)) ] || fail "$from frames came back, the guest sent $((h0tx + h1tx2))"
it_strict_ok g 0
it_log "ok: primary queue 0 $h0rx frames, secondaries queue 1 $h1rx + $((h1rx2 - h1rx)) frames; $from back, dropped under backpressure: $(($(field drop "$p") + $(field drop "$s") + $(field drop "$s2")))"
