#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Print where uio_hv_vmbus's face differs from Debian's uio_hv_generic.

Reads the guest log of test/kernel/run.sh: lines
  face <driver> <key> <value...>
(a key seen twice keeps every value, joined by " / "). Prints every key
with both values and marks the rows that differ.
"""

import sys


def main(path):
    faces = {}
    order = []
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            parts = line.split(None, 3)
            if len(parts) < 4 or parts[0] != "face":
                continue
            drv, key, value = parts[1], parts[2], parts[3].strip()
            if key not in order:
                order.append(key)
            seen = faces.setdefault(drv, {}).setdefault(key, [])
            if value not in seen:
                seen.append(value)
    ours, theirs = faces.get("ours", {}), faces.get("debian", {})
    if not theirs:
        print("face table: no uio_hv_generic observations")
        return 0
    width = max(len(k) for k in order)
    print(f"\n{'property':<{width}}  {'uio_hv_vmbus':<34} uio_hv_generic (Debian)")
    for key in order:
        a = " / ".join(ours.get(key, ["-"]))
        b = " / ".join(theirs.get(key, ["-"]))
        mark = "  <- differs" if a != b else ""
        print(f"{key:<{width}}  {a:<34} {b}{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
