#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# smoke.sh BUILD-DIR: `run.sh --quick` end to end, so the benchmark
# harness never rots (suite bench-smoke). No speed thresholds: it fails
# when the harness breaks, i.e. when the reference guest (Debian's stock
# PMD) yields no throughput or instruction figure, or a part of the
# report is missing. Skips (77) where the benchmark cannot run at all.
set -u
build=$(cd "$1" && pwd) || exit 1
here=$(cd "$(dirname "$0")" && pwd)
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
[ -x /usr/bin/dpdk-testpmd ] || skip "no /usr/bin/dpdk-testpmd (apt-get install dpdk)"
command -v valgrind >/dev/null || skip "no valgrind"
[ -e "$build/test/emulator/integration/libstock_queue_state.so" ] ||
	skip "built without the DPDK SDK (no stock testpmd preload)"

out="$build/bench-smoke"
rm -rf "$out"
BENCH_OUT=$out nice -n 5 "$here/run.sh" --quick "$build" >"$build/bench-smoke.log" 2>&1
rc=$?
tail -n 60 "$build/bench-smoke.log"
[ "$rc" = 0 ] || { echo "FAIL: run.sh --quick exited $rc"; exit 1; }
python3 - "$out/results.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
bad = []
tput = {e["case"]: e for e in s["throughput"]}
for case in ("txonly-64-q1", "rxonly-64-q1", "rxonly-64-q1-drain", "io-64-q1"):
    g = tput.get(case, {}).get("guests", {}).get("stock", {})
    if not g.get("mpps_median"):
        bad.append("%s: no stock Mpps (%s)" % (case, g.get("na", "missing")))
ins = {e["case"]: e for e in s["instructions"]}
e = ins.get("txonly-64-q1", {})
if not e.get("guests", {}).get("stock", {}).get("instr_per_pkt"):
    bad.append("txonly-64-q1: no stock guest instructions/packet")
if not e.get("emulator", {}).get("stock", {}).get("instr_per_pkt"):
    bad.append("txonly-64-q1: no emulator instructions/packet")
if not s["ceiling"]:
    bad.append("no net_null ceiling")
for part in ("latency", "tcp"):
    if not s[part]:
        bad.append("no %s rows" % part)
for b in bad:
    print("FAIL: " + b)
if bad:
    sys.exit(1)
print("ok: quick benchmark ran (%d rows, %d s)" % (len(d["rows"]), d["seconds"]))
PY
