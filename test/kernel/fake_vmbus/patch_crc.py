#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Give fake_vmbus.ko's exports the modversions CRCs of the real hv_vmbus.

  patch_crc.py fake_vmbus.ko KDIR/Module.symvers

Modules built against the distribution's headers (ours, and Debian's
signed uio_hv_generic.ko) carry the CRC of every hv_vmbus symbol they
import; the loader refuses them if the exporter's CRC differs. The CRC
genksyms computes for the stub depends on which types its translation
unit sees, so instead of imitating hv_vmbus's include lists the stub
claims the real values: each __crc_<sym> symbol in the .ko labels a
4-byte slot in the __kcrctab* section, which is overwritten here.
Fails if an export of the stub is unknown to Module.symvers.
"""

import struct
import sys


def sections(data):
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, _ = struct.unpack_from("<HHH", data, 0x3A)
    out = []
    for i in range(shnum):
        name, stype, _, _, offset, size, link, _, _, entsize = struct.unpack_from(
            "<IIQQQQIIQQ", data, shoff + i * shentsize)
        out.append({"name": name, "type": stype, "offset": offset, "size": size,
                    "link": link, "entsize": entsize})
    return out


def main(ko_path, symvers_path):
    want = {}
    with open(symvers_path, encoding="ascii") as f:
        for line in f:
            fields = line.split("\t")
            if len(fields) >= 3 and fields[2] == "drivers/hv/hv_vmbus":
                want[fields[1]] = int(fields[0], 16)
    with open(ko_path, "rb") as f:
        data = bytearray(f.read())
    secs = sections(data)
    symtab = next(s for s in secs if s["type"] == 2)  # SHT_SYMTAB
    strtab = secs[symtab["link"]]
    patched = []
    for off in range(symtab["offset"], symtab["offset"] + symtab["size"], 24):
        name_off, _info, _other, shndx, value, _size = struct.unpack_from("<IBBHQQ", data, off)
        end = data.index(b"\0", strtab["offset"] + name_off)
        name = data[strtab["offset"] + name_off:end].decode()
        if not name.startswith("__crc_"):
            continue
        sym = name[len("__crc_"):]
        if sym not in want:
            print(f"patch_crc: {sym} is not an hv_vmbus export in {symvers_path}",
                  file=sys.stderr)
            return 1
        struct.pack_into("<I", data, secs[shndx]["offset"] + value, want[sym])
        patched.append(sym)
    if not patched:
        print("patch_crc: no __crc_ symbols (kernel without CONFIG_MODVERSIONS?)",
              file=sys.stderr)
        return 1
    with open(ko_path, "wb") as f:
        f.write(data)
    print(f"patch_crc: {len(patched)} CRCs set from {symvers_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]) if len(sys.argv) == 3 else 2)
