#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""vlan.py IFNAME DSTMAC COUNT: on IFNAME (AF_PACKET), send COUNT UDP
frames tagged with VLAN 100 to DSTMAC, one at a time, and wait for each
to come back reflected (testpmd 5tswap: addresses and ports swapped); the
wait is a hang guard (20 s), and after a lost frame the rest count as lost
without waiting. The tag of a frame that comes back is read from the packet
socket's auxiliary data (the kernel untags on receive) or inline.
Prints: sent N tagged T untagged U lost L."""
import select
import socket
import struct
import sys

SOL_PACKET, PACKET_AUXDATA, TP_STATUS_VLAN_VALID = 263, 8, 0x10
PACKET_OUTGOING = 4
VID = 100


def ip_csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(dst, src, i):
    payload = b'vlan%06d' % i + bytes(40)
    udp = struct.pack('!HHHH', 4000, 5000, 8 + len(payload), 0) + payload
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), i & 0xFFFF, 0,
                      64, 17, 0, socket.inet_aton('10.82.0.1'),
                      socket.inet_aton('10.82.0.2'))
    hdr = hdr[:10] + struct.pack('!H', ip_csum(hdr)) + hdr[12:]
    return dst + src + struct.pack('!HH', 0x8100, VID) + b'\x08\x00' + hdr + udp


def reply_tag(s, i):
    """VLAN id of the reflected frame i (0: untagged), None if lost."""
    want = b'vlan%06d' % i
    while True:
        r, _, _ = select.select([s], [], [], 20.0)
        if not r:
            return None
        data, anc, _, addr = s.recvmsg(65536, socket.CMSG_SPACE(20))
        if addr[2] == PACKET_OUTGOING or want not in data:
            continue
        vid = 0
        for lvl, typ, val in anc:
            if lvl == SOL_PACKET and typ == PACKET_AUXDATA and len(val) >= 20:
                status = struct.unpack_from('I', val, 0)[0]
                tci = struct.unpack_from('H', val, 16)[0]
                if status & TP_STATUS_VLAN_VALID:
                    vid = tci & 0xFFF
        if data[12:14] == b'\x81\x00':
            vid = struct.unpack_from('!H', data, 14)[0] & 0xFFF
        return vid


def main():
    ifname, dst, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    dst = bytes.fromhex(dst.replace(':', ''))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind((ifname, 0))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    src = s.getsockname()[4]
    tagged = untagged = lost = 0
    for i in range(count):
        s.send(frame(dst, src, i))
        vid = reply_tag(s, i)
        if vid is None:
            lost = count - tagged - untagged
            break
        elif vid == VID:
            tagged += 1
        else:
            untagged += 1
    print('sent %d tagged %d untagged %d lost %d' % (count, tagged, untagged, lost))


main()
