#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Summarise one callgrind output file (event Ir) as JSON.

    cgsum.py FILE [--calls FN,FN...] [--top N]

A --calls entry CALLER>A|B counts the calls CALLER made to functions
whose name contains A or B (e.g. eth_af_packet_rx>memcpy|memmove: the
copy af_packet makes of each frame, whatever the name of the libc
variant the ifunc picked).

Prints {"total": Ir, "calls": {FN: n}, "top": [[fn, object, self Ir]...],
"objects": {object: self Ir}}. Call counts come from the calls= lines,
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


def cost_of(line):
    parts = line.split()
    return int(parts[1]) if len(parts) > 1 else 0


def parse(path, want=()):
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
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line:
                continue
            head = line[0]
            if head.isdigit() or head in "+-*":
                if skip_next:
                    skip_next = False
                    continue
                c = cost_of(line)
                selfcost[(fn, ob)] = selfcost.get((fn, ob), 0) + c
                objects[ob] = objects.get(ob, 0) + c
                continue
            key, sep, val = line.partition("=")
            if not sep:
                key, sep, val = line.partition(":")
                if key in ("summary", "totals") and val.strip():
                    total = int(val.split()[0])
                continue
            if key == "calls":
                skip_next = True
                n = int(val.split()[0])
                calls[pending_cfn] = calls.get(pending_cfn, 0) + n
                for w, (caller, callees) in scoped.items():
                    if fn == caller and any(c in pending_cfn for c in callees):
                        calls[w] = calls.get(w, 0) + n
            elif key in NAME_KEYS:
                name = resolve(tables, NAME_KEYS[key], val)
                if key == "ob":
                    ob = name
                elif key == "fn":
                    fn = name
                elif key == "cfn":
                    pending_cfn = name
    if total is None:
        total = sum(objects.values())
    return total, selfcost, objects, calls


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    want, top = [], 12
    args = argv[2:]
    while args:
        opt = args.pop(0)
        if opt == "--calls" and args:
            want = [w for w in args.pop(0).split(",") if w]
        elif opt == "--top" and args:
            top = int(args.pop(0))
        else:
            sys.stderr.write("cgsum: bad option %s\n" % opt)
            return 2
    total, selfcost, objects, calls = parse(argv[1], want)
    ranked = sorted(selfcost.items(), key=lambda kv: -kv[1])[:top]
    out = {
        "total": total,
        "calls": {w: calls.get(w, 0) for w in want},
        "top": [[fn, ob.rsplit("/", 1)[-1], c] for (fn, ob), c in ranked],
        "objects": {k.rsplit("/", 1)[-1]: v for k, v in
                    sorted(objects.items(), key=lambda kv: -kv[1]) if v},
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
