# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Process plumbing of the benchmark (sourced by run.sh): one emulator and
# one guest at a time, either of them optionally under callgrind with
# instrumentation off until the measured window. Everything started here
# is recorded by PID and torn down by bench_cleanup.

BENCH_TAG="bench$$"
BENCH_EMU_TO=		# PID of the `timeout` around the emulator
BENCH_GUEST_TO=		# PID of the `timeout` around the guest
BENCH_GUEST_FD=		# write end of the guest's stdin fifo
BENCH_SEQ=0
BENCH_ERR=		# reason of the last failed measurement
BENCH_EMU_LOG=
BENCH_GUEST_LOG=
EMU_ARGS=()		# extra vmbus-emu options of the next start
GUEST_EAL=()		# extra EAL options of the next guest

# python3 is the interpreter need() resolved (BENCH_PY), not a shim.
python3() { "${BENCH_PY:-$(type -P python3)}" "$@"; }

blog() { echo "[bench $(date +%T)] $*" >&2; }
bdie() {
	echo "[bench] error: $*" >&2
	bench_dump_logs
	exit 1
}

bench_dump_logs() {
	local f
	for f in "$BENCH_TMP"/*.log; do
		[ -f "$f" ] || continue
		echo "----- $(basename "$f") (last 15 lines) -----" >&2
		tail -n 15 "$f" >&2
	done
}

# The process that `timeout` runs: env and valgrind exec in place, so it
# is timeout's only child.
bench_child() { pgrep -P "$1" | head -n 1; }

# Stop what `timeout` runs, politely first; bounded either way.
bench_stop_pid() {
	local to=$1 sig=$2 pid
	[ -n "$to" ] || return 0
	pid=$(bench_child "$to")
	# Asked to KILL (a callgrind'ed guest after its dump): out of the
	# job table first, or bash reports the job as "Killed" on stderr
	# whenever it reaps it (tail --pid below still waits for it).
	[ "$sig" = KILL ] && disown "$to" 2>/dev/null
	[ -n "$pid" ] && kill "-$sig" "$pid" 2>/dev/null
	# tail looks at the pid once per -s seconds (1 by default: a second
	# lost per process stopped, ~4 minutes of a full run).
	timeout 20 tail -s 0.05 --pid="$to" -f /dev/null 2>/dev/null || {
		pid=$(bench_child "$to")
		[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
		kill -KILL "$to" 2>/dev/null
	}
	wait "$to" 2>/dev/null || true
}

# bench_guest_stop [KILL]: KILL for a guest whose output is no longer
# needed (a callgrind window already dumped).
bench_guest_stop() {
	[ -n "$BENCH_GUEST_TO" ] || return 0
	if [ "${1:-}" = KILL ]; then
		bench_stop_pid "$BENCH_GUEST_TO" KILL
		BENCH_GUEST_TO=
	fi
	# testpmd without -i exits on a line on stdin.
	if [ -n "$BENCH_GUEST_FD" ]; then
		{ echo >&"$BENCH_GUEST_FD"; } 2>/dev/null || true
		exec {BENCH_GUEST_FD}>&-
		BENCH_GUEST_FD=
	fi
	bench_stop_pid "$BENCH_GUEST_TO" CONT
	BENCH_GUEST_TO=
}

bench_emu_stop() {
	bench_stop_pid "$BENCH_EMU_TO" TERM
	BENCH_EMU_TO=
}

bench_cleanup() {
	bench_guest_stop
	bench_emu_stop
	rm -rf "/dev/shm/vmbus-emu-$BENCH_TAG"* "/var/run/dpdk/$BENCH_TAG"* 2>/dev/null
	[ -n "${BENCH_TMP:-}" ] && rm -rf "$BENCH_TMP"
	return 0
}

# Prefix that runs a command under callgrind, instrumentation off; the
# output goes to OUT (a .1 suffix is added by the dump at window end).
# Costs by instruction: the execution count of one instruction is what
# counts a guest's packets where it calls nothing once per packet
# (cgsum.py --frames).
bench_cg_prefix() {
	echo valgrind --tool=callgrind --instr-atstart=no \
		--callgrind-out-file="$1" --dump-instr=yes
}

# Failures of one measurement (a guest that does not probe, a devarg it
# refuses) are not the harness's: they return 1 with the reason in
# BENCH_ERR, and the case is reported n/a with it.
bfail() {
	BENCH_ERR=$*
	return 1
}

# Last meaningful lines of a log, on one line (the reason of an n/a).
bench_log_reason() {
	grep -v '^[[:space:]]*$' "$1" 2>/dev/null |
		grep -iE 'error|fail|cannot|invalid|not |refus|declin|unsupported|no probed|max' |
		grep -vE 'EAL: Error - exiting|Cause: ' | tail -n 2 | tr '\n' ' ' | cut -c1-200
}

# bench_emu_start NAME CG-OUT|'' BACKEND-SPEC... (one --backend each;
# more emulator options in the array EMU_ARGS).
bench_emu_start() {
	local name="$BENCH_TAG-$1" out=$2 log="$BENCH_TMP/emu-$1.log" spec
	local -a pre=() be=()
	shift 2
	for spec in "$@"; do be+=(--backend "$spec"); done
	[ -n "$out" ] && read -r -a pre <<<"$(bench_cg_prefix "$out")"
	# Guests run --no-huge (IOVA as VA): the leniency --gpa-mode=va.
	timeout -s KILL "$BENCH_RUN_MAX" "${pre[@]}" "$VMBUS_EMU" --name "$name" \
		--gpa-mode=va "${EMU_ARGS[@]}" "${be[@]}" >"$log" 2>&1 &
	BENCH_EMU_TO=$!
	BENCH_EMU_LOG=$log
	# Polled every 20 ms: it starts in ~0.1 s natively, ~1 s under
	# callgrind, and the run starts ~230 of them.
	for _ in $(seq 3000); do
		grep -q '^ready$' "$log" && return 0
		kill -0 "$BENCH_EMU_TO" 2>/dev/null || bdie "vmbus-emu $name exited early"
		sleep 0.02
	done
	bdie "vmbus-emu $name not ready after 60 s"
}

# VMBus device id of NIC K of emulator NAME (for -a ID,devargs).
bench_dev_id() {
	local d
	d=$(ls "$(bench_root "$1")/sys/bus/vmbus/devices" 2>/dev/null | sort | sed -n "$(($2 + 1))p")
	[ -n "$d" ] || bdie "no VMBus device $2 under $(bench_root "$1")"
	echo "$d"
}

bench_root() { echo "/dev/shm/vmbus-emu-$BENCH_TAG-$1"; }

# One snapshot of NIC 0's counters: "to_guest from_guest backpressure
# acks completions from_guest_bytes".
# bench_snapshot EMU [CTL-COMMAND...] ("stats 0" by default; also
# "cg-window zero|dump 0", the same counters).
bench_snapshot() {
	local root
	root=$(bench_root "$1")
	shift
	[ $# -gt 0 ] || set -- stats 0
	"$VMBUS_EMU_CTL" "$root" "$@" | awk '
		/^  queue 0:/ { for (i = 1; i < NF; i++) {
			if ($i == "acks") { a = $(i + 1); sub(",", "", a) }
			if ($i == "completions") { c = $(i + 1); sub(",", "", c) } } }
		/^backend / { for (i = 1; i < NF; i++) {
			if ($i == "to-guest") tg = $(i + 1)
			if ($i == "from-guest") { fg = $(i + 1); fgb = $(i + 3) }
			if ($i == "backpressure") bp = $(i + 1) } }
		/^drain: / { for (i = 2; i < NF; i++) {
			if ($i == "frames") df = $(i + 1)
			if ($i == "ns") dn = $(i + 1)
			if ($i == "batches") db = $(i + 1)
			if ($i == "max-batch") dm = $(i + 1)
			if ($i == "acked-frames") af = $(i + 1)
			if ($i == "acked-ns") an = $(i + 1)
			if ($i == "median-ps-per-frame") mp = $(i + 1) } }
		END { if (tg == "" || a == "") exit 1
		      print tg + 0, fg + 0, bp + 0, a + 0, c + 0, fgb + 0, df + 0, dn + 0, db + 0, dm + 0,
			    af + 0, an + 0, mp + 0 }'
}

# Field of a snapshot: to_guest=1 from_guest=2 backpressure=3 acks=4
# completions=5 (one per VMBus packet of the guest's: frames/completion
# is the guest's TX batching) from_guest_bytes=6; the generator's drain
# mode (0 otherwise): drain_frames=7 drain_ns=8 drain_batches=9
# drain_batch_max=10 drain_acked_frames=11 drain_acked_ns=12
# drain_median_ps=13 (picoseconds per frame, median of the last 1024
# ACKed batches).
# (No awk: the start-up wait calls it twice every 0.1 s, and every
# process it spawns takes CPU from the guest starting on the other core.)
bench_field() {
	local -a f
	read -r -a f <<<"$1"
	echo "${f[$2 - 1]}"
}

# bench_guest_start EMU GUEST CG-OUT|'' TESTPMD-APP-ARGS...
# (more EAL options, e.g. "-a ID,devargs", in the array GUEST_EAL)
# GUEST names a function guest_cmd_GUEST that prints, one word a line,
# the guest's environment (VAR=VALUE words first: LD_PRELOAD with the
# shim, LD_LIBRARY_PATH...) and its testpmd command line up to "--"
# (binary, plugin selection). Adding a guest is adding such a function.
bench_guest_start() {
	local emu=$1 guest=$2 out=$3 fifo log
	local -a pre=()
	shift 3
	BENCH_SEQ=$((BENCH_SEQ + 1))
	log="$BENCH_TMP/guest-$emu-$guest.log"
	fifo="$BENCH_TMP/guest$BENCH_SEQ.fifo"
	mkfifo "$fifo"
	[ -n "$out" ] && read -r -a pre <<<"$(bench_cg_prefix "$out")"
	local -a envs=() words=()
	mapfile -t words < <("guest_cmd_$guest")
	# Leading VAR=VALUE words are the guest's environment (outside
	# valgrind, which would otherwise have to trace an env process).
	while [ ${#words[@]} -gt 0 ] && [[ ${words[0]} =~ ^[A-Z_][A-Z0-9_]*= ]]; do
		envs+=("${words[0]}")
		words=("${words[@]:1}")
	done
	[ ${#words[@]} -gt 0 ] || bdie "guest '$guest' has no command"
	timeout -s KILL "$BENCH_RUN_MAX" env -i PATH=/usr/bin:/bin \
		VMBUS_EMU_ROOT="$(bench_root "$emu")" "${envs[@]}" \
		"${pre[@]}" "${words[@]}" --no-huge --no-pci -m 512 -l 0-1 \
		--file-prefix="$BENCH_TAG-$BENCH_SEQ" --log-level=lib.eal:error \
		"${GUEST_EAL[@]}" -- --no-mlockall --total-num-mbufs=8192 "$@" \
		<"$fifo" >"$log" 2>&1 &
	BENCH_GUEST_TO=$!
	BENCH_GUEST_LOG=$log
	exec {BENCH_GUEST_FD}>"$fifo"
}

# Wait until snapshot field K of EMU grew by at least MIN (guest is
# forwarding): bench_wait_moving EMU K MIN SECS. Returns 1 (BENCH_ERR)
# if the guest exits or nothing moves: that guest cannot run the case.
bench_wait_moving() {
	local s0 s d
	BENCH_MOVED_AT=
	s0=$(bench_snapshot "$1" || echo "0 0 0 0 0")
	for _ in $(seq $(($4 * 10))); do
		sleep 0.1
		kill -0 "$BENCH_GUEST_TO" 2>/dev/null ||
			bfail "guest exited: $(bench_log_reason "$BENCH_GUEST_LOG")" || return 1
		# testpmd keeps running without ports: no need to wait that out.
		grep -q 'No probed ethernet devices' "$BENCH_GUEST_LOG" 2>/dev/null &&
			{ bfail "no port: $(bench_log_reason "$BENCH_GUEST_LOG")" || return 1; }
		s=$(bench_snapshot "$1") || continue
		d=$(($(bench_field "$s" "$2") - $(bench_field "$s0" "$2")))
		[ "$d" -gt 0 ] && [ -z "$BENCH_MOVED_AT" ] && BENCH_MOVED_AT=$(date +%s.%N)
		[ "$d" -ge "$3" ] && return 0
	done
	bfail "no traffic after $4 s: $(bench_log_reason "$BENCH_GUEST_LOG")"
}

# Callgrind control of the process under timeout TO: bench_cg TO ARGS...
# (returns once the command ran inside the process).
bench_cg() {
	local to=$1 pid
	shift
	pid=$(bench_child "$to")
	[ -n "$pid" ] || bdie "no process under timeout $to"
	# callgrind_control's commands, sent with vgdb directly:
	# callgrind_control is a perl script that first lists every valgrind
	# process of the machine (0.3 s a call under load against 0.13).
	local msg cmd
	case "$*" in
	"-i on") cmd="instrumentation on" ;;
	"-i off") cmd="instrumentation off" ;;
	-z) cmd=zero ;;
	-d) cmd=dump ;;
	*) bdie "bench_cg: unknown command $*" ;;
	esac
	# shellcheck disable=SC2086 # vgdb takes the command as words
	msg=$(vgdb --pid="$pid" $cmd 2>&1) ||
		bdie "vgdb --pid=$pid $cmd failed: $msg"
}

# The measured window: bench_window EMU K PKTS MAXSECS [TIMEOUT-PID]
# Prints "packets seconds backpressure completions txsize drain_frames
# drain_ns drain_batches drain_batch_max drain_acked_frames
# drain_acked_ns drain_median_ps" (deltas but the two end values
# drain_batch_max and drain_median_ps;
# packets of snapshot field K; txsize: mean bytes of the frames the
# guest sent in the window, 0 if none; drain_*: drain mode's counters,
# 0 without it).
#
# With a callgrind'ed process: instrumentation goes on first and stays
# on, so the process runs at one speed for the whole window. Then the
# start snapshot, then "zero the counters"; at the end the stop snapshot,
# then "dump". Both gaps (snapshot -> command taking effect) are the same
# command path at the same speed, so the packets counted but not measured
# at the start and measured but not counted at the end cancel. (Switching
# instrumentation off at the end instead would not: the process speeds up
# while the stop snapshot is taken, and the counters overcount.) run.sh
# checks this against callgrind's own per-packet call counts.
#
# With the emulator under callgrind (SIDE emu), its own "cg-window"
# command takes the snapshot and zeroes (dumps) the profile at one point
# of its loop, so the window's instructions and packets are counted
# between the same two moments, whatever the load; callgrind_control
# is the fallback (an emulator built without valgrind's header).
bench_window() {
	local emu=$1 k=$2 want=$3 max=$4 to=${5:-} side=${6:-} s0 s1 t0 t1 s d=0 exact=0
	if [ -n "$to" ]; then
		bench_cg "$to" -i on
		sleep 0.5
	fi
	if [ "$side" = emu ] && s0=$(bench_snapshot "$emu" cg-window zero 0 2>/dev/null); then
		exact=1
	else
		s0=$(bench_snapshot "$emu") || bdie "no counters from $emu"
		[ -n "$to" ] && bench_cg "$to" -z
	fi
	t0=$(date +%s.%N)
	# A window of a fixed time (native runs: no packet target) is one
	# sleep: no snapshot processes competing with the two measured
	# processes for the two cores, no 0.2 s steps past its end.
	if [ "$want" = 999999999999 ] && [ -z "$to" ]; then
		sleep "$max"
	else
		while :; do
			sleep 0.2
			s=$(bench_snapshot "$emu") || continue
			d=$(($(bench_field "$s" "$k") - $(bench_field "$s0" "$k")))
			[ "$d" -ge "$want" ] && break
			awk -v a="$t0" -v b="$(date +%s.%N)" -v m="$max" 'BEGIN { exit !(b - a > m) }' && break
		done
	fi
	if [ "$exact" = 1 ]; then
		s1=$(bench_snapshot "$emu" cg-window dump 0) || bdie "cg-window dump failed on $emu"
	else
		s1=$(bench_snapshot "$emu") || bdie "no counters from $emu"
		[ -n "$to" ] && bench_cg "$to" -d
	fi
	t1=$(date +%s.%N)
	awk -v k="$k" -v a="$s0" -v b="$s1" -v t0="$t0" -v t1="$t1" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		n = y[2] - x[2]
		m = n > 0 ? (y[6] - x[6]) / n : 0
		printf "%d %.3f %d %d %.1f %d %d %d %d %d %d %d\n", y[k] - x[k], t1 - t0, y[3] - x[3], y[5] - x[5], m,
			y[7] - x[7], y[8] - x[8], y[9] - x[9], y[10], y[11] - x[11], y[12] - x[12], y[13] }'
}
