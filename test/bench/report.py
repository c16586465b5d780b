#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Tables, results.json and the plot from the rows run.sh recorded.

    report.py OUT-DIR [--seconds S] [--command CMD] [--guests "stock ours"]
              [--reps N] [--window PKTS]

OUT-DIR/rows.jsonl holds one JSON object per measurement (run.sh's row()):
case, guest, side (native | guest | emu: which process callgrind watched),
rep, packets, seconds, and for callgrind rows cg (cgsum.py's summary), or
na (why the guest could not run the case). Writes OUT-DIR/results.json,
OUT-DIR/tables.md (the tables below, for docs/performance.md) and
OUT-DIR/mpps-by-size.png (gnuplot, when installed).
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys


def load(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    for r in rows:
        r["mpps"] = None
        r["instr_per_pkt"] = None
        if "na" in r or not r.get("seconds"):
            continue
        pkts = r.get("packets", 0)
        r["window_counter"] = pkts
        # rxonly, native: the share of the frames the guest's PMD took
        # from the host but dropped before testpmd saw them (imissed,
        # whole run): the emulator counts them as delivered.
        gtot = r.get("guest_rx_packets", 0) + r.get("guest_rx_dropped", 0)
        if gtot:
            r["guest_drop_fraction"] = r.get("guest_rx_dropped", 0) / gtot
        cg = r.get("cg")
        if cg:
            # Callgrind's count of a once-per-packet function is exact for
            # the window; the emulator's counters around it are the check.
            fn, n = pkt_calls(cg)
            # The emulator's functions count its packets exactly; for a
            # guest, a mismatch means it did not do the usual work per
            # packet (e.g. the stock PMD dropping what it consumed).
            if r.get("side") == "emu" and fn:
                r["valid"] = n > 0
            else:
                # (The counters around a window are only good to a few
                # percent on a loaded machine; a PMD dropping what it
                # consumed shows as a gross difference, e.g. 0 calls.)
                r["valid"] = not fn or abs(n - pkts) <= 0.2 * max(pkts, 1)
            fr = cg.get("frames") or {}
            if not fn and fr.get("frames"):
                # The guest's own loop count (cgsum.py --frames): exact,
                # where no function runs once per packet. The counters
                # around the window are off by the frames of the vgdb
                # commands' time (up to ~27,000 at each end under load,
                # -22% on a 30000-frame --quick window): only a gross
                # difference (a factor of 2) makes it invalid.
                r["valid"] = 0.5 * pkts <= fr["frames"] <= 2 * max(pkts, 1)
                # txonly: frames the PMD refused, which testpmd freed
                # (the host was slow to complete): the figure carries
                # the cost of preparing and freeing them, marked in the
                # table above a 5% share.
                d = fr.get("dropped", 0)
                r["dropped_share"] = d / (fr["frames"] + d) if fr["frames"] + d else 0
                pkts = fr["frames"]
            if fn and n:
                pkts = n
            r["instr_per_pkt"] = cg["total"] / pkts if pkts else None
            r["polls"] = cg["calls"].get("net_tick", 0)
        elif r.get("rx") == "drain":
            # Drain mode (docs/benchmarks.md): the rate of a typical
            # batch, from its publish to every receive buffer of it
            # ACKed (the emulator idle meanwhile): the median batch's
            # picoseconds per frame. mpps_sum: all the window's ACKed
            # batches' frames over their summed times (a batch the
            # scheduler interrupted counts); mpps_read: to the ring found
            # read (the guest may still hand the last frames to testpmd).
            if r.get("drain_median_ps"):
                r["mpps_consumed"] = 1e6 / r["drain_median_ps"]
                # Delivered to testpmd: what the PMD dropped after
                # taking it is not received.
                r["mpps"] = r["mpps_consumed"] * (1 - r.get("guest_drop_fraction", 0))
            if r.get("drain_ns"):
                r["mpps_read"] = r["drain_frames"] / r["drain_ns"] * 1e3
            if r.get("drain_acked_ns"):
                r["mpps_sum"] = r["drain_acked_frames"] / r["drain_acked_ns"] * 1e3
            if r.get("drain_batches"):
                r["drain_batch_avg"] = r["drain_frames"] / r["drain_batches"]
            if r["mpps"] is not None and r.get("size"):
                r["gbps"] = r["mpps"] * r["size"] * 8 / 1e3
        else:
            r["mpps"] = pkts / r["seconds"] / 1e6
            if r.get("size"):
                r["gbps"] = r["mpps"] * r["size"] * 8 / 1e3
    return rows


def pkt_calls(cg):
    for fn, n in cg.get("calls", {}).items():
        if fn != "net_tick":
            return fn, n
    return None, 0


def sel(rows, **kw):
    return [r for r in rows if all(r.get(k) == v for k, v in kw.items())]


def na_reason(rs):
    for r in rs:
        if "na" in r:
            return r["na"]
    return None


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
    try:
        with open("/proc/loadavg", encoding="utf-8") as f:
            load = " ".join(f.read().split()[:3])
    except OSError:
        load = ""
    return {"cpu": model, "cpus": os.cpu_count(), "kernel": platform.release(),
            "host": platform.node(), "loadavg_at_end": load}


def fmt(v, spec="%.2f"):
    return spec % v if v is not None else "-"


def table(head, body):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in cells) + " |" for cells in body]
    return out


def tx_label(tx, size):
    if tx == "pagebuf":
        return "page buffer (tx_copybreak=0)"
    if tx == "chimney":
        return "chimney (tx_copybreak=4096)"
    # Stock copies up to 512 bytes; ours every frame that fits a 6144-byte
    # section (6144 - 44 bytes of RNDIS header).
    if size <= 512:
        return "default (chimney)"
    if size <= 6100:
        return "default (ours chimney, stock page buffer)"
    return "default (page buffer)"


def rx_label(case, rx):
    if rx == "zerocopy":
        return "zero-copy (rx_extmbuf_enable=1)"
    if rx == "drain":
        return "default (copy); drain: guest-bound, Mpps while frames wait"
    if case == "rxonly-64-q1":
        # Both guests keep up with the generator here (the busy table's
        # refused share stays near 0): the figure is the emulator's pace.
        return "default (copy); emulator-paced"
    return "default (copy)"


def short(reason):
    reason = " ".join(str(reason).split())
    return reason if len(reason) <= 200 else reason[:197] + "..."


class Report:
    def __init__(self, rows, guests):
        self.rows = rows
        self.guests = guests
        self.notes = []     # n/a reasons, numbered once each
        self.emu_top = []   # the emulator's top functions per case
        self.summary = {"throughput": [], "instructions": [], "ceiling": [],
                        "latency": [], "tcp": [], "vf": [], "busy": []}

    def na(self, reason):
        reason = short(reason)
        if reason not in self.notes:
            self.notes.append(reason)
        return "n/a [%d]" % (self.notes.index(reason) + 1)

    def ceiling(self, size):
        rs = [r["mpps"] for r in sel(self.rows, case="ceiling-%d" % size) if r["mpps"]]
        return statistics.median(rs) if rs else None

    def cases(self, *sides):
        seen = []
        for r in self.rows:
            if r.get("side") in sides and r["case"].split("-")[0] in ("txonly", "rxonly", "io") \
                    and r["case"] not in seen:
                seen.append(r["case"])
        return seen

    def throughput(self):
        head = ["case", "transmit", "receive"]
        for g in self.guests:
            head += ["%s Mpps median (min-max)" % g, "%s Gbit/s" % g, "%s of ceiling" % g]
        if len(self.guests) == 2:
            head.append("%s/%s Mpps" % (self.guests[1], self.guests[0]))
        body = []
        for case in self.cases("native"):
            rs = sel(self.rows, case=case, side="native")
            meta = next((r for r in rs if "mode" in r), None)
            size = int(case.split("-")[1])
            ceil = self.ceiling(size)
            entry = {"case": case, "guests": {}}
            mode = case.split("-")[0]
            cells = [case,
                     tx_label(meta["tx"], size) if meta and mode != "rxonly" else "-",
                     rx_label(case, meta["rx"]) if meta and mode != "txonly" else "-"]
            per_rep = {}
            for g in self.guests:
                gr = sel(rs, guest=g)
                vals = [r["mpps"] for r in gr if r["mpps"] is not None]
                per_rep[g] = {r["rep"]: r["mpps"] for r in gr if r["mpps"] is not None}
                if not vals:
                    why = na_reason(gr) or "not measured"
                    cells += [self.na(why), "-", "-"]
                    entry["guests"][g] = {"na": why}
                    continue
                med = statistics.median(vals)
                cells += ["%.3f (%.3f-%.3f)" % (med, min(vals), max(vals)),
                          "%.2f" % (med * size * 8 / 1e3),
                          "%.0f%%" % (100 * med / ceil) if ceil else "-"]
                entry["guests"][g] = {"mpps_median": med, "mpps_min": min(vals),
                                      "mpps_max": max(vals), "mpps": vals,
                                      "gbps_median": med * size * 8 / 1e3,
                                      "fraction_of_ceiling": med / ceil if ceil else None}
            if len(self.guests) == 2:
                a, b = per_rep[self.guests[0]], per_rep[self.guests[1]]
                pairs = [b[k] / a[k] for k in a if k in b and a[k]]
                ratio = statistics.median(pairs) if pairs else None
                cells.append(fmt(ratio))
                entry["ratio_pairwise_median"] = ratio
                # Paced rxonly: the same pairs counting only the frames
                # testpmd got (the drain rows' Mpps already do).
                if mode == "rxonly" and meta and meta.get("rx") != "drain":
                    dl = {g: {r["rep"]: r["mpps"] * (1 - r["guest_drop_fraction"])
                              for r in sel(rs, guest=g)
                              if r["mpps"] is not None and "guest_drop_fraction" in r}
                          for g in self.guests}
                    a, b = dl[self.guests[0]], dl[self.guests[1]]
                    pairs = [b[k] / a[k] for k in a if k in b and a[k]]
                    if pairs:
                        entry["ratio_delivered_pairwise_median"] = statistics.median(pairs)
            body.append(cells)
            self.summary["throughput"].append(entry)
        return table(head, body)

    def busy_table(self):
        """The guest's own cycles per packet in the native runs (testpmd
        --record-core-cycles: bursts that moved packets, empty polls left
        out) and the rate that alone would allow, beside what the host
        side shows: the share of offered frames the emulator found no
        room for (rxonly; near 0 means the guest waited on the emulator,
        so the measured Mpps is the emulator's pace, not the guest's)."""
        head = ["case"]
        for g in self.guests:
            head += ["%s busy cycles/pkt" % g, "%s capacity Mpps" % g]
        if len(self.guests) == 2:
            head.append("%s/%s capacity" % (self.guests[1], self.guests[0]))
        head.append("frames the emulator found no room for (rxonly; per guest)")
        head.append("frames the guest's PMD took but dropped (testpmd RX-dropped; per guest)")
        body = []
        for case in self.cases("native"):
            rs = sel(self.rows, case=case, side="native")
            cells, entry, caps = [case], {"case": case, "guests": {}}, {}
            refused, dropped = [], []
            for g in self.guests:
                gr = [r for r in sel(rs, guest=g) if r.get("busy_cycles_pkt")]
                if not gr:
                    cells += ["-", "-"]
                    continue
                dr = [r["guest_drop_fraction"] for r in gr if "guest_drop_fraction" in r]
                if dr:
                    dropped.append("%s %.1f%%" % (g, 100.0 * statistics.median(dr)))
                    entry.setdefault("guest_drop_fraction", {})[g] = statistics.median(dr)
                cyc = statistics.median(r["busy_cycles_pkt"] for r in gr)
                mhz = statistics.median(r["tsc_mhz"] for r in gr)
                caps[g] = mhz / cyc if cyc else None
                cells += ["%.1f" % cyc, fmt(caps[g], "%.2f")]
                entry["guests"][g] = {"busy_cycles_pkt": cyc, "tsc_mhz": mhz,
                                      "capacity_mpps": caps[g]}
                # (Drain mode ends every batch on a refusal: not a
                # sign of the guest waiting.)
                if case.startswith("rxonly") and not case.endswith("-drain"):
                    off = sum(r["packets"] + r["backpressure"] for r in gr if "packets" in r)
                    bp = sum(r["backpressure"] for r in gr if "packets" in r)
                    if off:
                        refused.append("%s %.2f%%" % (g, 100.0 * bp / off))
                        entry["guests"][g]["refused_fraction"] = bp / off
            if len(self.guests) == 2:
                a, b = caps.get(self.guests[0]), caps.get(self.guests[1])
                ratio = b / a if a and b else None
                cells.append(fmt(ratio))
                entry["capacity_ratio"] = ratio
            cells.append(", ".join(refused) if refused else "-")
            cells.append(", ".join(dropped) if dropped else "-")
            if len(cells) > 1 and any(c != "-" for c in cells[1:]):
                body.append(cells)
                self.summary["busy"].append(entry)
        return table(head, body) if body else []

    def drain_table(self):
        """Drain mode's batches: frames a batch (mean, largest: what the
        receive buffer and ring hold) and batches a window."""
        head = ["case"]
        for g in self.guests:
            head += ["%s Mpps delivered (median batch taken; dropped by the PMD)" % g,
                     "%s Mpps taken: all batches; to ring read" % g,
                     "%s frames/batch (largest)" % g,
                     "%s batches/window (ACKed)" % g]
        body = []
        for case in self.cases("native"):
            if not case.endswith("-drain"):
                continue
            rs = sel(self.rows, case=case, side="native")
            cells = [case]
            for g in self.guests:
                gr = [r for r in sel(rs, guest=g) if r.get("mpps") is not None]
                if not gr:
                    cells += ["-", "-", "-"]
                    continue
                read = [r["mpps_read"] for r in gr if r.get("mpps_read")]
                whole = [r["mpps_sum"] for r in gr if r.get("mpps_sum")]
                acked = sum(r.get("drain_acked_frames", 0) for r in gr)
                frames = sum(r.get("drain_frames", 0) for r in gr)
                cons = [r["mpps_consumed"] for r in gr if r.get("mpps_consumed")]
                drop = [r["guest_drop_fraction"] for r in gr if "guest_drop_fraction" in r]
                cells += ["%.3f (%s; %s)" % (statistics.median(r["mpps"] for r in gr),
                                             fmt(statistics.median(cons) if cons else None, "%.3f"),
                                             "%.1f%%" % (100 * statistics.median(drop)) if drop else "-"),
                          "%s; %s" % (fmt(statistics.median(whole) if whole else None, "%.3f"),
                                      fmt(statistics.median(read) if read else None, "%.3f")),
                          "%.0f (%d)" % (statistics.median(r.get("drain_batch_avg", 0) for r in gr),
                                         max(r.get("drain_batch_max", 0) for r in gr)),
                          "%.0f (%.1f%%)" % (statistics.median(r.get("drain_batches", 0) for r in gr),
                                             100.0 * acked / frames if frames else 0)]
            body.append(cells)
        return table(head, body) if body else []

    def cg_value(self, case, guest, side):
        rs = sel(self.rows, case=case, guest=guest, side=side)
        ok = [r for r in rs if r.get("instr_per_pkt") is not None and r.get("valid", True)]
        if ok:
            return ok[0], None
        bad = [r for r in rs if r.get("instr_per_pkt") is not None]
        if bad:
            fn, n = pkt_calls(bad[0]["cg"])
            fr = bad[0]["cg"].get("frames") or {}
            if not fn and fr.get("frames"):
                return None, ("invalid callgrind window: %s() loop %d frames%s for %d packets "
                              "counted around it" % (
                                  fr["fn"], fr["frames"],
                                  ", %d more dropped" % fr["dropped"] if fr.get("dropped") else "",
                                  bad[0]["window_counter"]))
            return None, ("invalid callgrind window: %s() ran %d times for %d packets "
                          "(the guest did not do the usual work per packet)"
                          % (fn, n, bad[0]["window_counter"]))
        return None, na_reason(rs) or "not measured"

    def instructions(self):
        head = ["case"]
        for g in self.guests:
            head.append("%s guest instr/pkt" % g)
        if len(self.guests) == 2:
            head.append("%s/%s" % (self.guests[1], self.guests[0]))
        for g in self.guests:
            head.append("emulator instr/pkt (with %s)" % g)
        head.append("emulator / cheaper guest")
        body, objs, checks = [], [], []
        # Emulator-only runs (BENCH_CG_SIDES=emu) have no guest rows.
        for case in self.cases("guest", "emu"):
            cells, gv, ev = [case], {}, {}
            entry = {"case": case, "guests": {}, "emulator": {}}
            for g in self.guests:
                r, why = self.cg_value(case, g, "guest")
                if r:
                    gv[g] = r["instr_per_pkt"]
                    cells.append("%.0f" % gv[g])
                    if r.get("dropped_share", 0) > 0.05:
                        cells[-1] += " (%.0f%% dropped)" % (100 * r["dropped_share"])
                    top = list(r["cg"]["objects"].items())[:5]
                    per_obj = {o: c / (r["cg"]["total"] / r["instr_per_pkt"]) for o, c in top}
                    objs.append("  %s %s: %s" % (case, g, ", ".join(
                        "%s %.0f" % (o, v) for o, v in per_obj.items())))
                    entry["guests"][g] = {"instr_per_pkt": gv[g], "by_object": per_obj}
                    checks.append(self.check(r, case, g + " guest"))
                else:
                    cells.append(self.na(why))
                    entry["guests"][g] = {"na": why}
            if len(self.guests) == 2:
                a, b = gv.get(self.guests[0]), gv.get(self.guests[1])
                cells.append(fmt(b / a if a and b else None))
                entry["ratio"] = b / a if a and b else None
            for g in self.guests:
                r, why = self.cg_value(case, g, "emu")
                if r:
                    ev[g] = r["instr_per_pkt"]
                    cells.append("%.0f" % ev[g])
                    entry["emulator"][g] = {"instr_per_pkt": ev[g],
                                            "top": r["cg"]["top"][:8]}
                    npk = r["cg"]["total"] / r["instr_per_pkt"]
                    self.emu_top.append("  %s with %s: %s" % (case, g, ", ".join(
                        "%s %.0f" % (fn, c / npk) for fn, _, c in r["cg"]["top"][:8])))
                    checks.append(self.check(r, case, "emulator with " + g))
                else:
                    cells.append(self.na(why))
                    entry["emulator"][g] = {"na": why}
            cheap = min(gv.values()) if gv else None
            emu = max(ev.values()) if ev else None
            cells.append(fmt(emu / cheap if emu and cheap else None))
            entry["emulator_over_cheaper_guest"] = emu / cheap if emu and cheap else None
            body.append(cells)
            self.summary["instructions"].append(entry)
        return table(head, body), objs, checks

    @staticmethod
    def check(r, case, who):
        fn, n = pkt_calls(r["cg"])
        c = r["window_counter"]
        s = "  %s %s: %d pkts in the window" % (case, who, c)
        if fn:
            s += ", %s() %d calls (%+.1f%%)" % (fn, n, (c - n) / n * 100 if n else 0)
        fr = r["cg"].get("frames") or {}
        if not fn and fr.get("frames"):
            f = fr["frames"]
            s += ", %s() loop %d frames (%+.1f%%), %.1f frames per call" % (
                fr["fn"], f, (c - f) / f * 100, f / fr["calls"] if fr["calls"] else 0)
            if "dropped" in fr:
                s += ", %d dropped (%.1f%%)" % (fr["dropped"], 100 * r.get("dropped_share", 0))
        if r.get("polls"):
            s += ", %.1f pkts per emulator poll" % (r["instr_per_pkt"] and
                                                   (n or c) / r["polls"])
        if r["case"].startswith("rxonly") and r.get("backpressure") is not None and c:
            s += ", ring full %.1f times/pkt" % (r["backpressure"] / c)
        return s

    def ceiling_table(self):
        body = []
        for r in sel(self.rows, guest="null"):
            if r["mpps"]:
                body.append([r["case"], "%.3f" % r["mpps"], "%.2f" % r["gbps"]])
                self.summary["ceiling"].append({"size": r["size"], "mpps": r["mpps"]})
            else:
                body.append([r["case"], self.na(r.get("na", "?")), "-"])
        return table(["testpmd io on 2x net_null", "Mpps", "Gbit/s"], body)

    def latency_table(self):
        """One line per guest and mode: the median over the repetitions
        (which alternate the guests) of each percentile, the extremes
        over all of them, and the samples and losses added up."""
        body, groups = [], {}
        for r in [r for r in self.rows if r["case"].startswith("latency")]:
            groups.setdefault((r["case"], r["guest"]), []).append(r)
        for (case, guest), rs in groups.items():
            label = guest + (" (Rx interrupts)" if case.endswith("irq") else "")
            ok = [r for r in rs if "na" not in r]
            if not ok:
                body.append([label, self.na(rs[0]["na"]), "-", "-", "-", "-", "-", "-"])
                self.summary["latency"].append({"guest": guest, "case": case,
                                                "na": rs[0]["na"]})
                continue
            med = {k: statistics.median(r[k] for r in ok) for k in ("p50", "p99", "p999")}
            lo, hi = min(r["min"] for r in ok), max(r["max"] for r in ok)
            lost, n = sum(r["lost"] for r in ok), sum(r["n"] for r in ok)
            body.append([label, "%.2f" % med["p50"], "%.2f" % med["p99"], "%.2f" % med["p999"],
                         "%.2f-%.2f" % (lo, hi), "%d / %d" % (lost, n), str(len(ok)),
                         ok[0].get("eal", "-")])
            self.summary["latency"].append({
                "guest": guest, "case": case, "runs": len(ok), "n": n, "lost": lost,
                "p50": med["p50"], "p99": med["p99"], "p999": med["p999"], "min": lo,
                "max": hi, "eal": ok[0].get("eal"),
                "per_run": [{k: r.get(k) for k in ("rep", "p50", "p99", "p999")} for r in ok]})
        return table(["guest (64 B ring-ping)", "p50 us (median of runs)", "p99 us", "p99.9 us",
                      "min-max us", "lost / samples", "runs", "DPDK libraries used"], body)

    def tcp_table(self):
        body = []
        for r in [r for r in self.rows if r["case"].startswith("tcp")]:
            if "na" in r:
                body.append([r["case"], r["guest"], self.na(r["na"]), "-", "-", "-"])
                self.summary["tcp"].append({"case": r["case"], "guest": r["guest"],
                                            "na": r["na"]})
                continue
            body.append([r["case"], r["guest"], "%.2f" % r["gbps"], str(r["retransmits"]),
                         str(r.get("backend_drops", "-")), str(r.get("kernel_drops", "-"))])
            self.summary["tcp"].append({k: r.get(k) for k in (
                "case", "guest", "queues", "gbps", "retransmits", "backend_drops",
                "kernel_drops")})
        return table(["case", "guest", "iperf3 Gbit/s", "retransmits", "TAP backend drops",
                      "TAP kernel drops (tx+rx)"], body)

    def vf_table(self):
        """The VF part: our port steering to the stand-in VF (guest ours)
        against net_af_packet alone (guest afpacket), instructions per
        frame, whole process and by shared object."""
        body, objs = [], []
        cases = []
        for r in self.rows:
            if r["case"].startswith("vf-") and r["case"] not in cases:
                cases.append(r["case"])
        for case in cases:
            v = {}
            for g in ("ours", "afpacket"):
                rs = sel(self.rows, case=case, guest=g)
                ok = [r for r in rs if r.get("instr_per_pkt") is not None]
                v[g] = ok[0] if ok else (na_reason(rs) or "not measured")
            entry = {"case": case}
            cells = [case]
            for g in ("ours", "afpacket"):
                if isinstance(v[g], dict):
                    bursts = [n for f, n in v[g]["cg"]["calls"].items() if ">" not in f]
                    fill = v[g]["packets"] / bursts[0] if bursts and bursts[0] else None
                    cells.append("%.1f (%s frames/burst)" % (v[g]["instr_per_pkt"], fmt(fill, "%.1f")))
                    entry[g] = {"instr_per_pkt": v[g]["instr_per_pkt"],
                                "packets": v[g]["packets"], "frames_per_burst": fill}
                else:
                    cells.append(self.na(v[g]))
                    entry[g] = {"na": v[g]}
            a, b = v["ours"], v["afpacket"]
            if isinstance(a, dict) and isinstance(b, dict):
                d = a["instr_per_pkt"] - b["instr_per_pkt"]
                oa = {o: c / a["packets"] for o, c in a["cg"]["objects"].items()}
                ob = {o: c / b["packets"] for o, c in b["cg"]["objects"].items()}
                by = {o: oa.get(o, 0) - ob.get(o, 0) for o in set(oa) | set(ob)}
                by = dict(sorted(by.items(), key=lambda kv: -abs(kv[1])))
                cells += ["%.1f" % d, a.get("datapath", "-")]
                entry.update(vf_over_afpacket=d, by_object=by,
                             ours_by_object=oa, afpacket_by_object=ob,
                             datapath=a.get("datapath"))
                objs.append("  %s: %s" % (case, ", ".join(
                    "%s %+.2f" % (o, x) for o, x in by.items() if abs(x) >= 0.05)))
            else:
                cells += ["-", "-"]
            body.append(cells)
            self.summary["vf"].append(entry)
        # Equal burst fill is what makes the two comparable: the rxonly
        # frame source must outrun both guests (run.sh).
        return table(["case", "ours, VF attached: guest instr/pkt",
                      "net_af_packet alone: instr/pkt", "VF path's cost on top (target < 10)",
                      "host data path"], body), objs


def verdict(summary, guests):
    """Issue 10's targets, checked against this run: lines for the
    report's top. Only with the two guests named "stock" and "ours"."""
    if guests != ["stock", "ours"]:
        return []
    out = []

    def find(part, case):
        return next((e for e in summary[part] if e.get("case") == case), None)

    def met(ok):
        return "met" if ok else "NOT met"
    for case in ("txonly-64-q1", "rxonly-64-q1"):
        e = find("instructions", case)
        if e and e.get("ratio") is not None:
            out.append("- %s instructions per packet ours/stock %.2f (goal <= 0.6): %s"
                       % (case, e["ratio"], met(e["ratio"] <= 0.6)))
        t = find("throughput", case)
        d = find("throughput", case + "-drain") if case.startswith("rxonly") else None
        dr = d.get("ratio_pairwise_median") if d else None
        if t and t.get("ratio_pairwise_median") is not None:
            r = t["ratio_pairwise_median"]
            dl = t.get("ratio_delivered_pairwise_median")
            dl_text = "" if dl is None else "; %.2f counting only the frames testpmd got" % dl
            if dr is not None:
                # The goal is judged where the guest is the limit.
                out.append("- %s Mpps ours/stock %.2f%s, emulator-paced (the emulator's "
                           "count: both guests take what it offers; not the goal's measure)"
                           % (case, r, dl_text))
            else:
                out.append("- %s Mpps ours/stock %.2f (goal >= 1.5): %s"
                           % (case, r, met(r >= 1.5)))
        if dr is not None:
            out.append("- %s-drain Mpps ours/stock %.2f, guest-bound drain mode, frames "
                       "delivered to testpmd (goal >= 1.5): %s" % (case, dr, met(dr >= 1.5)))
    lat = {e["guest"]: e for e in summary["latency"]
           if e.get("case") == "latency-64" and "p99" in e}
    if "ours" in lat and "stock" in lat:
        a, b = lat["ours"]["p99"], lat["stock"]["p99"]
        out.append("- ring-ping p99 ours %.2f us vs stock %.2f (goal ours <= stock): %s"
                   % (a, b, met(a <= b)))
    ratios = [(e["case"], e["emulator_over_cheaper_guest"]) for e in summary["instructions"]
              if e.get("emulator_over_cheaper_guest") is not None]
    if ratios:
        over = [(c, r) for c, r in ratios if r >= 0.5]
        out.append("- emulator below half the cheaper guest's instructions per packet on "
                   "%d of %d cases measured%s" % (
                       len(ratios) - len(over), len(ratios),
                       "" if not over else "; not on " + ", ".join(
                           "%s (%.2f)" % (c, r) for c, r in over)))
    return out


def plot(results, outdir):
    """Mpps by frame size, one line per mode and guest (1 queue), from
    results.json's summary."""
    summary = results["summary"]
    series = {}
    for e in summary["throughput"]:
        mode, size, q = e["case"].split("-")[:3]
        if q != "q1" or len(e["case"].split("-")) > 3:
            continue
        for g, v in e["guests"].items():
            if "mpps_median" in v:
                series.setdefault((mode, g), []).append(
                    (int(size), v["mpps_median"], v["mpps_min"], v["mpps_max"]))
    for c in summary["ceiling"]:
        series.setdefault(("io", "net_null ceiling"), []).append(
            (c["size"], c["mpps"], c["mpps"], c["mpps"]))
    if not series or not shutil.which("gnuplot"):
        return None
    dat = os.path.join(outdir, "mpps-by-size.dat")
    png = os.path.join(outdir, "mpps-by-size.png")
    plots = []
    colours = {"txonly": "#1f77b4", "rxonly": "#2ca02c", "io": "#d62728"}
    with open(dat, "w", encoding="utf-8") as f:
        for i, ((mode, g), pts) in enumerate(sorted(series.items())):
            f.write("# %s %s\n" % (mode, g))
            for p in sorted(pts):
                f.write("%d %.4f %.4f %.4f\n" % p)
            f.write("\n\n")
            # Colour by mode; solid stock, dashed ours, dotted ceiling.
            dash = 3 if g == "net_null ceiling" else (1 if g == "stock" else 2)
            colour = "#555555" if g == "net_null ceiling" else colours.get(mode, "black")
            title = "net_null io ceiling" if g == "net_null ceiling" else "%s %s" % (mode, g)
            plots.append("'%s' index %d using 1:2:3:4 with yerrorlines dt %d lw 2 "
                         "lc rgb '%s' title '%s'" % (dat, i, dash, colour, title))
    script = "\n".join([
        "set terminal pngcairo noenhanced size 900,560",
        "set output '%s'" % png,
        "set title 'Mpps by frame size, 1 queue (median, min-max bars; solid stock, dashed ours)'",
        "set xlabel 'frame bytes (log scale)'", "set ylabel 'Mpps (log scale)'",
        "set logscale xy", "set xtics (64, 512, 1514, 9014)", "set xrange [48:12000]",
        "set grid", "set key outside right",
        "plot " + ", ".join(plots), ""])
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True,
                       capture_output=True, timeout=60)
    except (subprocess.SubprocessError, OSError) as e:
        sys.stderr.write("report: gnuplot failed: %s\n" % e)
        return None
    return png


