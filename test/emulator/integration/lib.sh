# SPDX-License-Identifier: BSD-3-Clause
#
# Shared by the integration tests: Debian's stock dpdk-testpmd (and its
# stock netvsc PMD) against vmbus-emu through the LD_PRELOAD shim.
#
# Environment (set by meson): VMBUS_EMU, VMBUS_EMU_CTL, VMBUS_EMU_SHIM,
# EMU_BADGUEST. Every test calls it_init first; everything it starts or
# creates is torn down by the EXIT trap, whatever happens.

TESTPMD=${TESTPMD:-/usr/bin/dpdk-testpmd}
# testpmd runs on its own 2 MiB hugepages with IOVA as PA: the emulator
# reads GPAs only through the shim's guest-physical page table.
IT_HUGE_PAGES=256	# 512 MiB: one testpmd (-m 256) plus a killed one's
. "$(dirname "${BASH_SOURCE[0]}")/../../common/hugepages.sh"
IT_NAME=$(basename "$0" .sh)
IT_TAG="it$$"
IT_DIR=
IT_EMU_PIDS=()
IT_NETNS=()
IT_TP_PID=
IT_TP_FIFO=

it_log() { echo "[$IT_NAME] $*"; }
skip() { echo "SKIP ($IT_NAME): $*"; exit 77; }
fail() {
	echo "FAIL ($IT_NAME): $*"
	it_dump_logs
	exit 1
}

it_dump_logs() {
	local f
	for f in "$IT_DIR"/*.log; do
		[ -f "$f" ] || continue
		echo "----- $(basename "$f") (last 40 lines) -----"
		tail -n 40 "$f"
	done
}

it_cleanup() {
	local pid ns
	if [ -n "${IT_WATCHDOG_PID:-}" ]; then
		pkill -P "$IT_WATCHDOG_PID" 2>/dev/null
		kill "$IT_WATCHDOG_PID" 2>/dev/null
		wait "$IT_WATCHDOG_PID" 2>/dev/null
	fi
	if [ -n "$IT_TP_PID" ]; then
		pid=$(it_tp_guest_pid)
		[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
		kill -KILL "$IT_TP_PID" 2>/dev/null
		wait "$IT_TP_PID" 2>/dev/null
	fi
	for pid in "${IT_EMU_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${IT_EMU_PIDS[@]}"; do
		# Bounded: an emulator that ignores SIGTERM is killed.
		timeout 5 tail -s 0.05 --pid="$pid" -f /dev/null 2>/dev/null ||
			kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in "${IT_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	huge_release
	rm -rf "/dev/shm/vmbus-emu-$IT_TAG"* "/var/run/dpdk/$IT_TAG"* 2>/dev/null
	[ -n "$IT_DIR" ] && { [ -n "${IT_KEEP:-}" ] && cp -r "$IT_DIR" "$IT_KEEP"; rm -rf "$IT_DIR"; }
}

# Hang report. meson's timeout sends SIGTERM and SIGKILL half a second
# apart: too soon to learn where a process was stuck, and a script blocked
# in a command runs no trap at all. With IT_HANG_SECS (meson.build sets it
# a little under the test's timeout) a watcher prints, once that time is
# up, every process the test started: its threads' states and, where gdb
# is installed, their stacks; then the logs. It ends the test only
# through meson's timeout.
it_descendants() {
	local c
	for c in $(pgrep -P "$1"); do
		echo "$c"
		it_descendants "$c"
	done
}

it_hang_report() {
	local pid t comm
	echo "HANG ($IT_NAME): still running after $IT_HANG_SECS s; its processes:"
	for pid in $(it_descendants "$1"); do
		comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
		case $comm in bash | sh | sleep | timeout | tail | grep | wc | pgrep) continue ;; esac
		echo "--- pid $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-300)"
		for t in /proc/"$pid"/task/*; do
			echo "  thread ${t##*/} $(cat "$t/comm" 2>/dev/null):" \
				"state $(sed 's/.*) //' "$t/stat" 2>/dev/null | cut -d' ' -f1)" \
				"wchan $(cat "$t/wchan" 2>/dev/null)"
		done
		if command -v gdb >/dev/null; then
			timeout 60 gdb -q -batch -p "$pid" -ex 'thread apply all bt 16' \
				</dev/null 2>/dev/null | grep -E '^(Thread|#)' | head -120
		fi
	done
	it_dump_logs
}

it_watchdog() {
	local top=$$
	[ -n "${IT_HANG_SECS:-}" ] || return 0
	(
		trap - EXIT INT TERM
		# Killed (the test ended): no report.
		sleep "$IT_HANG_SECS" </dev/null >/dev/null 2>&1 || exit 0
		it_hang_report "$top"
	) &
	IT_WATCHDOG_PID=$!
}

