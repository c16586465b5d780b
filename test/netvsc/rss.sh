#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# rss.sh ours [udp]: known flows land on the queue that the Toeplitz hash
# and the indirection table predict, computed here from the key and table
# the PMD reports (rss_hash_conf_get, reta_query) and the generator's
# flows (flow k: UDP 10.0.0.k:1024+k -> 10.1.0.1:9, N/F frames each).
#   1. default key (mlx5's) and spread table, IP hashing: per-queue
#      xstats equal the prediction exactly;
#   2. a new key and table set while the generator sends and testpmd
#      forwards: every frame still arrives (received + missed = sent);
#   3. the next burst lands as the new key and table predict.
# Without udp the host (like Azure's) offers no UDP hashing: the PMD does
# not advertise it and testpmd's `port config all rss udp` ends with no
# hash type, i.e. scaling off: every frame on queue 0. With udp the host
# offers it (--rss-udp) and the 4-tuple hash predicts the queues.
. "$(dirname "$0")/lib.sh"
nv_init
[ "$NV_DRIVER" = ours ] || skip "ours only"
variant=${2:-tcpip}
# 37 flows: not a power of two, so that (the hash being linear in the
# input bits) the split depends on the key and the table.
F=37 PER=100 Q=4
N=$((F * PER))
NEWKEY=6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa

emu_args=(--max-queues 8 --backend "gen:flows=$F,size=128,count=$N,rate=5000,start=0")
[ "$variant" = udp ] && emu_args+=(--rss-udp)
it_emu_start rs "${emu_args[@]}"
nv_i_start rs "$IT_DIR/testpmd.log" --rxq=$Q --txq=$Q --forward-mode=rxonly
nv_cmd start

port_rx() { nv_cmd show port stats 0; nv_out | nv_port_stat RX-packets; }
# nv_wait bounded by the wall clock: each poll here is a testpmd command,
# which on a loaded machine takes far longer than nv_wait's 0.1 s step, so
# a frame that never comes would otherwise outlast meson's timeout and
# fail without a word.
rss_wait() {
	local end=$((SECONDS + $1)) want=$2
	shift 2
	while :; do
		NV_GOT=$("$@") || return 1
		[ "$NV_GOT" = "$want" ] && return 0
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}
port_missed() { nv_cmd show port stats 0; nv_out | nv_port_stat RX-missed; }

# Key (hex) the PMD reports.
cur_key() {
	nv_cmd show port 0 rss-hash key
	nv_out | awk '/^RSS key:/ { getline; print tolower($1); exit }'
}
# Table the PMD reports: Q entries, comma-separated queue ids.
cur_reta() {
	nv_cmd show port 0 rss reta 128 "(0xffffffffffffffff,0xffffffffffffffff)"
	nv_out | awk -F'[=,]' '/hash index=/ { q[$2 + 0] = $4 + 0; n++ }
		END { for (i = 0; i < n; i++) printf "%s%d", i ? "," : "", q[i] }'
}
# Per-queue received frames (xstats), space-separated.
q_counts() {
	nv_cmd show port xstats 0
	nv_out | awk -v nq=$Q '{ for (k = 0; k < nq; k++) if ($1 == "rx_q" k "_packets:") c[k] = $2 }
		END { for (k = 0; k < nq; k++) printf "%s%d", k ? " " : "", c[k] }'
}

# predict KEYHEX RETA MODE(ip|udp|off): expected per-queue counts.
predict() {
	python3 - "$1" "$2" "$3" $F $PER $Q <<'EOF'
import sys
key, reta, mode = bytes.fromhex(sys.argv[1]), [int(x) for x in sys.argv[2].split(",")], sys.argv[3]
F, PER, Q = (int(x) for x in sys.argv[4:7])
kb = int.from_bytes(key, "big"); nbits = len(key) * 8
def toeplitz(data):
    h = 0
    for i, b in enumerate(data):
        for j in range(8):
            if b & (0x80 >> j):
                h ^= (kb >> (nbits - 32 - (i * 8 + j))) & 0xFFFFFFFF
    return h
c = [0] * Q
for k in range(F):
    src, dst = bytes([10, 0, k >> 8, k & 255]), bytes([10, 1, 0, 1])
    data = src + dst
    if mode == "udp":
        data += (1024 + k).to_bytes(2, "big") + (9).to_bytes(2, "big")
    q = 0 if mode == "off" else reta[toeplitz(data) % len(reta)]
    c[q] += PER
print(" ".join(str(x) for x in c))
EOF
}

