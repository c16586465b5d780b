#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Table and JSON from the rows run.sh recorded.

    report.py RESULTS.tsv RESULTS.json PKTS GUEST...

Each TSV row: path side rep packets seconds instructions extra-json
(side: emu, a guest name, or native-GUEST; extra: cgsum.py's summary plus
the generator's backpressure over the window). The checks printed below
the table are what makes a number trustworthy: the packet count of the
window against callgrind's own per-packet calls, the work per poll of the
emulator, and whether the instrumented guest always had packets waiting.
"""
import datetime
import json
import os
import platform
import sys

def load(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) != 7:
                continue
            rows.append({"path": p[0], "side": p[1], "rep": int(p[2]),
                         "packets": int(p[3]), "seconds": float(p[4]),
                         "instructions": int(p[5]), "extra": json.loads(p[6])})
    for r in rows:
        # Callgrind's count of a per-packet function is exact for the
        # window; the emulator's counters around it are the fallback.
        r["window_counter"] = r["packets"]
        fn, n = pkt_calls(r)
        # A window whose per-packet calls disagree with the counters did
        # not do the usual work per packet (e.g. a PMD dropping what it
        # consumed): shown, flagged, left out of the means.
        r["valid"] = not fn or abs(n - r["packets"]) <= 0.05 * r["packets"]
        if fn and n:
            r["packets"] = n
        r["instr_per_pkt"] = (r["instructions"] / r["packets"]
                              if r["instructions"] and r["packets"] else None)
        r["mpps"] = r["packets"] / r["seconds"] / 1e6 if r["seconds"] else 0
    return rows


def pick(rows, path, side):
    return [r for r in rows if r["path"] == path and r["side"] == side]


def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def fmt_reps(rs):
    return " / ".join("%.0f%s" % (r["instr_per_pkt"], "" if r["valid"] else "*")
                      for r in rs if r["instr_per_pkt"] is not None) or "-"


def ipp_mean(rs):
    return mean([r["instr_per_pkt"] for r in rs if r["valid"]])


def pkt_calls(r):
    """(function, calls) of the per-packet function counted, if any."""
    for fn, n in r["extra"].get("calls", {}).items():
        if fn != "net_tick":
            return fn, n
    return None, 0


def idle_poll_cost(rows):
    """Instructions of one empty emulator poll (the idle window)."""
    for r in pick(rows, "idle", "emu"):
        polls = r["extra"]["calls"].get("net_tick", 0)
        if polls:
            return r["instructions"] / polls
    return None


def count_check(r):
    fn, n = pkt_calls(r)
    c = r["window_counter"]
    if not fn:
        return "%d pkts (emulator counters)" % c
    return "%s() called %d, emulator counters %d (%+.2f%%)%s" % (
        fn, n, c, (c - n) / n * 100 if n else 0,
        "" if r["valid"] else " INVALID: left out of the means")


def checks(rows, path, guests, idle):
    """One line per measurement saying why its number can be trusted."""
    out = []
    for r in pick(rows, path, "emu"):
        polls = r["extra"]["calls"].get("net_tick", 0)
        line = "  %s emu rep %d: %s, %d polls (%.1f pkts/poll" % (
            path, r["rep"], count_check(r), polls,
            r["packets"] / polls if polls else 0)
        if idle and polls:
            line += "; all polls at idle cost would be %.1f instr/pkt" % (
                polls * idle / r["packets"])
        if path == "tx":
            line += "; %.1f frames per VMBus packet" % (
                r["window_counter"] / max(r["extra"].get("completions", 0), 1))
        out.append(line + ")")
    for g in guests:
        for r in pick(rows, path, g):
            objs = r["extra"]["objects"]
            top = ", ".join("%s %.0f" % (o, c / r["packets"])
                            for o, c in list(objs.items())[:4])
            busy = ("emulator found the ring full %.1f times/pkt" %
                    (r["extra"]["backpressure"] / r["packets"])
                    if path == "rx" else "txonly always has packets to send; "
                    "%.1f frames per VMBus packet" % (
                        r["window_counter"] / max(r["extra"].get("completions", 0), 1)))
            out.append("  %s %s rep %d: %s; %s; instr/pkt by object: %s"
                       % (path, g, r["rep"], count_check(r), busy, top))
    return out


def emu_profile(rows, path, outdir):
    """Top functions of the emulator's side, per packet (first rep)."""
    rs = pick(rows, path, "emu")
    if not rs:
        return []
    r = rs[0]
    lines = ["emulator %s path, top functions (self instructions per packet):" % path]
    for fn, ob, c in r["extra"]["top"]:
        lines.append("  %7.1f  %s (%s)" % (c / r["packets"], fn, ob))
    with open(os.path.join(outdir, "emu-%s-top.txt" % path), "w",
              encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return lines


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": model, "cpus": os.cpu_count(), "kernel": platform.release(),
            "host": platform.node()}


def main(argv):
    if len(argv) < 5:
        sys.stderr.write(__doc__)
        return 2
    rows = load(argv[1])
    pkts, guests = int(argv[3]), argv[4:]
    outdir = os.path.dirname(os.path.abspath(argv[2]))
    summary = []
    head = ["path", "emulator instr/pkt"]
    for g in guests:
        head += ["%s PMD instr/pkt" % g, "emu/%s" % g, "%s native Mpps" % g]
    table = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for path in ("rx", "tx"):
        emu = pick(rows, path, "emu")
        e = ipp_mean(emu)
        cells = [path, fmt_reps(emu)]
        entry = {"path": path, "emulator_instr_per_pkt": e,
                 "emulator_reps": [r["instr_per_pkt"] for r in emu], "guests": {}}
        for g in guests:
            gr = pick(rows, path, g)
            gv = ipp_mean(gr)
            nat = pick(rows, path, "native-" + g)
            mpps = mean([r["mpps"] for r in nat])
            ratio = e / gv if e and gv else None
            cells += [fmt_reps(gr), "%.2f" % ratio if ratio else "-",
                      "%.2f" % mpps if mpps else "-"]
            entry["guests"][g] = {"instr_per_pkt": gv,
                                  "reps": [r["instr_per_pkt"] for r in gr],
                                  "ratio_emu_over_pmd": ratio, "native_mpps": mpps}
        table.append("| " + " | ".join(cells) + " |")
        summary.append(entry)
    print()
    print("instructions per packet (callgrind Ir, window of ~%d packets; "
          "rep 1 / rep 2 ...; * = invalid window, see checks)" % pkts)
    print("\n".join(table))
    idle = idle_poll_cost(rows)
    print("\nchecks (empty emulator poll: %s instructions):"
          % ("%.0f" % idle if idle else "not measured"))
    for path in ("rx", "tx"):
        print("\n".join(checks(rows, path, guests, idle)))
    print()
    for path in ("rx", "tx"):
        print("\n".join(emu_profile(rows, path, outdir)))
    print("\nnative Mpps: both processes busy-poll, 2 cores are oversubscribed; informational only.")
    doc = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
           "machine": machine(), "window_packets": pkts, "guests": guests,
           "idle_poll_instructions": idle,
           "summary": summary, "runs": rows}
    with open(argv[2], "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
    print("results: %s" % argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
