#!/usr/bin/env python3
"""Writes cut-down copies of the sensor's BPF program, to see where its time goes.

Usage: ablate.py SRC_DIR OUT_DIR. Copies bpf/ from SRC_DIR into OUT_DIR/NAME/
for each variant, each the real program with one stage cut or changed:
  full         unchanged: the packet counted in its socket's storage
  gate         returns after the isolation gate
  storage      returns after the socket storage look-up
  parse_all    every packet parsed before it is matched to its socket's
               flow: no in-place match (the design before bpf/in_place.bpf.h)
  plain_adds   the socket's counts added without atomics (not exact: two
               CPUs can send on one socket at once; measured to price them)
  map_path     the socket storage never used: every packet builds the
               5-tuple key, reads the cgroup id and looks the flow up in the
               LRU hash (the design before socket storage)
  own_flow     a packet its socket's storage does not count in place is
               dropped from the count (the sink's of the scale bench, each
               of another flow than its socket's): the in-place path alone,
               so the map path's share is the difference to full
  sink_parse   as full, but a packet of another flow than its socket's
  sink_key     (own_flow's) stops after its parse, after its key and cgroup
  sink_lookup  id, or after the flow map's look-up: with own_flow and full,
               the map path stage by stage
  slot_table   a packet of the flow map's path is first looked for in a
               direct-mapped table of 65 536 slots (an array indexed by a
               multiply-shift hash of the key) and counted there when its
               slot holds its key or is empty: prices the look-up a small
               table in front of the LRU hash would cost. Measurement
               only: nothing moves a slot's counts on, or evicts it
  log_path     a packet of the flow map's path is instead appended to a
               per-CPU log (key, counts and time, 64 bytes, written in
               order through 4 MiB a CPU): prices the packet path of a
               design that folds such packets into the map at the poll.
               Measurement only: nothing reads the log, which wraps,
               and CPUs beyond the fourth share a log
  slab_map     the flow map a plain hash whose entries come from the
               kernel's slab allocator (BPF_F_NO_PREALLOC) instead of the
               LRU hash's one preallocated vmalloc area: prices the page
               walks of looking flows up in a map far larger than the TLB
               covers. Measurement only: without the LRU a full map fails
               new flows instead of evicting old ones
  percpu_map   the flow map an LRU hash with a copy of the counts per CPU:
               prices moving a flow's lines between the cores that count
               it (loopback counts a request on the sender's core, its
               echo on the receiver's). Measurement only: user space would
               have to sum the copies
Prints the variant names. A variant whose anchor text is no longer in its
file once fails loudly, so the cuts never silently measure something else.
"""
import pathlib
import shutil
import sys

PROGRAM = "onewaysensor.bpf.c"
GATE = "\tif (isolated(skb, direction))\n\t\treturn 0;\n"
SOCKET = "\tsk = full_socket(skb);\n"
IN_PLACE = "flow && count_in_place(skb, flow, sk, packets, direction)"
STORAGE = "\t\tflow = bpf_sk_storage_get(&ows_socket_flows, sk, 0, 0);\n"
ADD = ("\t__u64 before = __sync_fetch_and_add(&flow->counts[side],\n"
       "\t\t\t\t\t    ((__u64)packets << SOCKET_PACKET_SHIFT) | ip_bytes);\n")
PLAIN_ADD = ("\t__u64 before = flow->counts[side];\n"
             "\tflow->counts[side] = before + (((__u64)packets << SOCKET_PACKET_SHIFT) | ip_bytes);\n")