# Prerequisites shared by all tests; skip (77) when one is missing.
it_init() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -x "$VMBUS_EMU" ] || skip "vmbus-emu not built"
	[ -f "$VMBUS_EMU_SHIM" ] || skip "shim not built"
	IT_DIR=$(mktemp -d "/tmp/emu-$IT_NAME.XXXXXX") || fail "mktemp"
	trap it_cleanup EXIT
	trap 'exit 1' INT TERM
	it_watchdog
}

# A sanitizer build's shim needs a runtime that stock binaries lack.
it_shim_sanitized() {
	nm -D --undefined-only "$VMBUS_EMU_SHIM" 2>/dev/null | grep -q ' __\(asan\|ubsan\)_'
}

# The stock binary only: Debian's testpmd and DPDK 22.11 libraries.
it_need_testpmd() {
	local eal
	[ -x "$TESTPMD" ] || skip "$TESTPMD missing (apt-get install dpdk)"
	eal=$(env -i PATH=/usr/bin:/bin ldd "$TESTPMD" | awk '/librte_eal/ {print $3}')
	case "$eal" in
	/lib/x86_64-linux-gnu/librte_eal.so.23|/usr/lib/x86_64-linux-gnu/librte_eal.so.23) ;;
	*) skip "$TESTPMD does not resolve Debian's librte_eal.so.23 (got '$eal')" ;;
	esac
	[ -d /usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0 ] || skip "stock PMD dir missing"
	ls /usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0/librte_net_netvsc.so* >/dev/null 2>&1 ||
		skip "stock netvsc PMD missing"
	it_shim_sanitized &&
		skip "sanitizer-built shim cannot be preloaded into the stock testpmd"
	# Stock testpmd never polls a stock netvsc port without it (see
	# stock_queue_state.c); it is built only where DPDK headers are.
	[ -f "${STOCK_TESTPMD_FIX:-}" ] ||
		skip "stock_queue_state preload not built (needs the DPDK 22.11 headers)"
	it_need_huge
}

# Hugepages for testpmd; without them the strict GPA checks cannot run
# (IOVA as PA needs them), so the test skips rather than run leniently.
it_need_huge() {
	[ -n "$huge_dir" ] && return 0
	huge_reserve "$IT_HUGE_PAGES" ||
		skip "no hugepages for IOVA as PA ($huge_why)"
	it_log "hugepages: $IT_HUGE_PAGES reserved (nr_hugepages $huge_saved -> $huge_set) on $huge_dir"
}

it_need_tun() {
	[ -c /dev/net/tun ] || skip "no /dev/net/tun"
	command -v ip >/dev/null || skip "no ip(8)"
}

# it_emu_start NAME ARGS...: run vmbus-emu in the background, wait for ready.
it_emu_start() {
	local name="$IT_TAG-$1" log="$IT_DIR/emu-$1.log" i
	shift
	"$VMBUS_EMU" --name "$name" "$@" >"$log" 2>&1 &
	IT_EMU_PIDS+=($!)
	for i in $(seq 100); do
		grep -q '^ready$' "$log" && return 0
		kill -0 "${IT_EMU_PIDS[-1]}" 2>/dev/null || fail "vmbus-emu $name exited early"
		sleep 0.1
	done
	fail "vmbus-emu $name not ready after 10 s"
}

it_root() { echo "/dev/shm/vmbus-emu-$IT_TAG-$1"; }
it_ctl() { local n=$1; shift; "$VMBUS_EMU_CTL" "$(it_root "$n")" "$@"; }

# The guest kept every rule of the strict host (docs/emulator.md,
# "Strictness"): no protocol error, no bad RNDIS_ACK, no msg_len error,
# no stopped channel on NIC K. Sets IT_AGGREGATED to the number of
# guest packets that carried several PACKET_MSGs. it_strict_ok EMU K
it_strict_ok() {
	local st
	st=$(it_ctl "$1" stats "$2") || fail "no stats from $1"
	grep -q 'protocol errors 0,\? ' <<<"$st" ||
		fail "strict host: the guest caused protocol errors: $(grep -o 'protocol errors [0-9]*' <<<"$st")"
	! grep -q '(stopped)' <<<"$st" || fail "strict host: a channel was stopped"
	! grep -Eq 'bad acks [1-9]' <<<"$st" || fail "strict host: bad RNDIS_ACKs"
	! grep -Eq 'tx msg_len errors [1-9]' <<<"$st" ||
		fail "strict host: aggregated messages not at exactly msg_len"
	IT_AGGREGATED=$(awk '/^  queue / { for (i = 1; i < NF; i++)
		if ($i == "aggregated") { sub(",", "", $(i + 1)); n += $(i + 1) } }
		END { print n + 0 }' <<<"$st")
}

