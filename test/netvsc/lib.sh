# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# The netvsc suite's harness: every test runs with one driver, given as
# its first argument:
#   ours   our dpdk-testpmd (our DPDK 22.11) with THIS build's vmbus bus and
#          net_netvsc. EAL autoloads every plugin of its compiled-in plugin
#          directory, where `make build` installs a copy of ours; a second
#          copy of the bus would be a second bus. So each run gets a private
#          mount namespace in which that directory is replaced by a copy
#          without our two plugins, and this build's bus and PMD are
#          preloaded instead. The same works for a sanitizer build: its
#          runtime is preloaded first (ASAN_RT) and every sanitizer report
#          fails the test.
#   stock  Debian's testpmd and stock netvsc PMD (the reference peer),
#          exactly as test/emulator/integration/lib.sh runs them.
# "ours" is detected by behaviour: while net_netvsc declines the device,
# the ours tests skip saying so; the moment it takes the port they run.
#
# Environment (set by meson): everything integration/lib.sh reads, plus
# OURS_TESTPMD, DPDK_LIBDIR, DPDK_PMD_DIR, VMBUS_SO, NETVSC_SO, ASAN_RT.

NV_DRIVER=${1:-}
# shellcheck source=../emulator/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../emulator/integration/lib.sh"
# Our testpmd runs -m 512 on hugepages with IOVA as PA (the emulator checks
# GPAs against the shim's page table), plus room for a killed one's.
IT_HUGE_PAGES=384
IT_NAME="$(basename "$0" .sh)-$NV_DRIVER"
NV_EAL_ARGS=()		# extra EAL arguments of the next testpmd runs
NV_SAN=0
NV_BIN=

nv_init() {
	case $NV_DRIVER in
	ours | stock) ;;
	*) echo "usage: $0 ours|stock"; exit 2 ;;
	esac
	it_init
	if [ "$NV_DRIVER" = stock ]; then
		it_need_testpmd
		NV_BIN=$(readlink -f "$TESTPMD")
	else
		nv_need_ours
	fi
}

nv_need_ours() {
	local f
	[ -x "${OURS_TESTPMD:-}" ] || skip "our dpdk-testpmd missing (scripts/setup.sh)"
	for f in "${VMBUS_SO:-}" "${NETVSC_SO:-}"; do
		[ -f "$f" ] || skip "plugin '$f' not built"
	done
	[ -d "${DPDK_PMD_DIR:-}" ] || skip "plugin directory '${DPDK_PMD_DIR:-}' missing"
	command -v unshare >/dev/null || skip "no unshare(1)"
	it_need_huge
	NV_BIN=$(readlink -f "$OURS_TESTPMD")
	if nm -D --undefined-only "$NETVSC_SO" | grep -q ' __asan_'; then
		NV_SAN=1
		[ -f "${ASAN_RT:-}" ] || skip "sanitizer runtime '${ASAN_RT:-}' missing"
	fi
	# EAL's plugin directory minus our plugins: a copy (its files live
	# in the directory the mount hides; relative links stay valid, so
	# plugins that need each other find the same files).
	mkdir -m 0700 "$IT_DIR/pmds" || fail "mkdir pmds"
	cp -a "$DPDK_PMD_DIR/." "$IT_DIR/pmds/" || fail "cannot copy $DPDK_PMD_DIR"
	rm -f "$IT_DIR/pmds"/librte_bus_vmbus.so* "$IT_DIR/pmds"/librte_net_netvsc.so* \
		"$IT_DIR/pmds"/librte_net_vdev_netvsc.so*
}

# EAL arguments of our runs (NV_EAL): hugepages, IOVA as PA, lcores
# NV_LCORES (0-1), a prefix of this test (IT_TP_PREFIX, else a random
# one), plus NV_EAL_ARGS.
nv_eal_args() {
	NV_EAL=(--huge-dir="$huge_dir" --iova-mode=pa --no-pci -m 512 -l "${NV_LCORES:-0-1}"
		--file-prefix="$IT_TAG-${IT_TP_PREFIX:-$RANDOM}" --log-level=lib.eal:error
		"${NV_EAL_ARGS[@]}")
}

