#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write hv_vmbus_layout.h: where the fields of hv_vmbus's private
struct vmbus_connection that the UIO glue needs sit, taken from the
target kernel's BTF instead of a copy of drivers/hv/hyperv_vmbus.h
(which no headers package ships).

  btf_layout.py --base VMLINUX_BTF --module HV_VMBUS_BTF -o hv_vmbus_layout.h

VMLINUX_BTF is /sys/kernel/btf/vmlinux, a vmlinux ELF or a bzImage
(vmlinuz, xz-compressed payload); HV_VMBUS_BTF is /sys/kernel/btf/hv_vmbus
or the hv_vmbus.ko file. Module BTF is split BTF: its type ids and string
offsets continue after the base's, so the base is always needed.
Exits 1 with a message when a field is missing or has an unexpected type:
building against a kernel whose layout we cannot establish is refused.
"""

import argparse
import lzma
import struct
import subprocess
import sys
import zlib

BTF_MAGIC = 0xEB9F
KIND_INT, KIND_PTR, KIND_ARRAY, KIND_STRUCT, KIND_UNION, KIND_ENUM = 1, 2, 3, 4, 5, 6
KIND_FWD, KIND_TYPEDEF, KIND_VOLATILE, KIND_CONST, KIND_RESTRICT = 7, 8, 9, 10, 11
KIND_FUNC, KIND_FUNC_PROTO, KIND_VAR, KIND_DATASEC, KIND_FLOAT = 12, 13, 14, 15, 16
KIND_DECL_TAG, KIND_TYPE_TAG, KIND_ENUM64 = 17, 18, 19

# Bytes that follow struct btf_type: (fixed, per vlen entry).
TRAILER = {
    KIND_INT: (4, 0), KIND_PTR: (0, 0), KIND_ARRAY: (12, 0),
    KIND_STRUCT: (0, 12), KIND_UNION: (0, 12), KIND_ENUM: (0, 8),
    KIND_FWD: (0, 0), KIND_TYPEDEF: (0, 0), KIND_VOLATILE: (0, 0),
    KIND_CONST: (0, 0), KIND_RESTRICT: (0, 0), KIND_FUNC: (0, 0),
    KIND_FUNC_PROTO: (0, 8), KIND_VAR: (4, 0), KIND_DATASEC: (0, 12),
    KIND_FLOAT: (0, 0), KIND_DECL_TAG: (4, 0), KIND_TYPE_TAG: (0, 0),
    KIND_ENUM64: (0, 12),
}
# Kinds that only qualify or rename another type.
ALIASES = (KIND_TYPEDEF, KIND_VOLATILE, KIND_CONST, KIND_RESTRICT, KIND_TYPE_TAG)


class LayoutError(Exception):
    pass


def elf_section(data, want):
    """Bytes of section `want` of a little-endian ELF64 file, or None."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise LayoutError("not a little-endian ELF64 file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def header(i):
        off = shoff + i * shentsize
        name, _, _, _, offset, size = struct.unpack_from("<IIQQQQ", data, off)
        return name, offset, size

    _, stroff, _ = header(shstrndx)
    for i in range(shnum):
        name, offset, size = header(i)
        end = data.index(b"\0", stroff + name)
        if data[stroff + name:end].decode() == want:
            return data[offset:offset + size]
    return None


def decompress(path, data):
    """The ELF inside a compressed module or a bzImage (xz, gzip, zstd)."""
    xz = data.find(b"\xfd7zXZ\x00")
    if xz >= 0:
        return lzma.LZMADecompressor().decompress(data[xz:])
    zst = data.find(b"\x28\xb5\x2f\xfd")
    if zst >= 0:
        try:
            return subprocess.run(["zstd", "-dcq"], input=data[zst:], check=False,
                                  capture_output=True).stdout
        except OSError as e:
            raise LayoutError(f"{path}: zstd-compressed; install zstd ({e})") from e
    gz = data.find(b"\x1f\x8b\x08")
    if gz >= 0:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[gz:])
    raise LayoutError(f"{path}: neither BTF, ELF nor a compressed kernel or module")


