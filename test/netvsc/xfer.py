#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Bounded TCP transfer with a checksum, for tcp.sh.

  xfer.py serve ADDR PORT     accept one connection, read to EOF, print
                              "<bytes> <sha256>"
  xfer.py send ADDR PORT N    send N pseudo-random bytes, print the same
Every socket operation has a 30 s timeout.
"""
import hashlib
import random
import socket
import sys


def main():
    mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    digest, total = hashlib.sha256(), 0
    if mode == "serve":
        srv = socket.create_server((addr, port))
        srv.settimeout(30)
        print("listening", flush=True)
        conn, _ = srv.accept()
        conn.settimeout(30)
        while True:
            data = conn.recv(1 << 16)
            if not data:
                break
            digest.update(data)
            total += len(data)
    else:
        want = int(sys.argv[4])
        rng = random.Random(want)
        conn = socket.create_connection((addr, port), timeout=30)
        while total < want:
            data = rng.randbytes(min(1 << 16, want - total))
            conn.sendall(data)
            digest.update(data)
            total += len(data)
        conn.shutdown(socket.SHUT_WR)
        conn.recv(1)
    conn.close()
    print(total, digest.hexdigest(), flush=True)


main()
