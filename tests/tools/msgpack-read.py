#!/usr/bin/python3
"""An independent reader of the sensor's export stream, for the tests.

Connects to the export socket, decodes the stream with the msgpack library
(not the sensor's code), requires every record to be a plain map with string
keys, and prints each as one JSON line until the sensor closes the stream.
Exits 3 on a record that is not a map.
"""
import json
import socket
import sys

import msgpack


def main() -> int:
    path = sys.argv[1]
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(path)
    print("connected", file=sys.stderr, flush=True)
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=True, max_buffer_size=1 << 24)
    while True:
        chunk = client.recv(1 << 16)
        if not chunk:
            return 0
        unpacker.feed(chunk)
        for record in unpacker:
            if not isinstance(record, dict):
                print(f"not a map: {type(record).__name__}", file=sys.stderr)
                return 3
            sys.stdout.write(json.dumps(record, separators=(",", ":")) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
