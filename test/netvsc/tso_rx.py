# SPDX-License-Identifier: BSD-3-Clause
"""tso_rx.py IFNAME DST-PORT PAYLOAD MSS SECONDS: capture (AF_PACKET) the
TCP frames to DST-PORT on IFNAME that nv_tso's one TSO send became, check
each (IPv4 header checksum, TCP checksum over the pseudo-header, lengths,
no segment above MSS, the header fields the sender set) and the payload
they carry together (sequence numbers contiguous from 1000, bytes as
nv_tso wrote them). Prints "listening", then one line:
"tso_rx: F frames, B bytes, largest L, payload ok" and exits 0, or the
first fault and exits 1 (also when PAYLOAD bytes did not come in time)."""
import socket
import struct
import sys
import time

ETH_P_ALL = 3


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def check(frame, dport, mss):
    """(seq, payload) of a frame for us, None for other frames; raises
    ValueError on a bad one."""
    if len(frame) < 54 or frame[12:14] != b'\x08\x00':
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0xf) * 4
    if ip[0] >> 4 != 4 or ip[9] != 6 or ihl != 20:
        return None
    tcp = ip[ihl:]
    if struct.unpack('!H', tcp[2:4])[0] != dport:
        return None
    tot = struct.unpack('!H', ip[2:4])[0]
    if tot > len(ip) or tot < ihl + 20:
        raise ValueError('IP total length %d, frame has %d' % (tot, len(ip)))
    if csum(bytes(ip[:ihl])) != 0xffff:
        raise ValueError('bad IPv4 header checksum')
    seg = bytes(ip[ihl:tot])
    pseudo = ip[12:20] + struct.pack('!BBH', 0, 6, len(seg))
    if csum(bytes(pseudo) + seg) != 0xffff:
        raise ValueError('bad TCP checksum')
    doff = (seg[12] >> 4) * 4
    data = seg[doff:]
    if len(data) > mss:
        raise ValueError('segment of %d bytes above MSS %d' % (len(data), mss))
    sport, flags = struct.unpack('!H', seg[0:2])[0], seg[13]
    if sport != 40000 or not flags & 0x10 or flags & 0x07:
        raise ValueError('source port %d flags 0x%x' % (sport, flags))
    return struct.unpack('!I', seg[4:8])[0], data


def main():
    ifname, dport, payload, mss, secs = sys.argv[1], *map(int, sys.argv[2:6])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    s.settimeout(0.5)
    print('listening', flush=True)
    got, frames, largest = {}, 0, 0
    end = time.monotonic() + secs
    while sum(len(d) for d in got.values()) < payload:
        if time.monotonic() > end:
            print('tso_rx: %d of %d bytes in %d frames after %d s' %
                  (sum(len(d) for d in got.values()), payload, frames, secs))
            return 1
        try:
            frame, addr = s.recvfrom(65536)
        except socket.timeout:
            continue
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        try:
            r = check(frame, dport, mss)
        except ValueError as e:
            print('tso_rx: frame %d: %s' % (frames + 1, e))
            return 1
        if r is None:
            continue
        seq, data = r
        if seq in got:
            print('tso_rx: sequence %d twice' % seq)
            return 1
        got[seq] = data
        frames += 1
        largest = max(largest, len(data))
    want = bytes((i * 131 + (i >> 8)) & 0xff for i in range(payload))
    seq, buf = 1000, b''
    while seq in got:
        buf += got[seq]
        seq += len(got[seq])
    if buf != want:
        print('tso_rx: payload differs (%d contiguous bytes from 1000)' % len(buf))
        return 1
    print('tso_rx: %d frames, %d bytes, largest %d, payload ok' %
          (frames, len(buf), largest))
    return 0


if __name__ == '__main__':
    sys.exit(main())
