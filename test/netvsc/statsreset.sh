#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# statsreset.sh ours [vf]: a stats reset while the data path polls reads
# back zero. nv_statsreset (statsreset.c) polls 4 queues on its worker
# lcore; a generator sends N frames of 16 flows; once the port counted
# them all the main lcore resets and reads the stats R times while the
# worker keeps polling the quiet queues. Each reset reads back zero (basic
# stats) and so do the per-queue xstats after the last one: the PMD's
# reset records a baseline instead of writing the counters the burst
# updates. Then the generator sends N more: the port counts exactly N.
#   vf: the same with a VF attached (vf-attach, vf=1) and steered to
#       before the generator starts, so the frames come through the VF's
#       stand-in PMD, whose bursts update its counters the same way: the
#       PMD's reset records a baseline of the VF port's stats too.
. "$(dirname "$0")/lib.sh"
nv_init
variant=${2:-}
[ "$NV_DRIVER" = ours ] || skip "ours only (needs the nv_statsreset program)"
[ -x "${NV_STATSRESET:-}" ] || skip "nv_statsreset not built"
N=4000 Q=4 R=${NV_RESETS:-200000}
emu_args=()
if [ "$variant" = vf ]; then
	command -v ip >/dev/null || skip "no ip(8)"
	# This run's own MAC, serial and veth names (vf.sh says why).
	MAC=$(printf '00:15:5d:%02x:%02x:%02x' $(($$ >> 16 & 255)) $(($$ >> 8 & 255)) $(($$ & 255)))
	G="nsg$$" H="nsh$$"
	G=${G:0:15} H=${H:0:15}
	emu_args=(--mac "$MAC")
	trap 'ip link del "$H" 2>/dev/null; it_cleanup' EXIT
fi

it_emu_start r "${emu_args[@]}" --max-queues 8 --backend "gen:flows=16,size=128,count=$N,rate=50000,start=0"
root=$(it_root r)
log="$IT_DIR/nv_statsreset.log"
if [ "$variant" = vf ]; then
	it_ctl r vf-attach 0 "$G" "$H" >/dev/null || skip "vf-attach refused (no libnl-route-3 in the emulator?)"
	it_ctl r vf-set 0 appear-ms 100 >/dev/null || fail "vf-set appear-ms"
	NV_EAL_ARGS=(-a "$(nv_guid r 0),vf=1")
fi
nv_eal_args
nv_ours_exec "$root" 200 "$NV_STATSRESET" "${NV_EAL[@]}" -- "$Q" "$N" "$R" >"$log" 2>&1 &
pid=$!
nv_wait_line 120 "$log" '^statsreset: polling' "$pid" ||
	{ nv_check_log "$log"; fail "nv_statsreset did not start: $(tail -n 5 "$log")"; }
if [ "$variant" = vf ]; then
	grep -q 'VF steering unavailable' "$log" && skip "$(grep -m1 'VF steering unavailable' "$log")"
	it_ctl r vf-offer 0 $$ >/dev/null || fail "vf-offer refused"
	nv_wait_line 30 "$log" "VF $G (serial match) attached as port" "$pid" ||
		fail "the VF was not attached: $(grep -m1 'VF' "$log" || tail -n 3 "$log")"
	steering() { it_ctl r stats 0 | awk '/^  vf: / { for (i = 2; i < NF; i++) if ($i == "steering") { v = $(i + 1); sub(",", "", v); print v; exit } }'; }
	nv_wait 10 on steering || fail "the host does not steer to the VF ($NV_GOT)"
fi
it_ctl r gen 0 start >/dev/null || fail "gen start refused"
nv_wait_line 300 "$log" '^statsreset: resets done' "$pid" ||
	{ nv_check_log "$log"; fail "the resets did not finish: $(tail -n 3 "$log")"; }
# A finished generator sends N more when started again.
it_ctl r gen 0 start >/dev/null || fail "gen start refused (second batch)"
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
grep -q "^statsreset: after the resets: received $N frames, ipackets $N\$" "$log" ||
	fail "after the resets: $(grep '^statsreset: after' "$log" || tail -n 3 "$log"), wanted $N"
if [ "$variant" = vf ]; then
	vfrx=$(it_ctl r stats 0 | awk '/^  vf: / { for (i = 2; i < NF; i++) if ($i == "rx" && $(i + 2) == "pkts") { print $(i + 1); exit } }')
	[ "$vfrx" = $((2 * N)) ] || fail "the emulator steered $vfrx frames into the VF, wanted all $((2 * N))"
fi
[ "$rc" = 0 ] || fail "nv_statsreset: exit status $rc"
it_strict_ok r 0
it_log "ok: $R resets under polling read back zero${variant:+ ($variant)}, then $N frames counted exactly"
