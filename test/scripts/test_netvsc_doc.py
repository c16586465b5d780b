#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""docs/netvsc.md names every devarg and every xstat the PMD has, and
nothing else: the names are read from the code (hn_ethdev.c devarg keys,
hn_stats.c name tables, expanded as hn_xstats_get_names does) and from
the page's tables (first column, in backticks)."""
import re
import sys
from pathlib import Path

root = Path(__file__).resolve().parents[2]
drv = root / "drivers/net/netvsc"
doc = (root / "docs/netvsc.md").read_text()
stats = (drv / "hn_stats.c").read_text()
vfc = (drv / "hn_vf.c").read_text()
ethdev = (drv / "hn_ethdev.c").read_text()


def table(src, name):
    m = re.search(r"\b%s\[[^]]*\]\s*=\s*\{(.*?)\n\};" % name, src, re.S)
    if not m:
        sys.exit("FAIL: table %s not found" % name)
    return m.group(1)


code = set()
code |= {"rx_q<q>_" + n for n in re.findall(r"HN_RX\((\w+)\)", table(stats, "hn_rx_names"))}
code |= {"tx_q<q>_" + n for n in re.findall(r"HN_TX\((\w+)\)", table(stats, "hn_tx_names"))}
code |= {"chan<c>_" + n for n in re.findall(r'"(\w+)"', table(stats, "hn_bad_names"))}
size = re.findall(r'"(\w+)"', table(stats, "hn_size_names"))
code |= {d + "_" + n for d in ("rx", "tx") for n in size}
# VF steering's, appended by hn_vf.c when vf=1.
vfn = re.findall(r'"(vf_\w+)"', table(vfc, "vf_xnames"))
if len(vfn) < 10:
    sys.exit("FAIL: only %d VF xstat names parsed from hn_vf.c" % len(vfn))
code |= set(vfn)
# The name formats hn_xstats_get_names uses: one per table above.
for fmt in ('"rx_q%u_%s"', '"tx_q%u_%s"', '"chan%u_%s"', '"%s_%s"'):
    if fmt not in stats:
        sys.exit("FAIL: name format %s no longer in hn_stats.c: update this test" % fmt)
# ethdev's own, put first in every port's xstats (rte_ethdev.c,
# eth_dev_stats_strings; no per-queue ones: we do not ask for them).
code |= {"rx_good_packets", "rx_good_bytes", "rx_missed_errors", "rx_errors",
         "rx_mbuf_allocation_errors", "tx_good_packets", "tx_good_bytes",
         "tx_errors"}
if len(code) < 40:
    sys.exit("FAIL: only %d xstat names parsed from hn_stats.c" % len(code))

devargs = set(re.findall(r'#define HN_DEVARG_\w+ "(\w+)"', ethdev))
if len(devargs) < 4:
    sys.exit("FAIL: only %d devargs parsed from hn_ethdev.c" % len(devargs))

# First-column backticked names of the page's tables.
documented = set(re.findall(r"^\| `([^`]+)` \|", doc, re.M))
doc_x = {n for n in documented if n not in devargs and re.match(r"^(rx|tx|chan|vf_)", n)}
doc_d = documented - doc_x

bad = []
bad += ["xstat %s is not in docs/netvsc.md" % n for n in sorted(code - doc_x)]
bad += ["docs/netvsc.md lists xstat %s, the PMD has none" % n for n in sorted(doc_x - code)]
bad += ["devarg %s is not in docs/netvsc.md" % n for n in sorted(devargs - doc_d)]
bad += ["docs/netvsc.md lists devarg %s, the PMD has none" % n for n in sorted(doc_d - devargs)]
for b in bad:
    print("FAIL: " + b)
if bad:
    sys.exit(1)
print("ok: %d xstat names and %d devargs, each documented once" % (len(code), len(devargs)))
