#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# xstats.sh ours: the port-wide size and cast xstats and the ethdev
# telemetry endpoints. A loopback host sends back what testpmd sends:
# `start tx_first` in io mode sends frames to the peer MAC, which then
# circulate (io forwards them unchanged) until `stop`.
#   1. 64-byte broadcast frames: rx_size_64_packets = rx_broadcast_packets
#      = RX-packets, tx likewise = TX-packets, every other class 0;
#   2. 300-byte multicast frames: the 256..511 class and multicast only;
#   3. rx_queue_count, rx/tx descriptor status, tx_done_cleanup (below);
#   4. telemetry (the EAL socket, as dpdk-telemetry.py uses it):
#      /ethdev/list has port 0, /ethdev/info,0 names net_netvsc's device,
#      /ethdev/stats,0 agrees with testpmd, /ethdev/xstats,0 has exactly
#      the names docs/netvsc.md lists (queue and channel numbers folded).
. "$(dirname "$0")/lib.sh"
nv_init
[ "$NV_DRIVER" = ours ] || skip "ours only"
DOC=$(dirname "$0")/../../docs/netvsc.md

it_emu_start xs --backend loop
nv_i_start xs "$IT_DIR/testpmd.log" --rxq=1 --txq=1 --forward-mode=io \
	--eth-peer=0,ff:ff:ff:ff:ff:ff

xstat() { awk -v n="$1:" '$1 == n { print $2 }' <<<"$XS"; }

# run_case LABEL SIZE-CLASS CAST: circulate, stop, check the classes.
run_case() {
	local label=$1 cls=$2 cast=$3 st rx tx c d v want
	# Frames of the previous case still circulating: received, not sent.
	nv_cmd set fwd rxonly
	nv_cmd start
	sleep 0.3
	nv_cmd stop
	nv_cmd set fwd io
	nv_cmd clear port stats 0
	nv_cmd clear port xstats 0
	nv_cmd start tx_first 4
	sleep 0.5
	nv_cmd stop
	nv_cmd show port stats 0
	st=$(nv_out)
	rx=$(nv_port_stat RX-packets <<<"$st")
	tx=$(nv_port_stat TX-packets <<<"$st")
	[ "${rx:-0}" -gt 0 ] && [ "${tx:-0}" -gt 0 ] || fail "$label: no traffic (RX $rx, TX $tx)"
	nv_cmd show port xstats 0
	XS=$(nv_out)
	for d in rx tx; do
		want=$rx
		[ $d = tx ] && want=$tx
		for c in 64 65_127 128_255 256_511 512_1023 1024_1518 1519_max; do
			v=$(xstat "${d}_size_${c}_packets")
			[ -n "$v" ] || fail "$label: no ${d}_size_${c}_packets"
			if [ "$c" = "$cls" ]; then
				[ "$v" = "$want" ] || fail "$label: ${d}_size_${c}_packets $v, ${d^^}-packets $want"
			else
				[ "$v" = 0 ] || fail "$label: ${d}_size_${c}_packets $v, wanted 0"
			fi
		done
		for c in multicast broadcast; do
			v=$(xstat "${d}_${c}_packets")
			if [ "$c" = "$cast" ]; then
				[ "$v" = "$want" ] || fail "$label: ${d}_${c}_packets $v, ${d^^}-packets $want"
			else
				[ "$v" = 0 ] || fail "$label: ${d}_${c}_packets $v, wanted 0"
			fi
		done
	done
	it_log "$label: RX $rx TX $tx, all in ${cls} and ${cast}"
}

run_case "64-byte broadcast" 64 broadcast
nv_cmd set eth-peer 0 01:00:5e:00:00:05
nv_cmd set txpkts 300
nv_out | grep -qiE 'error|invalid|bad' && fail "set txpkts 300: $(nv_out)"
run_case "300-byte multicast" 256_511 multicast
nv_cmd show port stats 0
ipk=$(nv_out | nv_port_stat RX-packets)