# Counter of the backend line of NIC k: it_backend_counter EMU K FIELD.
it_backend_counter() {
	it_ctl "$1" stats "$2" | awk -v f="$3" '/^backend / {
		for (i = 1; i < NF; i++) if ($i == f) { print $(i + 1); exit } }'
}

# The stock testpmd, clean environment, under a KILL watchdog.
# it_testpmd EMU SECONDS TESTPMD-APP-ARGS... (stdin is passed through)
it_testpmd() {
	local root; root=$(it_root "$1")
	local secs=$2
	shift 2
	# stdbuf: testpmd's stdout is a file; we watch it for progress.
	# (stdbuf adds its library after the shim in LD_PRELOAD.)
	timeout -s KILL "$secs" env -i PATH=/usr/bin:/bin \
		VMBUS_EMU_ROOT="$root" LD_PRELOAD="$VMBUS_EMU_SHIM $STOCK_TESTPMD_FIX" \
		stdbuf -oL "$TESTPMD" --huge-dir="$huge_dir" --iova-mode=pa \
		--no-pci -m 256 -l 0-1 \
		--file-prefix="$IT_TAG-${IT_TP_PREFIX:-$RANDOM}" --log-level=lib.eal:error \
		-- --no-mlockall --total-num-mbufs=8192 "$@"
}

# Background testpmd in non-interactive mode; stop with it_tp_stop.
# it_tp_start EMU LOG ARGS...
it_tp_start() {
	local emu=$1 log=$2 i
	shift 2
	IT_TP_FIFO="$IT_DIR/tp.fifo"
	rm -f "$IT_TP_FIFO"
	mkfifo "$IT_TP_FIFO"
	IT_TP_PREFIX="bg$RANDOM"
	it_testpmd "$emu" 120 "$@" <"$IT_TP_FIFO" >"$log" 2>&1 &
	IT_TP_PID=$!
	exec 9>"$IT_TP_FIFO"	# keep the fifo open: testpmd waits for a line
	for i in $(seq 300); do
		grep -q 'Press enter to exit' "$log" && return 0
		kill -0 "$IT_TP_PID" 2>/dev/null || fail "testpmd exited early (see $(basename "$log"))"
		sleep 0.1
	done
	fail "testpmd not forwarding after 30 s"
}

# The testpmd process itself: IT_TP_PID is the shell around timeout, and
# timeout shares testpmd's command line; the one whose executable is
# $TESTPMD is the guest.
it_tp_guest_pid() {
	local pid exe want
	want=$(readlink -f "$TESTPMD")
	for pid in $(pgrep -f -- "--file-prefix=$IT_TAG-$IT_TP_PREFIX( |\$)"); do
		exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
		[ "$exe" = "$want" ] && { echo "$pid"; return 0; }
	done
	return 1
}

# SIGKILL the guest, as a crash would, and check that it was the guest
# that died of it: timeout reports its child's SIGKILL as 137, and a
# testpmd that got to exit on its own prints "Bye".
it_tp_kill() {
	local pid rc log=$1
	pid=$(it_tp_guest_pid) || fail "no testpmd process to kill"
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$(basename "$TESTPMD")" ] ||
		fail "pid $pid is not $TESTPMD"
	kill -KILL "$pid" || fail "cannot SIGKILL testpmd (pid $pid)"
	wait "$IT_TP_PID"
	rc=$?
	IT_TP_PID=
	exec 9>&-
	[ "$rc" = 137 ] || fail "testpmd (pid $pid) did not die of SIGKILL (exit $rc)"
	! kill -0 "$pid" 2>/dev/null || fail "testpmd (pid $pid) survived SIGKILL"
	! grep -q '^Bye' "$log" || fail "testpmd exited cleanly instead of being killed"
	it_log "ok: SIGKILLed testpmd itself (pid $pid, exit $rc)"
}

it_tp_stop() {
	echo >&9
	exec 9>&-
	wait "$IT_TP_PID"
	local rc=$?
	IT_TP_PID=
	return $rc
}

# Forward statistics printed by testpmd at exit: it_tp_stat LOG PORT FIELD
# (FIELD: RX-packets, RX-dropped, TX-packets, ...).
it_tp_stat() {
	awk -v p="$2" -v f="$3:" '
		/Forward statistics for port/ { cur = ($(NF - 1) == p) }
		cur { for (i = 1; i < NF; i++) if ($i == f) { print $(i + 1); exit } }' "$1"
}
