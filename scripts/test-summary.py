#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Add up meson's testlog.json of several build directories.

Prints one line per build and a final line "tests: N passed, M failed"
(", K skipped" when some were skipped); exits 1 when anything failed or a
build has no test log (its tests did not run, e.g. the build broke).
"""

import json
import os
import sys

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}


def count(builddir):
    """Return (passed, failed, skipped, failed test names) for one build."""
    path = os.path.join(builddir, "meson-logs", "testlog.json")
    if not os.path.exists(path):
        return 0, 1, 0, [builddir + ": no test log (build or setup failed)"]
    passed = failed = skipped = 0
    names = []
    with open(path, encoding="utf-8") as log:
        for line in log:
            if not line.strip():
                continue
            entry = json.loads(line)
            result = entry.get("result", "ERROR")
            if result in PASSED:
                passed += 1
            elif result in SKIPPED:
                skipped += 1
            else:
                failed += 1
                names.append("%s: %s (%s)" % (builddir, entry.get("name"), result))
    return passed, failed, skipped, names


def main(builddirs):
    total = [0, 0, 0]
    failures = []
    for builddir in builddirs:
        passed, failed, skipped, names = count(builddir)
        print("  %-10s %d passed, %d failed, %d skipped" % (builddir, passed, failed, skipped))
        total = [total[0] + passed, total[1] + failed, total[2] + skipped]
        failures += names
    for name in failures:
        print("  FAILED " + name)
    line = "tests: %d passed, %d failed" % (total[0], total[1])
    if total[2]:
        line += ", %d skipped" % total[2]
    print(line)
    return 1 if total[1] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
