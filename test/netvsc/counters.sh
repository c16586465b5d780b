#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# counters.sh ours|stock MODE QUEUES [DEVARGS]: testpmd's counters agree
# exactly with the emulator's, frame sizes 64 to 1514 (the largest untagged frame at MTU 1500; 1518 on the wire with its FCS), QUEUES rx/tx queues.
#   txonly  one NIC with a sink; per frame size (64, 600, 1514:
#           below and above the copy threshold, i.e. copied and page-buffer
#           sends) testpmd's TX-packets and TX-bytes equal the sink's.
#   rxonly  three NICs with generators of 64, 600 and 1514-byte frames;
#           each port's RX-packets/RX-bytes equal what its generator sent,
#           RX-dropped is 0, and with several queues RSS spread the flows.
#   io      the same three NICs, each port forwarding to itself: every
#           frame comes back to its generator, which checks the sequence
#           numbers in the payload (one queue: order is kept per queue).
# DEVARGS (e.g. tx_copybreak=2048) are given to the device with -a.
. "$(dirname "$0")/lib.sh"
nv_init
mode=${2:?mode} q=${3:?queues} devargs=${4:-}
N=20000
SIZES_RX=(64 600 1514)

# The stock PMD counts a send when its completion is polled, which it does
# from the receive path: a short rxonly run makes its TX counters final.
stock_settle() {
	[ "$NV_DRIVER" = stock ] || return 0
	nv_cmd set fwd rxonly
	nv_cmd start
	sleep 0.5
	nv_cmd stop
}

start_tp() {
	local k nics=1
	[ "$1" = rx ] && nics=3
	# An allow-list: every NIC of the emulator gets the devargs.
	[ -n "$devargs" ] && for ((k = 0; k < nics; k++)); do
		NV_EAL_ARGS+=(-a "$(nv_guid "$1" "$k"),$devargs")
	done
	nv_i_start "$@" --rxq="$q" --txq="$q"
	grep -q 'greater than max_[rt]x_queues' "$NV_LOG" && [ "$NV_DRIVER" = ours ] &&
		skip "net_netvsc offers fewer than $q queues: $(grep -m1 'max_[rt]x_queues' "$NV_LOG")"
	nv_check_log "$NV_LOG"
}

# Our nonzero error-like xstats of a port, one line.
xstats_nz() {
	nv_cmd show port xstats "$1"
	nv_out | awk '$1 ~ /(ring_full|no_desc|errors|lost|nak|bad|dup|too_big|nombuf):$/ && $2 > 0 { printf "%s %s ", $1, $2 }'
}
port_rx() { nv_cmd show port stats "$1"; nv_out | nv_port_stat RX-packets; }
# "sent_arrived" once port $1's TX-packets equal what NIC $2's host got back.
sent_vs_back() {
	local tx back
	nv_cmd show port stats "$1"
	tx=$(nv_out | nv_port_stat TX-packets)
	back=$(it_backend_counter rx "$2" from-guest)
	[ -n "$tx" ] && [ "$tx" = "$back" ] && echo sent_arrived || echo "$tx/$back"
}
port_stats() { nv_cmd show port stats "$1"; nv_out; }

# Port number of a MAC in testpmd's start-up lines.
port_of_mac() { awk -v m="$1" 'toupper($0) ~ "^PORT [0-9]+: " toupper(m) {
	sub(":", "", $2); print $2; exit }' "$NV_LOG"; }

# Bytes the sink received: the "bytes" after "from-guest N".
from_bytes() {
	it_ctl tx stats 0 | awk '/^backend / { for (i = 1; i < NF; i++)
		if ($i == "from-guest") { print $(i + 3); exit } }'
}

