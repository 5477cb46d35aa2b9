#!/usr/bin/env python3
"""Writes the packets bench/kernel/run.sh feeds the programs, into DIR.

Each is an Ethernet frame (BPF_PROG_TEST_RUN strips the link header for
cgroup_skb programs, which see the IP header first) from 127.0.0.1 or ::1
to itself, with 64 bytes of payload: the 64-byte UDP of the system
benchmark, a TCP segment with ACK set, and the UDP datagram over IPv6.
"""
import struct
import sys

PAYLOAD = b"x" * 64
LOOPBACK4 = bytes([127, 0, 0, 1])
LOOPBACK6 = bytes(15) + b"\x01"


def ethernet(ethertype, packet):
    return bytes(12) + struct.pack("!H", ethertype) + packet


def ipv4(protocol, l4):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, protocol, 0,
                       LOOPBACK4, LOOPBACK4) + l4


def ipv6(next_header, l4):
    return struct.pack("!IHBB16s16s", 6 << 28, len(l4), next_header, 64, LOOPBACK6, LOOPBACK6) + l4


def udp():
    return struct.pack("!HHHH", 40000, 5201, 8 + len(PAYLOAD), 0) + PAYLOAD


def tcp():
    ack = 0x10
    return struct.pack("!HHIIBBHHH", 40000, 5201, 1000, 2000, 5 << 4, ack, 65535, 0, 0) + PAYLOAD


def main(directory):
    frames = {
        "udp4": ethernet(0x0800, ipv4(17, udp())),
        "tcp4": ethernet(0x0800, ipv4(6, tcp())),
        "udp6": ethernet(0x86DD, ipv6(17, udp())),
    }
    for name, frame in frames.items():
        with open(f"{directory}/{name}.bin", "wb") as out:
            out.write(frame)


if __name__ == "__main__":
    main(sys.argv[1])
