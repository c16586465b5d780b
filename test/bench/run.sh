#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# run.sh [BUILD-DIR]: the emulator's own cost per packet next to the
# guest PMDs' (see docs/benchmarks.md). Not a test: it asserts nothing
# about speed, it measures and reports.
#
# For each path (rx: generator -> guest, tx: guest -> sink) and each
# repetition:
#   emulator side  vmbus-emu under callgrind, the stock guest native
#   GUEST side     that guest's testpmd under callgrind, emulator native
#   native-GUEST   both native, wall-clock packets per second
# Instructions are collected only inside a window of BENCH_PKTS packets
# in steady state (valgrind --instr-atstart=no, callgrind_control -i).
#
# Environment: BENCH_PKTS (200000), BENCH_REPS (2), BENCH_GUESTS
# ("stock"), BENCH_NATIVE_SECS (3), BENCH_OUT (BUILD-DIR/bench).
# Output: a table on stdout, BENCH_OUT/results.json, BENCH_OUT/results.tsv,
# the callgrind files and BENCH_OUT/emu-<path>-top.txt (profile of the
# emulator's side).

# Settings are read by lib.sh and, PKT_FN_*, through ${!name}.
# shellcheck disable=SC2034
set -u

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd) || exit 1
here="$src/test/bench"
# shellcheck source=test/bench/lib.sh
. "$here/lib.sh"

VMBUS_EMU="$build/test/emulator/vmbus-emu"
VMBUS_EMU_CTL="$build/test/emulator/ctl/vmbus-emu-ctl"
VMBUS_EMU_SHIM="$build/test/emulator/libvmbus_emu_shim.so"
STOCK_FIX="$build/test/emulator/integration/libstock_queue_state.so"
STOCK_TESTPMD=/usr/bin/dpdk-testpmd
PKTS=${BENCH_PKTS:-200000}
REPS=${BENCH_REPS:-2}
read -r -a GUESTS <<<"${BENCH_GUESTS:-stock}"
NATIVE_SECS=${BENCH_NATIVE_SECS:-3}
OUT=${BENCH_OUT:-$build/bench}
BENCH_RUN_MAX=240	# watchdog of every process started (seconds)
WINDOW_MAX=60		# a window ends after this even if short of PKTS
GEN_SPEC="gen:flows=16,size=64"
WARM_PKTS=20000	# packets before a window opens
RX_ARGS=(--forward-mode=rxonly)
TX_ARGS=(--forward-mode=txonly --txpkts=64)
# Functions called once per packet, to check the window's count against
# callgrind's: the emulator's, and those of a guest where one is known
# (PKT_FN_<guest>_<path>; the stock PMD's own symbols are stripped).
PKT_FN_emu_rx=emu_rx_frame
PKT_FN_emu_tx=sink_xmit
PKT_FN_emu_idle=net_tick
PKT_FN_stock_rx=rte_net_get_ptype

# ---- Guests: one function each (see bench_guest_start) ----

# Debian's testpmd and netvsc PMD, plus the preload that lets stock
# testpmd poll stock netvsc queues (test/emulator/integration/).
guest_cmd_stock() {
	echo "LD_PRELOAD=$VMBUS_EMU_SHIM $STOCK_FIX"
	echo "$STOCK_TESTPMD"
}

# ---- Checks ----

need() {
	[ "$(id -u)" = 0 ] || bdie "needs root (the emulator's shim and /var/run/dpdk)"
	local f
	for f in "$VMBUS_EMU" "$VMBUS_EMU_CTL" "$VMBUS_EMU_SHIM" "$STOCK_FIX"; do
		[ -e "$f" ] || bdie "$f missing (make build)"
	done
	[ -x "$STOCK_TESTPMD" ] || bdie "$STOCK_TESTPMD missing (apt-get install dpdk)"
	for f in valgrind callgrind_control python3; do
		command -v "$f" >/dev/null || bdie "$f missing (apt-get install valgrind python3)"
	done
}

# ---- One measurement ----

