#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Turn the tables of docs/uio-abi.md into a C table for uio_abi_check.c.

    uio_abi_table.py docs/uio-abi.md drivers/common/hv/hv_uio_abi.h OUT.h

Reads the tables that follow the markers <!-- uio-abi:maps -->,
<!-- uio-abi:size-rules -->, <!-- uio-abi:files --> and <!-- uio-abi:irq -->,
checks them against the code's header (map indices, names and the
interrupt values must agree), expands the rows that hold <M> into one row
per map, and writes OUT.h. Exits 1 with the reason on any disagreement,
so the build stops when the document and the code drift.
"""

import re
import sys

KINDS = {"dir": "UIO_ABI_DIR", "text": "UIO_ABI_TEXT", "ring": "UIO_ABI_RING"}
PRESENCE = {"required": "UIO_ABI_REQUIRED", "optional": "UIO_ABI_OPTIONAL",
            "one": "UIO_ABI_ONE", "absent": "UIO_ABI_ABSENT"}
RULES = {"": "UIO_ABI_RULE_NONE", "ring": "UIO_ABI_RULE_RING",
         "map0": "UIO_ABI_RULE_MAP0", "hv-page": "UIO_ABI_RULE_HV_PAGE",
         "buffer": "UIO_ABI_RULE_BUFFER"}


def fail(msg):
    print("uio_abi_table: " + msg, file=sys.stderr)
    sys.exit(1)


def split_row(line):
    """Cells of a markdown table row; '\\|' is a literal bar."""
    cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [c.strip().replace("\\|", "|") for c in cells]


def code(cell):
    """Content of a `code` cell, or the cell itself."""
    m = re.fullmatch(r"`([^`]*)`", cell)
    return m.group(1) if m else cell


def tables(text):
    out = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.fullmatch(r"<!-- uio-abi:([a-z-]+) -->", line.strip())
        if not m:
            continue
        rows = []
        for row in lines[i + 1:]:
            if not row.startswith("|"):
                break
            rows.append(split_row(row))
        if len(rows) < 3 or not all(set(c) <= set("-") for c in rows[1]):
            fail("table %s: header, separator and rows expected" % m.group(1))
        out[m.group(1)] = (rows[0], rows[2:])
    for need in ("maps", "size-rules", "files", "irq"):
        if need not in out:
            fail("docs/uio-abi.md has no <!-- uio-abi:%s --> table" % need)
    return out


def c_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def check_header(maps, irq, header):
    enum = dict((n, int(v)) for n, v in
                re.findall(r"\b(HV_UIO_MAP_[A-Z_]+)\s*=\s*(\d+)", header))
    names = dict(re.findall(r'#define\s+(HV_UIO_MAP_NAME_[A-Z_]+)\s+"([^"]*)"',
                            header))
    defines = dict((n, int(v)) for n, v in
                   re.findall(r"#define\s+(HV_UIO_IRQ_[A-Z_]+)\s+(\d+)", header))
    if enum.get("HV_UIO_MAP_COUNT") != len(maps):
        fail("HV_UIO_MAP_COUNT is %s, the maps table has %d rows"
             % (enum.get("HV_UIO_MAP_COUNT"), len(maps)))
    for idx, const, pattern, _rule in maps:
        if enum.get(const) != idx:
            fail("%s is %s in hv_uio_abi.h, %d in the table"
                 % (const, enum.get(const), idx))
        name = names.get(const.replace("HV_UIO_MAP_", "HV_UIO_MAP_NAME_"))
        if name is None:
            fail("hv_uio_abi.h lacks the name of " + const)
        # The header holds the literal text (buffers: the prefix).
        lit = pattern.strip("^$").split("[", 1)[0]
        if lit != name:
            fail("map %d: the table's name %r is %r in hv_uio_abi.h"
                 % (idx, lit, name))
    for row in irq:
        const = code(row[3])
        if const and defines.get(const) != int(row[1]):
            fail("%s is %s in hv_uio_abi.h, %s in the irq table"
                 % (const, defines.get(const), row[1]))


def main(doc_path, header_path, out_path):
    with open(doc_path, encoding="utf-8") as f:
        t = tables(f.read())
    with open(header_path, encoding="utf-8") as f:
        header = f.read()

    rules_known = set(code(r[0]) for r in t["size-rules"][1])
    if rules_known != set(RULES) - {""}:
        fail("size rules in the document %s, the checker knows %s"
             % (sorted(rules_known), sorted(set(RULES) - {""})))

    maps = []
    for r in t["maps"][1]:
        maps.append((int(r[0]), code(r[1]), code(r[2]), code(r[3])))
    if [m[0] for m in maps] != list(range(len(maps))):
        fail("map indices must be 0..%d in order" % (len(maps) - 1))
    for m in maps:
        re.compile(m[2])
        if m[3] not in RULES:
            fail("map %d: unknown size rule %r" % (m[0], m[3]))
    check_header(maps, t["irq"][1], header)

    rows = []
    for r in t["files"][1]:
        path, kind, presence, pattern, rule = (code(c) for c in r[:5])
        if kind not in KINDS or presence not in PRESENCE or rule not in RULES \
                and rule != "(maps table)":
            fail("files: bad row %r" % r)
        if "<M>" in path:
            for idx, _const, mpat, mrule in maps:
                p = pattern if pattern != "(maps table)" else mpat
                ru = rule if rule != "(maps table)" else mrule
                rows.append((path.replace("<M>", str(idx)), kind, presence, p, ru))
        else:
            if "(maps table)" in (pattern, rule):
                fail("files: %s refers to the maps table without <M>" % path)
            rows.append((path, kind, presence, pattern, rule))
    for row in rows:
        if row[3]:
            re.compile(row[3])

    with open(out_path, "w", encoding="utf-8") as out:
        out.write("/* Generated by test/common/uio_abi_table.py from "
                  "docs/uio-abi.md; do not edit. */\n")
        out.write("static const struct uio_abi_row uio_abi_rows[] = {\n")
        for path, kind, presence, pattern, rule in rows:
            out.write("\t{ %s, %s, %s, %s, %s },\n"
                      % (c_str(path), KINDS[kind], PRESENCE[presence],
                         c_str(pattern) if pattern else "NULL", RULES[rule]))
        out.write("};\n")
        out.write("#define UIO_ABI_NMAPS %d\n" % len(maps))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        fail("usage: uio_abi_table.py DOC.md HV_UIO_ABI.h OUT.h")
    main(sys.argv[1], sys.argv[2], sys.argv[3])
