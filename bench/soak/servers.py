#!/usr/bin/env python3
"""Loopback peers for the soak: a UDP echo, a TCP echo and a UDP sink that never answers.

Usage: servers.py UDP_ECHO_PORT TCP_ECHO_PORT UDP_SINK_PORT SECONDS
Binds 127.0.0.1 only and exits by itself after SECONDS.
"""
import selectors
import socket
import sys
import time


def main(udp_echo_port, tcp_echo_port, sink_port, seconds):
    deadline = time.monotonic() + seconds
    selector = selectors.DefaultSelector()
    udp_echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp_echo.bind(("127.0.0.1", udp_echo_port))
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", sink_port))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", tcp_echo_port))
    listener.listen(128)
    for sock in (udp_echo, sink, listener):
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
    while time.monotonic() < deadline:
        for key, _ in selector.select(timeout=1):
            sock = key.fileobj
            try:
                if sock is udp_echo:
                    data, peer = sock.recvfrom(65535)
                    sock.sendto(data, peer)
                elif sock is sink:
                    sock.recvfrom(65535)
                elif sock is listener:
                    connection, _ = sock.accept()
                    connection.setblocking(False)
                    selector.register(connection, selectors.EVENT_READ)
                else:
                    data = sock.recv(65535)
                    if data:
                        sock.sendall(data)
                    else:
                        selector.unregister(sock)
                        sock.close()
            except (BlockingIOError, ConnectionError):
                if sock not in (udp_echo, sink, listener):
                    selector.unregister(sock)
                    sock.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