# Sums of our per-queue xstats rx_q<q>_NAME of port P: "NAME=SUM ..."
# for the zero-copy counters (ours only).
zc_xstats() {
	nv_cmd show port xstats "$1"
	nv_out | awk '$1 ~ /^rx_q[0-9]+_(extbuf|extbuf_fallback|extbuf_noncontig|acks_deferred):$/ {
		n = $1; sub(/^rx_q[0-9]+_/, "", n); sub(":", "", n); s[n] += $2 }
		END { printf "ext=%d fb=%d nc=%d def=%d\n", s["extbuf"], s["extbuf_fallback"],
			s["extbuf_noncontig"], s["acks_deferred"] }'
}

# Zero-copy receive (rx_extmbuf_enable=1): frames above rx_copybreak
# went out as external mbufs (or were copied, counted why), those up to
# it were copied. zc_check NIC PORT SIZE
zc_check() {
	local k=$1 p=$2 size=$3 cb=256 ext fb nc def
	[[ ,$devargs, == *,rx_extmbuf_enable=1,* ]] || return 0
	[[ ,$devargs, =~ ,rx_copybreak=([0-9]+), ]] && cb=${BASH_REMATCH[1]}
	eval "$(zc_xstats "$p" | sed 's/\([a-z]*\)=/local \1=/g; s/ local/; local/g')"
	it_log "NIC $k: zero-copy $ext, copied past the bound $fb, not IOVA-contiguous $nc, ACKs deferred $def"
	if [ "$size" -gt "$cb" ]; then
		[ "$((ext + fb + nc))" = "$N" ] ||
			fail "NIC $k: extbuf $ext + fallback $fb + noncontig $nc != $N frames of $size B (rx_copybreak $cb)"
		[ "$ext" -gt 0 ] || fail "NIC $k: no $size-byte frame went zero-copy"
	else
		[ "$((ext + fb + nc))" = 0 ] ||
			fail "NIC $k: $size-byte frames (rx_copybreak $cb) counted as zero-copy: $ext/$fb/$nc"
	fi
}

# Sum of our per-queue xstats tx_q<q>_NAME (ours only).
tx_xstat() {
	nv_cmd show port xstats 0
	nv_out | awk -v re="^tx_q[0-9]+_$1:\$" '$1 ~ re { s += $2 } END { print s + 0 }'
}

txonly() {
	local size st tx txb s0 b0 b d db c0 p0 c1 p1 kind cb=6144 sizes=(64 600 1514)
	[ -n "$devargs" ] && sizes=(64 1514)
	[[ ,$devargs, =~ ,tx_copybreak=([0-9]+), ]] && cb=${BASH_REMATCH[1]}
	it_emu_start tx --max-queues 8 --backend sink
	start_tp tx "$IT_DIR/testpmd.log" --forward-mode=txonly
	for size in "${sizes[@]}"; do
		nv_cmd set fwd txonly
		nv_cmd set txpkts "$size"
		nv_out | grep -qi 'error\|invalid\|bad' && fail "set txpkts $size: $(nv_out)"
		nv_cmd clear port stats all
		s0=$(it_backend_counter tx 0 from-guest)
		b0=$(from_bytes)
		if [ "$NV_DRIVER" = ours ]; then
			c0=$(tx_xstat chimney)
			p0=$(tx_xstat pagebuf)
		fi
		nv_cmd start
		sleep 0.5
		nv_cmd stop
		stock_settle
		st=$(port_stats 0)
		tx=$(nv_port_stat TX-packets <<<"$st")
		txb=$(nv_port_stat TX-bytes <<<"$st")
		[ -n "$tx" ] && [ "$tx" -gt 0 ] || fail "size $size: testpmd sent nothing"
		nv_wait 20 "$tx" eval 'echo $(($(it_backend_counter tx 0 from-guest) - s0))' ||
			fail "size $size: testpmd TX-packets $tx, the sink received $NV_GOT"
		[ "$txb" = $((tx * size)) ] || fail "size $size: testpmd TX-bytes $txb for $tx frames"
		b=$(from_bytes)
		[ $((b - b0)) = "$txb" ] || fail "size $size: the sink received $((b - b0)) bytes, testpmd sent $txb"
		if [ "$NV_DRIVER" = ours ]; then
			# Copied into a send section up to tx_copybreak (by
			# default every frame that fits a 6144-byte section),
			# page-buffer packets above it.
			c1=$(($(tx_xstat chimney) - c0))
			p1=$(($(tx_xstat pagebuf) - p0))
			kind=chimney
			[ "$size" -gt "$cb" ] && kind=pagebuf
			it_log "size $size: xstats chimney +$c1 pagebuf +$p1"
			if [ $kind = chimney ]; then
				[ "$c1" = "$tx" ] && [ "$p1" = 0 ] ||
					fail "size $size: $tx frames, tx_q*_chimney +$c1, tx_q*_pagebuf +$p1 (wanted all copied)"
			else
				[ "$p1" = "$tx" ] && [ "$c1" = 0 ] ||
					fail "size $size: $tx frames, tx_q*_pagebuf +$p1, tx_q*_chimney +$c1 (wanted all page-buffer)"
			fi
		fi
		it_log "size $size: testpmd sent $tx frames ($txb bytes), the sink received them all"
	done
	d=$(nv_emu_q tx 0 tx)
	db=$(it_backend_counter tx 0 from-guest)
	[ "$d" = "$db" ] || fail "host queues counted $d sends, the sink $db"
	nv_i_quit || fail "testpmd did not exit cleanly"
	it_ctl tx stats 0 | grep -q 'protocol errors 0' || fail "the PMD caused protocol errors"
}

