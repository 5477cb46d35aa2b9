#!/usr/bin/env python3
"""Writes cut-down copies of the sensor's BPF program, to see where its time goes.

Usage: ablate.py SRC_DIR OUT_DIR. Copies bpf/ from SRC_DIR and writes one
source per variant into OUT_DIR, each the real program with one stage cut:
  full         unchanged
  gate         returns after the isolation gate
  parse        returns after parsing the headers
  lookup       returns after the flow map lookup (key built, cgroup id read)
  plain_adds   the counters added without atomics (not exact: two CPUs can
               send on one socket at once; measured to price the atomics)
A variant whose anchor text is no longer in the program fails loudly, so
the cuts never silently measure something else.
"""
import pathlib
import shutil
import sys

GATE = "\tif (isolated(skb, direction))\n\t\treturn 0;\n"
PARSE = "\tbuild_key(&key, &info, direction);\n"
LOOKUP = "\tstats = bpf_map_lookup_elem(&ows_flows, &key);\n"
ADDS = ("\t__sync_fetch_and_add(&counters->packets, packets);\n"
        "\t__sync_fetch_and_add(&counters->ip_bytes, ip_bytes);\n"
        "\tif (payload)\n"
        "\t\t__sync_fetch_and_add(&counters->payload_bytes, payload);\n")

VARIANTS = {
    "full": [],
    "gate": [(GATE, GATE + "\treturn 1;\n")],
    "parse": [(PARSE, "\treturn info.payload_bytes != 1;\n" + PARSE)],
    "lookup": [(LOOKUP, LOOKUP + "\treturn stats != 0;\n")],
    "plain_adds": [(ADDS, ADDS.replace("__sync_fetch_and_add(&counters->packets, packets)",
                                       "counters->packets += packets")
                                  .replace("__sync_fetch_and_add(&counters->ip_bytes, ip_bytes)",
                                           "counters->ip_bytes += ip_bytes")
                                  .replace("__sync_fetch_and_add(&counters->payload_bytes, payload)",
                                           "counters->payload_bytes += payload"))],
}


def main(source_dir, out_dir):
    source = pathlib.Path(source_dir) / "bpf"
    out = pathlib.Path(out_dir)
    shutil.copytree(source, out / "bpf", dirs_exist_ok=True)
    program = (source / "onewaysensor.bpf.c").read_text()
    for name, cuts in VARIANTS.items():
        text = program
        for anchor, replacement in cuts:
            if text.count(anchor) != 1:
                sys.exit(f"ablate: variant {name}: its anchor is not in the program once; update ablate.py")
            text = text.replace(anchor, replacement)
        (out / "bpf" / f"{name}.bpf.c").write_text(text)
        print(name)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
