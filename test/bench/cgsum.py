#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Summarise one callgrind output file (event Ir) as JSON.

    cgsum.py FILE [--calls FN,FN...] [--frames FN] [--top N]

A --calls entry CALLER>A|B counts the calls CALLER made to functions
whose name contains A or B (e.g. eth_af_packet_rx>memcpy|memmove: the
copy af_packet makes of each frame, whatever the name of the libc
variant the ifunc picked).

--frames FN (a file dumped with --dump-instr=yes): the number of times
FN's most executed instruction ran, and the calls made to FN: for a
function whose loop runs once per packet (testpmd's pkt_burst_receive
frees each frame it received), the packets it handled in the window,
exactly, where no function is called once per packet (our PMD's
receive path is inline). FN may also be LABEL=OBJECT:0xSTART-0xEND,
the instructions of OBJECT (a path ending so) at object-relative
addresses START to END (fwdfn.py: a stripped binary's function, which
callgrind names by address only), calls counted to START. For a range,
the calls it makes to other functions of its own object that ran fewer
times than once a frame are taken as frames dropped, and subtracted:
testpmd's pkt_burst_transmit frees each frame the PMD did not take
with a call to its own copy of rte_pktmbuf_free (in both testpmd
builds; the per-frame pkt_burst_prepare, when not inline, is called
once a frame, within a burst of the loop's count).

Prints {"total": Ir, "calls": {FN: n}, "top": [[fn, object, self Ir]...],
"objects": {object: self Ir}}, and with --frames "frames": {"fn": FN,
"frames": n, "calls": n}. Call counts come from the calls= lines,
so they cover exactly the instrumented window: they let run.sh check its
packet count (taken from the emulator's counters around the window)
against what the measured process really did, and count idle polls.

The callgrind format compresses names: "fn=(7) name" defines id 7 and a
later "fn=(7)" or "cfn=(7)" refers to it; ob/cob share one table, fn/cfn
another. A "calls=" line is followed by the inclusive cost of that call,
which is not the caller's own (self) cost.
"""
import json
import sys

NAME_KEYS = {"ob": "ob", "cob": "ob", "fn": "fn", "cfn": "fn"}


def resolve(tables, kind, text):
    """Name of a possibly compressed "(id) name" / "(id)" reference."""
    text = text.strip()
    if not text.startswith("("):
        return text
    end = text.index(")")
    key = text[1:end]
    rest = text[end + 1:].strip()
    if rest:
        tables[kind][key] = rest
    return tables[kind].get(key, "(" + key + ")")


def cost_of(line, npos=1):
    parts = line.split()
    return int(parts[npos]) if len(parts) > npos else 0


def next_pos(prev, text):
    """Instruction address of a cost line's first position: absolute
    (0x...), relative to the previous one (+N, -N) or the same (*)."""
    if text == "*":
        return prev
    if text[0] in "+-":
        return prev + int(text, 0)
    return int(text, 0)


def frames_spec(text):
    """(label, name, object, start, end) of a --frames argument: a
    function name, or LABEL=OBJECT:0xSTART-0xEND (an address range)."""
    label, sep, where = text.partition("=")
    obj, sep2, span = where.rpartition(":")
    if sep and sep2 and "-" in span:
        lo, _, hi = span.partition("-")
        return label, None, obj, int(lo, 16), int(hi, 16)
    return text, text, None, 0, 0


def parse(path, want=(), frames_fn=None):
    label, fr_name, fr_ob, fr_lo, fr_hi = frames_spec(frames_fn or "")

    def in_range(obj, at):
        return fr_ob is not None and obj.endswith("/" + fr_ob) and fr_lo <= at < fr_hi

    scoped = {}
    for w in want:
        caller, sep, callee = w.partition(">")
        if sep:
            scoped[w] = (caller, callee.split("|"))
    tables = {"ob": {}, "fn": {}}
    total = None
    selfcost, objects, calls = {}, {}, {}
    ob = fn = ""
    skip_next = False
    npos, instr, pos = 1, False, 0
    execs, fn_calls, pending_cob = {}, 0, None
    local_call, local_calls = None, {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line:
                continue
            head = line[0]
            if head.isdigit() or head in "+-*":
                if instr:
                    pos = next_pos(pos, line.split()[0])
                if skip_next:
                    skip_next = False
                    if local_call and in_range(ob, pos) and not in_range(ob, local_call[0]):
                        local_calls[local_call[0]] = local_calls.get(local_call[0], 0) + local_call[1]
                    local_call = None
                    continue
                c = cost_of(line, npos)
                selfcost[(fn, ob)] = selfcost.get((fn, ob), 0) + c
                objects[ob] = objects.get(ob, 0) + c
                if instr and ((fr_name and fn == fr_name) or in_range(ob, pos)):
                    execs[pos] = execs.get(pos, 0) + c
                continue
            key, sep, val = line.partition("=")
            if not sep:
                key, sep, val = line.partition(":")
                if key in ("summary", "totals") and val.strip():
                    total = int(val.split()[0])
                if key == "positions":
                    npos = len(val.split())
                    instr = val.split()[0] == "instr"
                continue
            if key == "calls":
                skip_next = True
                n = int(val.split()[0])
                calls[pending_cfn] = calls.get(pending_cfn, 0) + n
                if fr_name and pending_cfn == fr_name:
                    fn_calls += n
                elif instr and fr_ob is not None:
                    to = next_pos(pos, val.split()[1])
                    if in_range(pending_cob or ob, to):
                        fn_calls += n
                    elif (pending_cob or ob) == ob:
                        # Judged on the next line: the call's site.
                        local_call = (to, n)
                pending_cob = None
                for w, (caller, callees) in scoped.items():
                    if fn == caller and any(c in pending_cfn for c in callees):
                        calls[w] = calls.get(w, 0) + n
            elif key in NAME_KEYS:
                name = resolve(tables, NAME_KEYS[key], val)
                if key == "ob":
                    ob = name
                elif key == "cob":
                    pending_cob = name
                elif key == "fn":
                    fn = name
                elif key == "cfn":
                    pending_cfn = name
    if total is None:
        total = sum(objects.values())
    frames = None
    if frames_fn:
        most = max(execs.values(), default=0)
        dropped = sum(n for n in local_calls.values() if n < most - fn_calls)
        frames = {"fn": label, "frames": most - dropped, "calls": fn_calls}
        if fr_ob is not None:
            frames["dropped"] = dropped
    return total, selfcost, objects, calls, frames


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    want, top, frames_fn = [], 12, None
    args = argv[2:]
    while args:
        opt = args.pop(0)
        if opt == "--calls" and args:
            want = [w for w in args.pop(0).split(",") if w]
        elif opt == "--frames" and args:
            frames_fn = args.pop(0) or None
        elif opt == "--top" and args:
            top = int(args.pop(0))
        else:
            sys.stderr.write("cgsum: bad option %s\n" % opt)
            return 2
    total, selfcost, objects, calls, frames = parse(argv[1], want, frames_fn)
    ranked = sorted(selfcost.items(), key=lambda kv: -kv[1])[:top]
    out = {
        "total": total,
        "calls": {w: calls.get(w, 0) for w in want},
        "top": [[fn, ob.rsplit("/", 1)[-1], c] for (fn, ob), c in ranked],
        "objects": {k.rsplit("/", 1)[-1]: v for k, v in
                    sorted(objects.items(), key=lambda kv: -kv[1]) if v},
    }
    if frames is not None:
        out["frames"] = frames
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