IP_BYTES = "\tip_bytes = skb->len + (packets - 1) * info.header_bytes;\n"
CGROUP_ID = "\tkey.cgroup_id = bpf_skb_cgroup_id(skb);\n"
COUNT_IN_MAP = "/* counts a packet straight into the flow map, creating the flow's entry on its first */\n"
MAP_LOOKUP = "\tstats = bpf_map_lookup_elem(&ows_flows, key);\n\tif (stats) {\n"
SLOT_TABLE = """struct flow_slot {
\tstruct ows_flow_key key;
\tstruct ows_flow_stats stats;
};

struct {
\t__uint(type, BPF_MAP_TYPE_ARRAY);
\t__uint(max_entries, 65536);
\t__type(key, __u32);
\t__type(value, struct flow_slot);
} flow_slots SEC(".maps");

static __always_inline int same_key(const struct ows_flow_key *a, const struct ows_flow_key *b)
{
\tconst __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

\treturn x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3] && x[4] == y[4] && x[5] == y[5];
}

"""
SLOT_LOOKUP = """\t{
\t\tconst __u64 *w = (const __u64 *)key;
\t\t__u32 index = ((w[0] ^ w[1] ^ w[2] ^ w[3] ^ w[4] ^ w[5]) * 0x9E3779B97F4A7C15ULL) >> 48;
\t\tstruct flow_slot *slot = bpf_map_lookup_elem(&flow_slots, &index);

\t\tif (slot && (same_key(&slot->key, key) || !slot->key.ip_version)) {
\t\t\tif (!slot->key.ip_version)
\t\t\t\t__builtin_memcpy(&slot->key, key, sizeof(*key));
\t\t\tadd_packet(&slot->stats, info, packets, ip_bytes, direction, now);
\t\t\treturn;
\t\t}
\t}
"""
FLOW_LOG = """struct flow_log_entry {
\tstruct ows_flow_key key;
\t__u64 counts;
\t__u64 time;
};

/* 65 536 entries for each of up to 4 CPUs, and each CPU's next one */
struct {
\t__uint(type, BPF_MAP_TYPE_ARRAY);
\t__uint(max_entries, 4 << 16);
\t__type(key, __u32);
\t__type(value, struct flow_log_entry);
} flow_log SEC(".maps");

struct {
\t__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
\t__uint(max_entries, 1);
\t__type(key, __u32);
\t__type(value, __u32);
} flow_log_next SEC(".maps");

"""
LOG_APPEND = """\t{
\t\t__u32 zero = 0, *next = bpf_map_lookup_elem(&flow_log_next, &zero);

\t\tif (next) {
\t\t\t/* atomic: a program interrupted on this CPU by another must not share its slot */
\t\t\t__u32 index = ((bpf_get_smp_processor_id() & 3) << 16) | (__sync_fetch_and_add(next, 1) & 0xFFFF);
\t\t\tstruct flow_log_entry *entry = bpf_map_lookup_elem(&flow_log, &index);

\t\t\tif (entry) {
\t\t\t\t__builtin_memcpy(&entry->key, key, sizeof(*key));
\t\t\t\tentry->counts = ((__u64)packets << 40) | ip_bytes;
\t\t\t\tentry->time = now;
\t\t\t\treturn;
\t\t\t}
\t\t}
\t}
"""
PARSE = "\tresult = parse_packet(skb, &info);\n"
FLOW_MAP_TYPE = "\t__uint(type, BPF_MAP_TYPE_LRU_HASH);\n"
PAYLOAD = "\t\t\t__sync_fetch_and_add(&flow->payload[side], payload);\n"


def keep(value, indent="\t", memory=False):
    """Returns 1 (pass) once value is computed: the empty asm makes the compiler
    keep the work before the cut, and every variant passes every packet, so
    it can also run attached under real traffic. With memory, value is a
    pointer and everything written through it is kept too."""
    clobber = ' : "memory"' if memory else ""
    return f'{indent}asm volatile("" : : "r"({value}){clobber});\n{indent}return 1;\n'


# variant -> [(file in bpf/, anchor, replacement)]
VARIANTS = {
    "full": [],
    "gate": [(PROGRAM, GATE, GATE + "\treturn 1;\n")],
    "storage": [(PROGRAM, STORAGE, STORAGE + keep("flow", indent="\t\t"))],
    "parse_all": [(PROGRAM, IN_PLACE, "0")],
    "plain_adds": [("socket_flows.bpf.h", ADD, PLAIN_ADD),
                   ("socket_flows.bpf.h", PAYLOAD, "\t\t\tflow->payload[side] += payload;\n")],
    "map_path": [(PROGRAM, SOCKET, "\tsk = NULL;\n")],
    "own_flow": [(PROGRAM, PARSE, "\tif (flow)\n\t\treturn 1;\n" + PARSE)],
    "sink_parse": [(PROGRAM, IP_BYTES, "\tif (flow) {\n" + keep("&info", indent="\t\t", memory=True) + "\t}\n" + IP_BYTES)],
    "sink_key": [(PROGRAM, CGROUP_ID, CGROUP_ID + "\tif (flow) {\n" + keep("&key", indent="\t\t", memory=True) + "\t}\n")],
    "sink_lookup": [(PROGRAM, CGROUP_ID, CGROUP_ID + "\tif (flow) {\n\t\tvoid *found = bpf_map_lookup_elem(&ows_flows, &key);\n\n"
                     + keep("found", indent="\t\t") + "\t}\n")],
    "slot_table": [("flows.bpf.h", COUNT_IN_MAP, SLOT_TABLE + COUNT_IN_MAP),
                   ("flows.bpf.h", MAP_LOOKUP, SLOT_LOOKUP + MAP_LOOKUP)],
    "log_path": [("flows.bpf.h", COUNT_IN_MAP, FLOW_LOG + COUNT_IN_MAP),
                 ("flows.bpf.h", MAP_LOOKUP, LOG_APPEND + MAP_LOOKUP)],
    "slab_map": [("flows.bpf.h", FLOW_MAP_TYPE,
                  "\t__uint(type, BPF_MAP_TYPE_HASH);\n\t__uint(map_flags, BPF_F_NO_PREALLOC);\n")],
    "percpu_map": [("flows.bpf.h", FLOW_MAP_TYPE, "\t__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);\n")],
}


def main(source_dir, out_dir):
    source = pathlib.Path(source_dir) / "bpf"
    for name, cuts in VARIANTS.items():
        target = pathlib.Path(out_dir) / name
        shutil.copytree(source, target, dirs_exist_ok=True)
        for file, anchor, replacement in cuts:
            path = target / file
            text = path.read_text()
            if text.count(anchor) != 1:
                sys.exit(f"ablate: variant {name}: its anchor is not in {file} once; update ablate.py")
            path.write_text(text.replace(anchor, replacement))
        print(name)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