# The testpmd of the selected driver, under a KILL watchdog. Replaces
# integration/lib.sh's, so it_tp_start works for both drivers; stdout is
# unbuffered so that interactive prompts can be counted (nv_cmd).
# it_testpmd EMU SECONDS TESTPMD-APP-ARGS... (stdin is passed through)
it_testpmd() {
	local root; root=$(it_root "$1")
	local secs=$2
	shift 2
	nv_eal_args
	local app=(-- --no-mlockall --total-num-mbufs=8192 "$@")
	if [ "$NV_DRIVER" = stock ]; then
		timeout -s KILL "$secs" env -i PATH=/usr/bin:/bin \
			VMBUS_EMU_ROOT="$root" LD_PRELOAD="$VMBUS_EMU_SHIM $STOCK_TESTPMD_FIX" \
			stdbuf -o0 "$TESTPMD" "${NV_EAL[@]}" "${app[@]}"
		return
	fi
	nv_ours_exec "$root" "$secs" "$OURS_TESTPMD" --log-level=pmd.net.netvsc:info \
		"${NV_EAL[@]}" "${app[@]}"
}

# A DPDK program of ours with THIS build's bus and PMD (see the top of
# this file), under a KILL watchdog: nv_ours_exec ROOT SECONDS PROGRAM ARGS...
nv_ours_exec() {
	local root=$1 secs=$2
	shift 2
	local pre="$VMBUS_EMU_SHIM $VMBUS_SO $NETVSC_SO"
	[ "$NV_SAN" = 1 ] && pre="$ASAN_RT $pre"
	# shellcheck disable=SC2016
	timeout -s KILL "$secs" unshare -m --propagation private \
		sh -c 'mount --bind "$1" "$2" || exit 125; shift 2; exec "$@"' nv \
		"$IT_DIR/pmds" "$DPDK_PMD_DIR" \
		env -i PATH=/usr/bin:/bin VMBUS_EMU_ROOT="$root" \
		LD_LIBRARY_PATH="$DPDK_LIBDIR" LD_PRELOAD="$pre" \
		ASAN_OPTIONS="detect_leaks=${NV_LEAKS:-1}:abort_on_error=0:print_summary=1" \
		UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
		stdbuf -o0 "$@"
}

# The testpmd process itself, not the timeout/unshare/env around it:
# its command line carries the prefix, its executable is the testpmd.
it_tp_guest_pid() {
	local p
	for p in $(pgrep -f -- "--file-prefix=$IT_TAG-$IT_TP_PREFIX( |\$)"); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$NV_BIN" ] && { echo "$p"; return; }
	done
}

# Sanitizer reports, crashes and EAL panics in a testpmd log fail the test.
nv_check_log() {
	local log=$1 what
	what=$(grep -m1 -E 'ERROR: (Address|Leak|Undefined)Sanitizer|Sanitizer has encountered a fatal error|runtime error:|SUMMARY: [A-Za-z]+Sanitizer|Segmentation fault|PANIC in|EAL: Error - exiting' "$log") &&
		fail "$(basename "$log"): $what"
	return 0
}

# Skip "ours" while our PMD declines the device; fail a stock run that has
# no port. nv_port_or_skip LOG (a testpmd log after start-up).
nv_port_or_skip() {
	local log=$1
	if grep -qE '^Port 0: [0-9A-Fa-f:]{17}' "$log"; then
		nv_check_log "$log"
		return 0
	fi
	if [ "$NV_DRIVER" = ours ]; then
		grep -q 'declined' "$log" &&
			skip "net_netvsc declined the device: $(grep -m1 declined "$log")"
		nv_check_log "$log"
		fail "our testpmd has no port 0 and no 'declined' message (see $(basename "$log"))"
	fi
	fail "the stock PMD did not take port 0 (see $(basename "$log"))"
}

# Interactive testpmd fed by a fifo. nv_i_start EMU LOG TESTPMD-ARGS...
nv_i_start() {
	local emu=$1 log=$2 i
	shift 2
	IT_TP_FIFO="$IT_DIR/tp.fifo"
	NV_LOG=$log
	rm -f "$IT_TP_FIFO"
	mkfifo "$IT_TP_FIFO"
	IT_TP_PREFIX="i$RANDOM"
	it_testpmd "$emu" "${NV_TP_SECS:-240}" -i "$@" <"$IT_TP_FIFO" >"$log" 2>&1 &
	IT_TP_PID=$!
	exec 9>"$IT_TP_FIFO"
	for i in $(seq 600); do
		grep -q 'testpmd> ' "$log" && { nv_port_or_skip "$log"; return 0; }
		if ! kill -0 "$IT_TP_PID" 2>/dev/null; then
			nv_port_or_skip "$log"
			fail "testpmd exited early (see $(basename "$log"))"
		fi
		sleep 0.1
	done
	fail "testpmd no prompt after 60 s"
}