rx_io() {
	local k p st rx rxb drop tx txd used be=() rate=0
	# io: offered at a rate the way back can carry (each frame is sent
	# back on the same NIC), so that every frame must return.
	[ "$mode" = io ] && rate=50000
	for k in 0 1 2; do
		be+=(--backend "gen:flows=16,size=${SIZES_RX[$k]},count=$N,rate=$rate,start=0")
	done
	it_emu_start rx --nics 3 --max-queues 8 --mac 00:15:5d:00:02:10 "${be[@]}"
	# io with testpmd's default pool (8192 here): three ports' Tx rings
	# (4096 each) can hold more mbufs than that awaiting completions, so
	# the pool may run dry (poolstarve.sh tests that case on purpose).
	start_tp rx "$IT_DIR/testpmd.log" --forward-mode="$mode" --port-topology=loop
	nv_cmd start
	for k in 0 1 2; do
		it_ctl rx gen "$k" start >/dev/null || fail "gen $k start refused"
	done
	for k in 0 1 2; do
		nv_wait 60 "$N" it_backend_counter rx "$k" to-guest ||
			fail "NIC $k: generator delivered $NV_GOT of $N"
		# Delivered is not yet read: wait until testpmd counted them all.
		p=$(port_of_mac "00:15:5d:00:02:1$k")
		[ -n "$p" ] || fail "no port for NIC $k"
		nv_wait 60 "$N" port_rx "$p" || fail "NIC $k: testpmd received $NV_GOT of $N"
		# Before stop: what testpmd sent has reached the host (a
		# refused frame never comes back, so N is not the target).
		[ "$mode" = io ] && [ "$NV_DRIVER" = ours ] &&
			{ nv_wait 30 sent_arrived sent_vs_back "$p" "$k" ||
				it_log "NIC $k: port TX / frames back: $NV_GOT"; }
	done
	nv_cmd stop
	local fwd; fwd=$(nv_out)
	stock_settle
	for k in 0 1 2; do
		p=$(port_of_mac "00:15:5d:00:02:1$k")
		st=$(port_stats "$p")
		# testpmd's own drops: what tx_burst did not take.
		txd=$(awk -v p="$p" '/Forward statistics for port/ { cur = ($(NF - 1) == p) }
			cur { for (i = 1; i < NF; i++) if ($i == "TX-dropped:") { print $(i + 1); exit } }' <<<"$fwd")
		rx=$(nv_port_stat RX-packets <<<"$st")
		rxb=$(nv_port_stat RX-bytes <<<"$st")
		drop=$(nv_port_stat RX-missed <<<"$st")
		tx=$(nv_port_stat TX-packets <<<"$st")
		it_log "NIC $k (port $p, ${SIZES_RX[$k]} B): RX $rx ($rxb bytes) missed $drop TX $tx (testpmd TX-dropped ${txd:-?})"
		[ "$rx" = "$N" ] || fail "NIC $k: testpmd RX-packets $rx, the generator sent $N"
		[ "$rxb" = $((N * SIZES_RX[k])) ] || fail "NIC $k: RX-bytes $rxb, wanted $((N * SIZES_RX[k]))"
		if [ "$NV_DRIVER" = ours ]; then
			[ "$drop" = 0 ] || fail "NIC $k: RX-missed $drop: frames dropped inside the driver"
			zc_check "$k" "$p" "${SIZES_RX[$k]}"
		else
			# The stock PMD drops from its staging ring when the
			# application is late, counts them as RX-packets and
			# RX-missed (docs/design/architecture.md).
			[ "$drop" -gt 0 ] && it_log "NIC $k: the stock PMD dropped $drop frames inside the driver"
		fi
		if [ "$mode" = io ]; then
			# testpmd io drops what tx_burst refuses. A slow host
			# (the emulator under ASan on a busy machine) may keep
			# every descriptor or the whole ring, which is honest
			# backpressure, so refusals are allowed for ours only
			# when its own counters show it ran out (no_desc or
			# ring_full) and every frame is accounted for.
			[ "$tx" -le $((rx - drop)) ] ||
				fail "NIC $k: testpmd TX-packets $tx, more than the $((rx - drop)) it received"
			if [ "$NV_DRIVER" = ours ] && [ "$tx" != $((rx - drop)) ]; then
				local bp; bp=$(xstats_nz "$p")
				[ "$((tx + ${txd:-0}))" = $((rx - drop)) ] ||
					fail "NIC $k: testpmd TX-packets $tx + TX-dropped ${txd:-?} != $((rx - drop)) received"
				grep -Eq '(no_desc|ring_full):' <<<"$bp" ||
					fail "NIC $k: tx_burst refused ${txd:-?} without running out of descriptors or ring (xstats: $bp)"
				it_log "NIC $k: host backpressure, tx_burst refused $txd ($bp)"
			fi
			nv_wait 20 "$tx" it_backend_counter rx "$k" from-guest ||
				fail "NIC $k: testpmd sent $tx, the generator got back $NV_GOT"
			# One queue keeps order: each refused run is one gap,
			# so at most TX-dropped sequence errors.
			local se; se=$(it_backend_counter rx "$k" seq-errors)
			[ "$q" != 1 ] || [ "$drop" != 0 ] || [ "$se" -le "${txd:-0}" ] ||
				fail "NIC $k: $se sequence errors in the frames sent back (testpmd TX-dropped ${txd:-?})"
		fi
		if [ "$q" -gt 1 ]; then
			used=$(it_ctl rx stats "$k" | awk '/^  queue [0-9]+/ {
				for (i = 3; i < NF; i++) if ($i == "rx") { if ($(i + 1) > 0) n++; break } }
				END { print n + 0 }')
			[ "$used" -gt 1 ] || fail "NIC $k: $q queues, only $used received (RSS)"
		fi
		it_ctl rx stats "$k" | grep -q 'protocol errors 0' || fail "NIC $k: protocol errors"
	done
	nv_i_quit || fail "testpmd did not exit cleanly"
}

case $mode in
txonly) txonly ;;
rxonly | io) rx_io ;;
*) fail "unknown mode $mode" ;;
esac
it_log "ok: $mode, $q queue(s)${devargs:+, $devargs}"
