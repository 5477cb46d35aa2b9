#!/usr/bin/python3
"""Writes a large synthetic capture for the replay benchmark.

Usage: make-capture.py OUT.pcap [FLOWS] [SEGMENTS]

FLOWS connections (default 20000), nine in ten TCP (handshake, SEGMENTS data
segments each way, FIN exchange) and one in ten UDP (a request and a reply,
or a one-way burst), between 10.0.0.0/16 clients and 10.1.0.0/16 servers,
interleaved in time the way a busy link interleaves them. Ethernet, IPv4,
correct lengths; checksums are left zero (replay ignores them unless asked).
"""
import random
import struct
import sys

ETH = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00"


def ip4(a):
    return bytes((10, a >> 16 & 0xFF, a >> 8 & 0xFF, a & 0xFF))


def ipv4_header(src, dst, proto, payload_len):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, 0, 0x4000, 64, proto, 0, src, dst)


def tcp(src, sport, dst, dport, seq, ack, flags, payload):
    header = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    return ETH + ipv4_header(src, dst, 6, 20 + len(payload)) + header + payload


def udp(src, sport, dst, dport, payload):
    header = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    return ETH + ipv4_header(src, dst, 17, 8 + len(payload)) + header + payload


def flow_packets(n, segments, rng):
    client = ip4(rng.randrange(1 << 16))
    server = ip4((1 << 16) | rng.randrange(1 << 16))
    sport = 1024 + n % 60000
    if n % 10 == 9:
        dport = 53 if n % 20 == 9 else 514
        yield udp(client, sport, server, dport, b"q" * rng.randrange(20, 200))
        if dport == 53:
            yield udp(server, dport, client, sport, b"r" * rng.randrange(40, 400))
        return
    dport = rng.choice((80, 443, 8080, 5432))
    a, b = rng.randrange(1 << 32), rng.randrange(1 << 32)
    yield tcp(client, sport, server, dport, a, 0, 0x02, b"")
    yield tcp(server, dport, client, sport, b, a + 1, 0x12, b"")
    a += 1
    b += 1
    yield tcp(client, sport, server, dport, a, b, 0x10, b"")
    for _ in range(segments):
        request = b"x" * rng.randrange(100, 600)
        yield tcp(client, sport, server, dport, a, b, 0x18, request)
        a += len(request)
        reply = b"y" * rng.randrange(200, 1400)
        yield tcp(server, dport, client, sport, b, a, 0x18, reply)
        b += len(reply)
    yield tcp(client, sport, server, dport, a, b, 0x11, b"")
    yield tcp(server, dport, client, sport, b, a + 1, 0x11, b"")
    yield tcp(client, sport, server, dport, a + 1, b + 1, 0x10, b"")


def main():
    out = sys.argv[1]
    flows = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    segments = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    rng = random.Random(1102003)
    active, started, packets = [], 0, 0
    t = 1_700_000_000.0
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        while started < flows or active:
            while started < flows and len(active) < 512:
                active.append(flow_packets(started, segments, rng))
                started += 1
            i = rng.randrange(len(active))
            try:
                frame = next(active[i])
            except StopIteration:
                active[i] = active[-1]
                active.pop()
                continue
            t += 0.00002
            sec = int(t)
            f.write(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(frame), len(frame)))
            f.write(frame)
            packets += 1
    print(f"{out}: {packets} packets, {flows} flows", file=sys.stderr)


if __name__ == "__main__":
    main()