# burst LABEL KEY RETA MODE [KEY RETA MODE]: one generator burst, counted
# per queue; the prediction must differ from that of the optional second
# configuration (the one before the change), or the test could not tell.
burst() {
	local want got old
	want=$(predict "$2" "$3" "$4") || fail "prediction failed"
	if [ $# -gt 4 ]; then
		old=$(predict "$5" "$6" "$7") || fail "prediction failed"
		[ "$old" != "$want" ] || fail "$1: the flows land alike before and after ($want)"
	fi
	nv_cmd clear port xstats 0
	nv_cmd clear port stats 0
	it_ctl rs gen 0 start >/dev/null || fail "gen start refused"
	rss_wait 60 "$N" port_rx || fail "$1: testpmd received $NV_GOT of $N"
	got=$(q_counts)
	it_log "at ${SECONDS} s: $1: per queue $got (predicted $want)"
	[ "$got" = "$want" ] || fail "$1: per-queue frames '$got', Toeplitz + table predict '$want'"
}

it_log "at ${SECONDS} s: testpmd forwarding"
key=$(cur_key)
[ "$key" = 2cc681d15bdbf4f7fca28319db1a3e946b9e38d92c9c03d1ad9944a7d9563d59063c25f3fc1fdc2a ] ||
	fail "default key '$key' is not mlx5's"
reta=$(cur_reta)
[ "$(tr ',' '\n' <<<"$reta" | wc -l)" = 128 ] || fail "reta query: '$reta'"
[ "$(cut -d, -f1-5 <<<"$reta")" = 0,1,2,3,0 ] || fail "default table is not the spread: ${reta:0:40}..."
burst "default key and table" "$key" "$reta" ip
oldkey=$key oldreta=$reta

# 2. Key and table changed while frames arrive.
nv_cmd clear port stats 0
it_ctl rs gen 0 start >/dev/null || fail "gen start refused"
it_log "at ${SECONDS} s: key and table update"
nv_cmd port config 0 rss-hash-key ipv4 "$NEWKEY"
nv_out | grep -qiE 'fail|error|invalid' && fail "key update: $(nv_out)"
newreta=()
for i in $(seq 0 127); do
	# Irregular, queue 2 unused: visibly not the spread.
	newreta+=("($i,$(( (i * 5 + i / 7) % 4 == 2 ? 0 : (i * 5 + i / 7) % 4 )))")
done
# testpmd takes at most 128 characters per argument: 12 entries a time.
for i in $(seq 0 12 127); do
	nv_cmd port config 0 rss reta "$(IFS=,; echo "${newreta[*]:$i:12}")"
	nv_out | grep -qiE 'fail|error|invalid|bad' && fail "reta update: $(nv_out)"
done
rss_wait 60 $((2 * N)) it_backend_counter rs 0 to-guest || fail "generator delivered $NV_GOT of $((2 * N))"
rss_wait 60 "$N" eval 'echo $(($(port_rx) + $(port_missed)))' ||
	fail "during the update: received + missed $NV_GOT of $N (received $(port_rx), missed $(port_missed); per queue $(q_counts); host: $(it_ctl rs stats 0 | grep -E '^  queue' | tr -s ' ' | tr '\n' ';'))"
it_log "at ${SECONDS} s: during the update: $(port_rx) received, $(port_missed) missed of $N"
[ "$(cur_key)" = "$NEWKEY" ] || fail "key after update: $(cur_key)"
reta=$(cur_reta)
[ "$(cut -d, -f1-5 <<<"$reta")" = 0,1,0,3,0 ] || fail "reta after update: ${reta:0:40}..."
grep -q 'hn_netvsc: port 0: RSS table updated' "$NV_LOG" || fail "no 'RSS table updated' log line"

# 3. The new key and table decide.
burst "new key and table" "$NEWKEY" "$reta" ip "$oldkey" "$oldreta" ip
# Each change on its own is visible too.
[ "$(predict "$NEWKEY" "$oldreta" ip)" != "$(predict "$NEWKEY" "$reta" ip)" ] ||
	fail "the table change alone cannot be told"
[ "$(predict "$oldkey" "$reta" ip)" != "$(predict "$NEWKEY" "$reta" ip)" ] ||
	fail "the key change alone cannot be told"

# 4. UDP hashing: only where the host offers it.
nv_cmd show port info 0
info=$(nv_out)
if [ "$variant" = udp ]; then
	grep -A3 'Supported RSS offload flow types' <<<"$info" | grep -q ipv4-udp ||
		fail "the host offers UDP hashing, the PMD does not advertise it"
	nv_cmd port config all rss udp
	nv_out | grep -qiE 'fail|error|invalid' && fail "rss udp: $(nv_out)"
	burst "UDP 4-tuple hashing" "$NEWKEY" "$reta" udp "$NEWKEY" "$reta" ip
else
	grep -A3 'Supported RSS offload flow types' <<<"$info" | grep -q ipv4-udp &&
		fail "UDP hashing advertised, the host does not offer it"
	nv_cmd port config all rss udp
	burst "UDP asked of a TCP/IP-only host (scaling off)" "$NEWKEY" "$reta" off \
		"$NEWKEY" "$reta" ip
fi
nv_cmd stop
nv_i_quit || fail "testpmd did not exit cleanly"
it_strict_ok rs 0
it_log "ok: RSS ($variant)"
