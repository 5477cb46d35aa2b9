// The floor of any design on these hooks: a cgroup_skb pair that only lets
// every packet through. The system benchmark attaches it where the sensor
// attaches its own programs and measures what the hooks cost by themselves.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("cgroup_skb/egress")
int empty_egress(struct __sk_buff *skb)
{
	return 1;
}

SEC("cgroup_skb/ingress")
int empty_ingress(struct __sk_buff *skb)
{
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