# 3. Queue introspection: frames that came back after the stop wait in
# the queue: counted (rx_queue_count), descriptor 0 is DONE; once drained
# the count is 0 and descriptor 0 AVAILABLE; Tx descriptor 0 is free
# (DONE) and tx_done_cleanup answers.
sleep 0.3
nv_cmd show port 0 rxq 0 desc used count
used=$(nv_out | sed -n 's/.*Used desc count = \([0-9-]*\).*/\1/p')
[ -n "$used" ] && [ "$used" -gt 0 ] || fail "rx queue count '$used' with frames waiting: $(nv_out)"
nv_cmd show port 0 rxq 0 desc 0 status
nv_out | grep -q 'Desc status = DONE' || fail "rxq desc 0 with frames waiting: $(nv_out)"
nv_cmd set fwd rxonly
nv_cmd clear port stats 0
nv_cmd start
sleep 0.3
nv_cmd stop
nv_cmd show port stats 0
drained=$(nv_out | nv_port_stat RX-packets)
[ "$used" -le "$drained" ] || fail "rx queue count $used, but only $drained frames were waiting"
nv_cmd show port 0 rxq 0 desc used count
nv_out | grep -q 'Used desc count = 0' || fail "rx queue count after the drain: $(nv_out)"
nv_cmd show port 0 rxq 0 desc 0 status
nv_out | grep -q 'Desc status = AVAILABLE' || fail "rxq desc 0 after the drain: $(nv_out)"
nv_cmd show port 0 txq 0 desc 0 status
nv_out | grep -q 'Desc status = DONE' || fail "txq desc 0 when idle: $(nv_out)"
nv_cmd port cleanup 0 txq 0 0
nv_out | grep -q 'Cleanup port 0 Tx queue 0 mbuf nums: [0-9]' || fail "tx_done_cleanup: $(nv_out)"
it_log "queue count $used of $drained waiting frames; descriptor status and cleanup answer"
ipk=$drained  # the stats were cleared before the drain

# 4. Telemetry: the v2 socket of this testpmd's runtime directory.
sock=/var/run/dpdk/$IT_TAG-$IT_TP_PREFIX/dpdk_telemetry.v2
[ -S "$sock" ] || fail "no telemetry socket $sock"
python3 - "$sock" "$ipk" "$DOC" <<'EOF' || fail "telemetry checks failed"
import json, re, socket, sys
path, ipk, doc = sys.argv[1], int(sys.argv[2]), open(sys.argv[3]).read()
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(30)
s.connect(path)
json.loads(s.recv(65536).decode())  # the greeting
def q(cmd):
    s.send(cmd.encode())
    return json.loads(s.recv(1 << 20).decode())[cmd.split(",")[0]]
bad = []
ports = q("/ethdev/list")
if 0 not in ports:
    bad.append("/ethdev/list: %r" % ports)
info = q("/ethdev/info,0")
if "net_netvsc" not in json.dumps(info) and not re.search(r"[0-9a-f]{8}-", str(info.get("name", ""))):
    bad.append("/ethdev/info,0 names no netvsc device: %r" % info.get("name"))
st = q("/ethdev/stats,0")
if st.get("ipackets") != ipk:
    bad.append("/ethdev/stats,0 ipackets %r, testpmd %d" % (st.get("ipackets"), ipk))
xs = q("/ethdev/xstats,0")
names = {re.sub(r"^chan\d+_", "chan<c>_", re.sub(r"^(rx|tx)_q\d+_", r"\1_q<q>_", n))
         for n in xs}
doc = doc[doc.index("## Extended statistics"):]
# The VF section's xstats exist on a port with VF steering (on by
# default; off with vf=0 or when built without libnl-3): all or none.
vf = doc.index("### VF steering")
vf_end = min([i for i in (doc.find("\n## ", vf + 1), doc.find("\n### ", vf + 1)) if i > 0] or [len(doc)])
vf_only = set(re.findall(r"^\| `([^`]+)` \|", doc[vf:vf_end], re.M))
vf_shown = names & vf_only
documented = (set(re.findall(r"^\| `([^`]+)` \|", doc, re.M)) - vf_only) | vf_shown
if not vf_only or (vf_shown and vf_shown != vf_only):
    bad.append("docs/netvsc.md VF section: %d xstats, %d of them shown (all or none)" % (len(vf_only), len(vf_shown)))
bad += ["telemetry xstat %s not in docs/netvsc.md" % n for n in sorted(names - documented)]
bad += ["docs/netvsc.md xstat %s not in telemetry" % n for n in sorted(documented - names)]
if xs.get("rx_multicast_packets") != ipk:
    bad.append("telemetry rx_multicast_packets %r, RX-packets %d" % (xs.get("rx_multicast_packets"), ipk))
for b in bad:
    print("telemetry: " + b)
print("telemetry: %d xstats, stats and info agree" % len(xs))
sys.exit(1 if bad else 0)
EOF
nv_i_quit || fail "testpmd did not exit cleanly"
it_strict_ok xs 0
it_log "ok: size/cast xstats and telemetry"
