// SPDX-License-Identifier: GPL-2.0
/*
 * floor.bpf.c - the benchmark's "floor": a BPF program on the hooks that
 * asrecord uses (tp_btf sys_exit, close's syscall event or else tp_btf
 * sys_enter, sched_process_fork/exec/exit, uprobe + uretprobe on the
 * OpenSSL read/write functions) that only counts and discards.  The difference between the floor and untraced is the
 * price of having programs on those hooks at all; the difference between
 * asrecord and the floor is what recording costs.
 *
 * Built at run time by tests/bench/bench_record.sh (clang -target bpf,
 * bpftool gen skeleton), not by the makefile.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* slot 0: syscall entries, 1: exits, 2: sched events, 3: TLS calls */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline int hit(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&hits, &slot);

	if (v)
		(*v)++;
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_sys_enter, struct pt_regs *regs, long nr)
{
	return hit(0);
}

/* asrecord's choice for close's entry; floor_sys_enter without tracefs */
SEC("tracepoint/syscalls/sys_enter_close")
int floor_close_enter(void *ctx)
{
	return hit(0);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_sys_exit, struct pt_regs *regs, long ret)
{
	return hit(1);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(floor_fork, struct task_struct *parent, struct task_struct *child)
{
	return hit(2);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(floor_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return hit(2);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(floor_exit, struct task_struct *task, bool group_dead)
{
	return hit(2);
}

SEC("uprobe")
int BPF_KPROBE(floor_tls_enter)
{
	return hit(3);
}

SEC("uretprobe")
int BPF_KRETPROBE(floor_tls_ret)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
