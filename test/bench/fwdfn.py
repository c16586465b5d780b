#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Where a testpmd binary's forwarding function of one mode lies.

    fwdfn.py TESTPMD MODE

Prints "OBJECT:0xSTART-0xEND" (object-relative addresses, as callgrind's
instruction-level dump gives them), the code of the packet_fwd function
of testpmd's forwarding engine MODE (txonly: pkt_burst_transmit), for
cgsum.py --frames. Debian's testpmd is stripped, so the function is not
found by name: testpmd 22.11 describes each mode with a struct
fwd_engine {fwd_mode_name, port_fwd_begin, port_fwd_end, stream_init,
packet_fwd} of pointers, which in a position-independent binary are
R_X86_64_RELATIVE relocations; the engine is the struct whose first
pointer is the string MODE, its fifth the function. The function's end
is that of its unwind entry (.eh_frame FDE, present in stripped
binaries), which leaves out a .cold part (the unlikely branches).
Exits 1 with a reason when any of this is not found.
"""
import os
import re
import struct
import subprocess
import sys

R_X86_64_RELATIVE = 8
PACKET_FWD = 4 * 8	# offset of packet_fwd in struct fwd_engine


def fail(msg):
    sys.stderr.write("fwdfn: %s\n" % msg)
    sys.exit(1)


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:5] != b"\x7fELF\x02" or data[5] != 1:
        fail("%s: not a little-endian ELF64 file" % path)
    phoff, shoff = struct.unpack_from("<QQ", data, 0x20)
    phentsize, phnum, shentsize, shnum = struct.unpack_from("<HHHH", data, 0x36)
    loads = []
    for i in range(phnum):
        p_type, p_flags, p_off, p_vaddr, _, p_filesz = struct.unpack_from(
            "<IIQQQQ", data, phoff + i * phentsize)
        if p_type == 1:
            loads.append((p_vaddr, p_filesz, p_off, p_flags & 1))
    relocs = {}
    for i in range(shnum):
        sh = struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
        if sh[1] != 4:	# SHT_RELA
            continue
        off, size = sh[4], sh[5]
        for r in range(off, off + size, 24):
            r_offset, r_info, r_addend = struct.unpack_from("<QQq", data, r)
            if r_info & 0xffffffff == R_X86_64_RELATIVE:
                relocs[r_offset] = r_addend
    return data, loads, relocs


def file_off(loads, addr):
    for vaddr, filesz, off, _ in loads:
        if vaddr <= addr < vaddr + filesz:
            return off + addr - vaddr
    return None


def is_code(loads, addr):
    return any(x and v <= addr < v + n for v, n, _, x in loads)


def fde_end(path, start):
    out = subprocess.run(["readelf", "--debug-dump=frames", path],
                         capture_output=True, text=True, check=False).stdout
    for m in re.finditer(r"FDE cie=\S+ pc=([0-9a-f]+)\.\.([0-9a-f]+)", out):
        if int(m.group(1), 16) == start:
            return int(m.group(2), 16)
    return None


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    path, mode = argv[1], argv[2].encode()
    data, loads, relocs = load(path)
    found = set()
    for at, target in relocs.items():
        off = file_off(loads, target)
        if off is None or data[off:off + len(mode) + 1] != mode + b"\0":
            continue
        fn = relocs.get(at + PACKET_FWD)
        if fn is not None and is_code(loads, fn):
            found.add(fn)
    if len(found) != 1:
        fail("%s: %d forwarding engines named %s" % (path, len(found), argv[2]))
    start = found.pop()
    end = fde_end(path, start)
    if end is None:
        fail("%s: no unwind entry at 0x%x" % (path, start))
    print("%s:0x%x-0x%x" % (os.path.basename(path), start, end))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