# Snapshot field that counts a path's packets (see bench_snapshot): tx
# what the sink received; rx what the generator delivered when the
# emulator is measured (what emu_nic_rx counts), what the guest acked
# (consumed) when the guest is. The "idle" path has a generator that
# stops after the warm-up: its window measures one empty poll's cost.
path_field() {
	if [ "$1" = tx ]; then echo 2
	elif [ "$2" = emu ]; then echo 1
	else echo 4
	fi
}
path_backend() {
	case $1 in
	rx) echo "$GEN_SPEC,count=0" ;;
	idle) echo "$GEN_SPEC,count=$WARM_PKTS" ;;
	tx) echo sink ;;
	esac
}
path_args() { if [ "$1" = tx ]; then echo "${TX_ARGS[@]}"; else echo "${RX_ARGS[@]}"; fi; }

# Appends one TSV row: path side rep packets seconds instr extra-json.
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$OUT/results.tsv"; }

# measure PATH SIDE REP: SIDE is emu, native or a guest name.
measure() {
	local path=$1 side=$2 rep=$3 k cg_emu='' cg_guest='' guest=stock to='' w
	local -a args
	read -r -a args <<<"$(path_args "$path")"
	k=$(path_field "$path" "$side")
	BENCH_SEQ=$((BENCH_SEQ + 1))
	local name="$path$BENCH_SEQ" cgout="$OUT/cg-$path-$side-$rep.out"
	rm -f "$cgout" "$cgout".*
	case $side in
	emu) cg_emu=$cgout ;;
	native-*) guest=${side#native-} ;;
	*) guest=$side; cg_guest=$cgout ;;
	esac
	blog "$path $side rep $rep"
	bench_emu_start "$name" "$cg_emu" "$(path_backend "$path")"
	bench_guest_start "$name" "$guest" "$cg_guest" "${args[@]}"
	# Warm-up: the guest forwards, and caches and translations are hot.
	bench_wait_moving "$name" "$k" "$WARM_PKTS" 180
	[ -n "$cg_emu" ] && to=$BENCH_EMU_TO
	[ -n "$cg_guest" ] && to=$BENCH_GUEST_TO
	if [ -z "$to" ]; then
		w=$(bench_window "$name" "$k" 999999999999 "$NATIVE_SECS")
	elif [ "$path" = idle ]; then
		w=$(bench_window "$name" "$k" 999999999999 2 "$to")
	else
		w=$(bench_window "$name" "$k" "$PKTS" "$WINDOW_MAX" "$to")
	fi
	bench_guest_stop
	bench_emu_stop
	local pkts secs bp compl instr=0 extra='{}'
	read -r pkts secs bp compl <<<"$w"
	[ "$pkts" -gt 0 ] || [ "$path" = idle ] || bdie "$path $side: no packets in the window"
	if [ -n "$to" ]; then
		[ -s "$cgout.1" ] || bdie "no callgrind dump $cgout.1"
		local fn="PKT_FN_${guest}_$path"
		[ "$side" = emu ] && fn="PKT_FN_emu_$path"
		extra=$(python3 "$here/cgsum.py" "$cgout.1" --calls "${!fn:-},net_tick" --top 12)
		instr=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])' <<<"$extra")
	fi
	record "$path" "$side" "$rep" "$pkts" "$secs" "$instr" \
		"$(python3 -c 'import json,sys; d=json.load(sys.stdin); d["backpressure"]=int(sys.argv[1]); d["completions"]=int(sys.argv[2]); print(json.dumps(d))' "$bp" "$compl" <<<"$extra")"
}

main() {
	local rep path g
	need
	mkdir -p "$OUT" || exit 1
	BENCH_TMP=$(mktemp -d /tmp/vmbus-bench.XXXXXX) || exit 1
	trap bench_cleanup EXIT
	trap 'exit 1' INT TERM
	: >"$OUT/results.tsv"
	measure idle emu 1
	for rep in $(seq "$REPS"); do
		for path in rx tx; do
			measure "$path" emu "$rep"
			for g in "${GUESTS[@]}"; do
				measure "$path" "$g" "$rep"
			done
		done
	done
	for path in rx tx; do
		for g in "${GUESTS[@]}"; do
			measure "$path" "native-$g" 1
		done
	done
	python3 "$here/report.py" "$OUT/results.tsv" "$OUT/results.json" "$PKTS" "${GUESTS[@]}"
}

main "$@"