DOC_BEGIN = "<!-- bench:begin (generated by test/bench/report.py --doc) -->"
DOC_END = "<!-- bench:end -->"


def update_doc(path, doc, text, png):
    """Replaces the generated part of PATH (between the markers; appended
    when missing) with this run: date, machine, command, tables, plot."""
    m = doc["machine"]
    gen = [DOC_BEGIN, "",
           "Run ending %s on %s (%d CPUs), Linux %s; %d s; load average at the end %s." % (
               doc["date"], m["cpu"] or "unknown CPU", m["cpus"], m["kernel"], doc["seconds"],
               m.get("loadavg_at_end") or "unknown"),
           "", "Command (from the top of the tree, as root):", "",
           "    %s" % doc["command"], ""]
    if png:
        name = os.path.splitext(os.path.basename(path))[0] + "-mpps-by-size.png"
        shutil.copyfile(png, os.path.join(os.path.dirname(os.path.abspath(path)), name))
        gen += ["![Mpps by frame size, ours vs stock](%s)" % name, ""]
    gen += [text.replace("## ", "### "), DOC_END]
    try:
        with open(path, encoding="utf-8") as f:
            old = f.read()
    except OSError:
        old = ""
    if DOC_BEGIN in old and DOC_END in old:
        head, rest = old.split(DOC_BEGIN, 1)
        tail = rest.split(DOC_END, 1)[1]
        new = head + "\n".join(gen) + tail
    else:
        new = old + ("\n" if old else "") + "\n".join(gen) + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(new)
    print("doc: %s" % path)


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--seconds", type=int, default=0)
    ap.add_argument("--command", default="")
    ap.add_argument("--guests", default="stock ours")
    ap.add_argument("--reps", type=int, default=0)
    ap.add_argument("--window", type=int, default=0)
    ap.add_argument("--doc", help="markdown file whose generated part to replace")
    a = ap.parse_args(argv[1:])
    rows = load(os.path.join(a.outdir, "rows.jsonl"))
    rep = Report(rows, a.guests.split())
    out = []
    out += ["## Throughput (native, %d repetitions alternating the guests; "
            "Gbit/s = frame bytes without FCS)" % a.reps, ""]
    out += rep.throughput()
    busy = rep.busy_table()
    if busy:
        out += ["", "## The guest's own cost (native runs: testpmd --record-core-cycles, "
                "cycles of the bursts that moved packets)", ""]
        out += busy
    drain = rep.drain_table()
    if drain:
        out += ["", "## Drain mode (rxonly, guest-bound: the generator publishes a batch "
                "at once and times the guest emptying it; docs/benchmarks.md)", ""]
        out += drain
    t, objs, checks = rep.instructions()
    out += ["", "## Instructions per packet (callgrind Ir, window of ~%d packets; "
            "the other process native)" % a.window, ""]
    out += t
    if objs:
        out += ["", "Guest instructions per packet by shared object (top 5):", ""]
        out += ["```"] + objs + ["```"]
    if rep.emu_top:
        out += ["", "Emulator's top functions (self instructions per packet):", ""]
        out += ["```"] + rep.emu_top + ["```"]
    if checks:
        out += ["", "Window checks:", "", "```"] + checks + ["```"]
    out += ["", "## Framework ceiling", ""] + rep.ceiling_table()
    out += ["", "## Latency (one packet in flight, emulator loopback; repetitions alternate the guests)", ""]
    out += rep.latency_table()
    out += ["", "## TCP (iperf3 through testpmd io between two TAP namespaces)", ""]
    out += rep.tcp_table()
    t, objs = rep.vf_table()
    if rep.summary["vf"]:
        out += ["", "## VF path (accelerated networking): cost per frame on top of "
                "the stand-in VF PMD (callgrind Ir of the guest, 64 B, 1 queue)", ""]
        out += t
        if objs:
            out += ["", "Difference by shared object (ours minus net_af_packet alone, "
                    "instr/pkt):", "", "```"] + objs + ["```"]
    for r in sel(rows, case="plugins"):
        same = r.get("start") == r.get("end")
        out += ["", "Our plugins (sha256 prefix): %s at the start, %s at the end%s" % (
            r.get("start"), r.get("end"), "" if same else
            " -- WARNING: they changed during the run (a `make build` elsewhere); "
            "ours figures may mix two builds")]
    if rep.notes:
        out += ["", "n/a reasons:", ""]
        out += ["%d. %s" % (i + 1, n) for i, n in enumerate(rep.notes)]
    goals = verdict(rep.summary, rep.guests)
    if goals:
        out = ["## Against issue 10's goals (64 bytes, one queue) and the emulator's target",
               ""] + goals + [""] + out
    text = "\n".join(out) + "\n"
    print(text)
    with open(os.path.join(a.outdir, "tables.md"), "w", encoding="utf-8") as f:
        f.write(text)
    doc = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
           "machine": machine(), "command": a.command, "seconds": a.seconds,
           "guests": rep.guests, "reps": a.reps, "window_packets": a.window,
           "summary": rep.summary, "na_reasons": rep.notes, "rows": rows}
    res = os.path.join(a.outdir, "results.json")
    with open(res, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
    with open(res, encoding="utf-8") as f:
        png = plot(json.load(f), a.outdir)
    print("results: %s, %s (%d s)" % (res, "plot: %s" % png if png else
                                      "no plot (gnuplot missing or nothing to plot)",
                                      a.seconds))
    if a.doc:
        update_doc(a.doc, doc, text, png)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
