#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# statsreset.sh ours: a stats reset while the data path polls reads back
# zero. nv_statsreset (statsreset.c) polls 4 queues on its worker lcore;
# a generator sends N frames of 16 flows; once the port counted them all
# the main lcore resets and reads the stats R times while the worker
# keeps polling the quiet queues. Each reset reads back zero (basic stats)
# and so do the per-queue xstats after the last one: the PMD's reset
# records a baseline instead of writing the counters the burst updates.
. "$(dirname "$0")/lib.sh"
nv_init
[ "$NV_DRIVER" = ours ] || skip "ours only (needs the nv_statsreset program)"
[ -x "${NV_STATSRESET:-}" ] || skip "nv_statsreset not built"
N=4000 Q=4 R=${NV_RESETS:-200000}

it_emu_start r --max-queues 8 --backend "gen:flows=16,size=128,count=$N,rate=50000,start=0"
root=$(it_root r)
log="$IT_DIR/nv_statsreset.log"
nv_eal_args
nv_ours_exec "$root" 200 "$NV_STATSRESET" "${NV_EAL[@]}" -- "$Q" "$N" "$R" >"$log" 2>&1 &
pid=$!
nv_wait_line 120 "$log" '^statsreset: polling' "$pid" ||
	{ nv_check_log "$log"; fail "nv_statsreset did not start: $(tail -n 5 "$log")"; }
it_ctl r gen 0 start >/dev/null || fail "gen start refused"
wait "$pid"
rc=$?
nv_check_log "$log"
it_log "$(grep '^statsreset:' "$log" | tr '\n' ';')"
grep -q "^statsreset: received $N frames, ipackets $N\$" "$log" ||
	fail "before the resets: $(grep '^statsreset: received' "$log" || tail -n 3 "$log"), wanted $N"
grep -q "^statsreset: $R resets, 0 read back non-zero" "$log" ||
	fail "a reset did not hold: $(grep '^statsreset: [0-9]* resets' "$log" || tail -n 3 "$log")"
grep -q '^statsreset: xstats after the last reset: rx_qN_packets sum 0$' "$log" ||
	fail "xstats after a reset: $(grep '^statsreset: xstats' "$log" || tail -n 3 "$log")"
[ "$rc" = 0 ] || fail "nv_statsreset: exit status $rc"
it_strict_ok r 0
it_log "ok: $R resets under polling read back zero"
