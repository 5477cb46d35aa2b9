#!/usr/bin/env python3
"""A bounded loopback echo server for tests that need a server socket inside a cgroup.

Usage: echo-server.py udp|tcp ADDR PORT_FILE COUNT
Binds ADDR on a free port and writes the port to PORT_FILE. udp: echoes
COUNT datagrams from whoever sends them, on one unconnected socket. tcp:
accepts COUNT connections one after another on one listener and echoes each
until its client closes. Gives up after 20 s of silence; exits 0 when done.
"""
import os
import socket
import sys

TIMEOUT_SECONDS = 20


def main(kind, address, port_file, count):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    server = socket.socket(family, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
    server.settimeout(TIMEOUT_SECONDS)
    server.bind((address, 0))
    if kind == "tcp":
        server.listen(4)
    with open(port_file + ".tmp", "w", encoding="ascii") as out:
        out.write(str(server.getsockname()[1]))
    # renamed into place, so a reader never sees half the number
    os.rename(port_file + ".tmp", port_file)
    for _ in range(count):
        if kind == "udp":
            data, peer = server.recvfrom(65535)
            server.sendto(data, peer)
            continue
        connection, _ = server.accept()
        connection.settimeout(TIMEOUT_SECONDS)
        with connection:
            while data := connection.recv(65535):
                connection.sendall(data)
    server.close()


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] not in ("udp", "tcp"):
        sys.exit("usage: echo-server.py udp|tcp ADDR PORT_FILE COUNT")
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
