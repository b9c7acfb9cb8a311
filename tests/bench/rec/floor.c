/* SPDX-License-Identifier: MIT */
/*
 * floor.c - loader of floor.bpf.c: attach the count-and-discard programs,
 * run a command, print the counts.
 *
 *   floor [-n] [-l LIBSSL] [-o OFF,OFF...] -- CMD ARGS...
 *
 * -n leaves the TLS uprobes out (syscall and sched hooks only).  -o puts
 * them at these file offsets of LIBSSL instead of on SSL_write, SSL_read,
 * SSL_write_ex and SSL_read_ex: the bench passes the offsets asrecord
 * chose (the internal functions, see record/rec_tlsfast.h), so that the
 * floor sits on the same instructions and pays the same trap.  The
 * command starts after every program is attached; the exit status is the
 * command's.  Built at run time by tests/bench/bench_record.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "floor.skel.h"

static const char *const tls_funcs[] = { "SSL_write", "SSL_read", "SSL_write_ex",
					 "SSL_read_ex" };

static int attach_at(struct floor_bpf *o, const char *lib, const char *offs)
{
	char *end;
	int n = 0;

	while (*offs) {
		unsigned long long off = strtoull(offs, &end, 0);
		struct bpf_link *a, *b;
		LIBBPF_OPTS(bpf_uprobe_opts, r, .retprobe = true);

		if (end == offs || (*end && *end != ',')) {
			fprintf(stderr, "floor: -o '%s': not a list of offsets\n", offs);
			return -1;
		}
		a = bpf_program__attach_uprobe_opts(o->progs.floor_tls_enter, -1, lib, off, NULL);
		b = bpf_program__attach_uprobe_opts(o->progs.floor_tls_ret, -1, lib, off, &r);
		if (!a || !b) {
			fprintf(stderr, "floor: '%s': cannot attach at 0x%llx: %s\n", lib, off,
				strerror(errno));
			return -1;
		}
		n++;
		offs = *end ? end + 1 : end;
	}
	return n;
}

static int attach_tls(struct floor_bpf *o, const char *lib, const char *offs)
{
	size_t i;
	int n = 0;

	if (offs)
		return attach_at(o, lib, offs);

	for (i = 0; i < sizeof(tls_funcs) / sizeof(tls_funcs[0]); i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, e, .func_name = tls_funcs[i]);
		LIBBPF_OPTS(bpf_uprobe_opts, r, .func_name = tls_funcs[i], .retprobe = true);
		struct bpf_link *a, *b;

		a = bpf_program__attach_uprobe_opts(o->progs.floor_tls_enter, -1, lib, 0, &e);
		b = bpf_program__attach_uprobe_opts(o->progs.floor_tls_ret, -1, lib, 0, &r);
		if (!a || !b) {
			fprintf(stderr, "floor: '%s': cannot attach to %s: %s\n", lib,
				tls_funcs[i], strerror(errno));
			return -1;
		}
		n++; /* links live until exit */
	}
	return n;
}

/* close's entry on its syscall event when tracefs has it, else on the raw
 * sys_enter tracepoint: the choice asrecord makes (record/rec_bpf.c) */
static int attach_close_enter(struct floor_bpf *o)
{
	if (!access("/sys/kernel/tracing/events/syscalls/sys_enter_close/id", R_OK) ||
	    !access("/sys/kernel/debug/tracing/events/syscalls/sys_enter_close/id", R_OK)) {
		o->links.floor_close_enter = bpf_program__attach(o->progs.floor_close_enter);
		if (o->links.floor_close_enter)
			return 0;
	}
	o->links.floor_sys_enter = bpf_program__attach(o->progs.floor_sys_enter);
	return o->links.floor_sys_enter ? 0 : -1;
}

static unsigned long long sum_slot(struct floor_bpf *o, __u32 slot, int ncpu)
{
	unsigned long long *v = calloc(ncpu, sizeof(*v)), s = 0;
	int i;

	if (v && !bpf_map__lookup_elem(o->maps.hits, &slot, sizeof(slot), v,
				       sizeof(*v) * ncpu, 0))
		for (i = 0; i < ncpu; i++)
			s += v[i];
	free(v);
	return s;
}

static int run(char **cmd)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(cmd[0], cmd);
		fprintf(stderr, "floor: '%s': %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	const char *lib = "/lib/x86_64-linux-gnu/libssl.so.3", *offs = NULL;
	int ncpu = libbpf_num_possible_cpus(), i = 1, tls = 1, rc;
	struct floor_bpf *o;

	if (i < argc && !strcmp(argv[i], "-n")) {
		tls = 0;
		i++;
	}
	if (i + 1 < argc && !strcmp(argv[i], "-l")) {
		lib = argv[i + 1];
		i += 2;
	}
	if (i + 1 < argc && !strcmp(argv[i], "-o")) {
		offs = argv[i + 1];
		i += 2;
	}
	if (i >= argc || strcmp(argv[i], "--") || i + 1 >= argc) {
		fprintf(stderr, "usage: floor [-n] [-l LIBSSL] [-o OFF,...] -- CMD ARGS...\n");
		return 2;
	}
	o = floor_bpf__open();
	if (o) {
		bpf_program__set_autoattach(o->progs.floor_close_enter, false);
		bpf_program__set_autoattach(o->progs.floor_sys_enter, false);
	}
	if (!o || floor_bpf__load(o) || floor_bpf__attach(o) || attach_close_enter(o) ||
	    (tls && attach_tls(o, lib, offs) < 0)) {
		fprintf(stderr, "floor: cannot load or attach: %s\n", strerror(errno));
		return 2;
	}
	rc = run(argv + i + 1);
	fprintf(stderr,
		"floor: %llu entry hits (close, or every syscall without tracefs), "
		"%llu syscall exits, %llu sched, %llu TLS calls\n",
		sum_slot(o, 0, ncpu), sum_slot(o, 1, ncpu), sum_slot(o, 2, ncpu),
		sum_slot(o, 3, ncpu));
	floor_bpf__destroy(o);
	return rc < 0 ? 2 : rc;
}