# One command; returns once testpmd prompts again (within 60 s).
# Its output is then the tail of NV_LOG after the previous prompt.
nv_cmd() {
	local n i
	n=$(grep -o 'testpmd> ' "$NV_LOG" | wc -l)
	NV_MARK=$(wc -c <"$NV_LOG")
	nv_tp_write "$*"
	for i in $(seq 600); do
		[ "$(grep -o 'testpmd> ' "$NV_LOG" | wc -l)" -gt "$n" ] && return 0
		kill -0 "$IT_TP_PID" 2>/dev/null || fail "testpmd died during '$*'"
		sleep 0.1
	done
	fail "testpmd did not finish '$*' in 60 s"
}

# A line to testpmd's FIFO. Once testpmd is gone the write raises
# SIGPIPE, which would end this script without a word while its other
# children keep meson's pipe open (the test then only times out): the
# write runs with SIGPIPE ignored and a failure says what happened.
nv_tp_write() {
	local rc
	if (trap '' PIPE; echo "$1" >&9) 2>/dev/null; then
		return 0
	fi
	wait "$IT_TP_PID" 2>/dev/null
	rc=$?
	IT_TP_PID=
	fail "testpmd is gone (exit status $rc$([ $rc -gt 128 ] && echo ": signal $((rc - 128))")) before '$1'"
}

# Output of the last nv_cmd.
nv_out() { tail -c +"$((NV_MARK + 1))" "$NV_LOG"; }

# quit, then the exit status; sanitizer reports at exit fail.
nv_i_quit() {
	nv_tp_write quit
	exec 9>&-
	wait "$IT_TP_PID"
	local rc=$?
	IT_TP_PID=
	nv_check_log "$NV_LOG"
	return $rc
}

# Wait until LOG has a line matching the regex PATTERN or process PID is
# gone (a hang guard of SECS seconds, not a timing assertion):
# nv_wait_line SECS LOG PATTERN PID. Returns 1 without the line.
nv_wait_line() {
	local i
	for i in $(seq $(($1 * 10))); do
		grep -q -- "$3" "$2" && return 0
		kill -0 "$4" 2>/dev/null || break
		sleep 0.1
	done
	grep -q -- "$3" "$2"
}

# A counter from "show port stats P" output (stdin): FIELD (RX-packets ...).
nv_port_stat() { awk -v f="$1:" '{ for (i = 1; i < NF; i++) if ($i == f) { print $(i + 1); exit } }'; }

# The emulator's per-queue counters summed: nv_emu_q EMU NIC FIELD where
# FIELD is one of rx, tx (packets), completions, acks.
nv_emu_q() {
	it_ctl "$1" stats "$2" | awk -v f="$3" '/^  queue [0-9]+/ {
		for (i = 3; i < NF; i++) if ($i == f) { v = $(i + 1); sub(",", "", v); s += v } }
		END { print s + 0 }'
}

# Wait until a command prints the wanted value: nv_wait SECS WANT CMD...
nv_wait() {
	local secs=$1 want=$2 i v
	shift 2
	for i in $(seq $((secs * 10))); do
		v=$("$@") || { NV_GOT=$v; return 1; }
		[ "$v" = "$want" ] && return 0
		sleep 0.1
	done
	NV_GOT=$v
	return 1
}

# Wait until a command prints at least a number: nv_wait_ge SECS MIN CMD...
nv_wait_ge() {
	local secs=$1 min=$2 i v
	shift 2
	for i in $(seq $((secs * 10))); do
		v=$("$@") || { NV_GOT=$v; return 1; }
		[ -n "$v" ] && [ "$v" -ge "$min" ] && return 0
		sleep 0.1
	done
	NV_GOT=$v
	return 1
}

# The GUID of NIC k of an emulator (for -a GUID,devargs and port attach).
nv_guid() {
	find "$(it_root "$1")/sys/bus/vmbus/devices" -mindepth 1 -maxdepth 1 -printf '%f\n' |
		sort | sed -n "$(($2 + 1))p"
}