def load_btf_bytes(path):
    """Raw BTF from a sysfs BTF file, an ELF with .BTF, or a bzImage."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) >= 2 and struct.unpack_from("<H", data)[0] == BTF_MAGIC:
        return data
    if data[:4] != b"\x7fELF":
        data = decompress(path, data)
    sec = elf_section(data, ".BTF")
    if sec is None:
        raise LayoutError(f"{path}: no .BTF section (kernel built without CONFIG_DEBUG_INFO_BTF?)")
    return sec


class Btf:
    """Types and strings of one BTF blob, optionally split on a base."""

    def __init__(self, data, base=None):
        magic, version, _flags, hdr_len = struct.unpack_from("<HBBI", data)
        if magic != BTF_MAGIC or version != 1:
            raise LayoutError("bad BTF header")
        type_off, type_len, str_off, str_len = struct.unpack_from("<IIII", data, 8)
        self.base = base
        self.strings = data[hdr_len + str_off:hdr_len + str_off + str_len]
        self.str_start = base.str_start + len(base.strings) if base else 0
        self.first_id = base.first_id + len(base.types) if base else 1
        self.types = []  # (kind, name_off, info, size_or_type, trailer bytes)
        pos, end = hdr_len + type_off, hdr_len + type_off + type_len
        while pos < end:
            name_off, info, size_type = struct.unpack_from("<III", data, pos)
            kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
            if kind not in TRAILER:
                raise LayoutError(f"unknown BTF kind {kind}")
            fixed, per = TRAILER[kind]
            tlen = fixed + per * vlen
            self.types.append((kind, name_off, info, size_type, data[pos + 12:pos + 12 + tlen]))
            pos += 12 + tlen

    def string(self, off):
        if off < self.str_start:
            return self.base.string(off)
        off -= self.str_start
        return self.strings[off:self.strings.index(b"\0", off)].decode()

    def type(self, tid):
        if tid < self.first_id:
            return self.base.type(tid)
        return self.types[tid - self.first_id]

    def resolve(self, tid):
        """Strip typedefs and qualifiers."""
        for _ in range(64):
            t = self.type(tid)
            if t[0] not in ALIASES:
                return t
            tid = t[3]
        raise LayoutError("type alias loop")

    def find_struct(self, name):
        for t in self.types:
            if t[0] == KIND_STRUCT and self.string(t[1]) == name:
                return t
        return None

    def members(self, t):
        out = {}
        kflag = t[2] >> 31
        for i in range(t[2] & 0xFFFF):
            name_off, mtype, off = struct.unpack_from("<III", t[4], 12 * i)
            bits = off & 0xFFFFFF if kflag else off
            out[self.string(name_off)] = (mtype, bits)
        return out


def byte_offset(name, bits):
    if bits % 8:
        raise LayoutError(f"vmbus_connection.{name} is not byte aligned")
    return bits // 8


def layout(base_path, module_path):
    base = Btf(load_btf_bytes(base_path))
    mod = Btf(load_btf_bytes(module_path), base)
    conn = mod.find_struct("vmbus_connection") or base.find_struct("vmbus_connection")
    if conn is None:
        raise LayoutError(f"{module_path}: no struct vmbus_connection in its BTF")
    members = mod.members(conn)
    out = {"size": conn[3]}

    def need(field):
        if field not in members:
            raise LayoutError(f"struct vmbus_connection has no member {field}")
        return members[field]

    tid, bits = need("int_page")
    if mod.resolve(tid)[0] != KIND_PTR:
        raise LayoutError("vmbus_connection.int_page is not a pointer")
    out["int_page"] = byte_offset("int_page", bits)

    tid, bits = need("monitor_pages")
    arr = mod.resolve(tid)
    if arr[0] != KIND_ARRAY:
        raise LayoutError("vmbus_connection.monitor_pages is not an array")
    elem, _index, nelems = struct.unpack_from("<III", arr[4])
    if nelems != 2 or mod.resolve(elem)[0] != KIND_PTR:
        raise LayoutError("vmbus_connection.monitor_pages is not 2 pointers")
    out["monitor_pages"] = byte_offset("monitor_pages", bits)

    tid, bits = need("channel_mutex")
    mtx = mod.resolve(tid)
    if mtx[0] != KIND_STRUCT or mod.string(mtx[1]) != "mutex":
        raise LayoutError("vmbus_connection.channel_mutex is not a struct mutex")
    out["channel_mutex"] = byte_offset("channel_mutex", bits)
    out["mutex_size"] = mtx[3]
    return out


HEADER = """\
/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generated by kernel/btf_layout.py from the BTF of
 *   {base}
 *   {module}
 * Offsets into hv_vmbus's private struct vmbus_connection. Do not edit;
 * regenerate for each target kernel (Makefile.kbuild does).
 */
#ifndef HV_VMBUS_LAYOUT_H
#define HV_VMBUS_LAYOUT_H

#define HVL_CONNECTION_SIZE {size}
#define HVL_CONNECTION_INT_PAGE {int_page}
#define HVL_CONNECTION_MONITOR_PAGES {monitor_pages}
#define HVL_CONNECTION_CHANNEL_MUTEX {channel_mutex}
#define HVL_MUTEX_SIZE {mutex_size}

#endif /* HV_VMBUS_LAYOUT_H */
"""


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", required=True, help="vmlinux BTF, vmlinux or vmlinuz")
    p.add_argument("--module", required=True, help="hv_vmbus BTF or hv_vmbus.ko")
    p.add_argument("-o", "--output", required=True)
    args = p.parse_args(argv)
    try:
        fields = layout(args.base, args.module)
    except (OSError, LayoutError, lzma.LZMAError, zlib.error, struct.error, ValueError) as e:
        print(f"btf_layout: {e}", file=sys.stderr)
        return 1
    text = HEADER.format(base=args.base, module=args.module, **fields)
    with open(args.output, "w", encoding="ascii") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
