// SPDX-License-Identifier: GPL-2.0
/*
 * asrecord.bpf.c - every kernel-side probe of asrecord(8), one object so
 * that all share one ring buffer, one target set and one seq counter.
 * Records follow format/cap_record.h exactly; the recorder copies them
 * into the capture unchanged.  Probe families: proc.bpf.h (sched
 * tracepoints), sys.bpf.h with net.bpf.h (syscalls), tls.bpf.h (uprobes).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define __ASIGHT_KERNEL_TYPES
#include "format/cap_record.h"
#include "probe.h"

#include "common.bpf.h"
#include "tls.bpf.h"
#include "tls_aead.bpf.h"
#include "proc.bpf.h"
#include "net.bpf.h"
#include "sys.bpf.h"

char LICENSE[] SEC("license") = "GPL";
