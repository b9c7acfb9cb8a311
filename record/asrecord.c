/* SPDX-License-Identifier: MIT */
/*
 * asrecord.c - main: options, signals and the life of a recording.
 *
 *   setup:    options -> spawn `-- CMD` held on a pipe -> BPF open/load ->
 *             attach -> seed targets -> TLS discovery -> first file ->
 *             release the child
 *   run:      poll the ring every 10 ms until the child exits, the -p
 *             targets are gone, a signal arrives or the writer stops
 *   stop:     drain the ring, close the queue, join the writer (footer,
 *             rename), print the summary
 *
 * A second SIGINT/SIGTERM exits at once, leaving NAME.part (every closed
 * frame readable; `asanalyze repair` rebuilds it).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "format/cap_record.h"
#include "bpf/probe.h"
#include "rec_bpf.h"
#include "rec_pcap.h"
#include "rec_queue.h"
#include "rec_ring.h"
#include "rec_target.h"
#include "rec_tls.h"
#include "rec_guard.h"
#include "rec_tlsw.h"
#include "rec_writer.h"

#define MAX_PIDS 4096
#define MAX_TLS_LIBS 16
#define POLL_MS 10

/* signals seen; the second one exits at once */
static volatile sig_atomic_t stop_signals;
/* libbpf's print callback has no context: verbosity is set once by main */
static int libbpf_verbose;

struct opts {
	const char *file;
	char *const *cmd;          /* after `--` */
	uint32_t pids[MAX_PIDS];
	int npids;
	const char *comm;
	const char *cgroup;
	int all;
	uint32_t tls_snap, write_snap, probes;
	size_t ring_bytes;
	int level;
	uint64_t rotate_bytes, rotate_ns;
	unsigned max_files;
	const char *tls_libs[MAX_TLS_LIBS];
	int ntls_libs;
	int quiet, verbose;
	int no_exec_stop;
	const char *iface, *pfilter; /* -i, -f: packet capture */
	char default_name[64];
};

/* for the second-signal exit only: turn off the kernel side's stops */
static struct rec_bpf *volatile signal_bpf;

static void on_signal(int sig)
{
	static const char msg[] = "asrecord: second signal: stopping now, the .part file stays\n";

	if (stop_signals++) {
		/* stop no more processes; the guardian continues those stopped */
		rec_bpf_stop_unseen(signal_bpf, 0);
		if (write(2, msg, sizeof(msg) - 1) < 0)
			_exit(130);
		_exit(130);
	}
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || (level == LIBBPF_INFO && !libbpf_verbose))
		return 0;
	fputs("asrecord: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

static void usage(FILE *f)
{
	fputs("usage: asrecord [-w FILE] [OPTIONS] -- CMD [ARGS...]\n"
	      "       asrecord [-w FILE] [OPTIONS] -p PID[,PID...] | -c COMM | --cgroup PATH | --all\n"
	      "\n"
	      "Record process, file, network and TLS plaintext events of the targets into\n"
	      "a capture file (pcapng in seekable zstd; see asrecord(8), ascap(5)).\n"
	      "\n"
	      "targets:\n"
	      "  -- CMD ARGS        launch CMD and trace it and every descendant\n"
	      "  -p PID[,PID...]    trace running processes, their children and threads\n"
	      "  -c COMM            trace processes named COMM (running or exec'd later)\n"
	      "  --cgroup PATH      trace a cgroup v2 (path, or relative to its mount)\n"
	      "  -a, --all          trace every process but asrecord\n"
	      "output:\n"
	      "  -w FILE            capture file (default asight-YYYYmmdd-HHMMSS.pcapng.zst)\n"
	      "  -C MB              rotate when a file reaches MB million bytes\n"
	      "  -G SECONDS         rotate every SECONDS (FILE may hold strftime %-escapes)\n"
	      "  -W N               with -C: ring of N files; with -G: stop after N files\n"
	      "  -z LEVEL           zstd level 1..19 (default 1)\n"
	      "probes:\n"
	      "  -s SNAPLEN         TLS bytes kept per call (default 8388608)\n"
	      "  -S SNAPLEN         file-write bytes kept per call, 0..32768 (default 4096)\n"
	      "  -P LIST            probe families: proc,file,net,tls (default all)\n"
	      "  --tls-lib PATH     also look for TLS functions in PATH (repeatable)\n"
	      "  --no-exec-stop     do not pause a process at its first mapping of a new\n"
	      "                     file until its TLS probes are attached\n"
	      "  -b MB              ring buffer size in MiB, power of two, shared out\n"
	      "                     among the CPUs, at least 1 MiB each (default 16)\n"
	      "packets:\n"
	      "  -i IFACE           also capture packets on IFACE (or any) with libpcap\n"
	      "  -f FILTER          pcap filter for -i (tcpdump syntax); -s cuts packets too\n"
	      "  -q, --quiet        no summary      -v, --verbose   more messages\n"
	      "  -h, --help         this help       -V, --version\n",
	      f);
}

static int die_usage(const char *fmt, const char *arg)
{
	fputs("asrecord: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("; see 'asrecord --help'\n", stderr);
	return 2;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v > max || *s == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_probes(const char *s, uint32_t *out)
{
	char buf[128], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	*out = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "proc"))
			*out |= ASR_PR_PROC;
		else if (!strcmp(tok, "file"))
			*out |= ASR_PR_FILE;
		else if (!strcmp(tok, "net"))
			*out |= ASR_PR_NET;
		else if (!strcmp(tok, "tls"))
			*out |= ASR_PR_TLS;
		else
			return -EINVAL;
	}
	return 0;
}

enum { OPT_CGROUP = 256, OPT_TLS_LIB, OPT_NO_EXEC_STOP };

static int parse_one(struct opts *o, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case 'w':
		o->file = arg;
		return 0;
	case 'p':
		o->npids = rec_parse_pids(arg, o->pids, MAX_PIDS);
		return o->npids < 0 ? die_usage("bad pid list '%s'", arg) : 0;
	case 'c':
		if (strlen(arg) > 15)
			return die_usage("'%s': a comm has at most 15 characters", arg);
		o->comm = arg;
		return 0;
	case OPT_CGROUP:
		o->cgroup = arg;
		return 0;
	case 'a':
		o->all = 1;
		return 0;
	case 'C':
		if (parse_u64(arg, 1000000, &v) || !v)
			return die_usage("bad -C size '%s' (MB, 1..1000000)", arg);
		o->rotate_bytes = v * 1000000;
		return 0;
	case 'G':
		if (parse_u64(arg, 86400 * 366, &v) || !v)
			return die_usage("bad -G interval '%s' (seconds)", arg);
		o->rotate_ns = v * 1000000000ull;
		return 0;
	case 'W':
		if (parse_u64(arg, 100000, &v) || !v)
			return die_usage("bad -W count '%s'", arg);
		o->max_files = (unsigned)v;
		return 0;
	case 'z':
		if (parse_u64(arg, 19, &v) || !v)
			return die_usage("bad zstd level '%s' (1..19)", arg);
		o->level = (int)v;
		return 0;
	case 's':
		if (parse_u64(arg, 1u << 30, &v))
			return die_usage("bad snaplen '%s'", arg);
		o->tls_snap = (uint32_t)v;
		return 0;
	case 'S':
		if (parse_u64(arg, ASR_WRITE_SNAP_MAX, &v))
			return die_usage("bad write snaplen '%s' (0..32768)", arg);
		o->write_snap = (uint32_t)v;
		return 0;
	case 'P':
		return parse_probes(arg, &o->probes) ? die_usage("bad probe list '%s'", arg) : 0;
	case OPT_NO_EXEC_STOP:
		o->no_exec_stop = 1;
		return 0;
	case OPT_TLS_LIB:
		if (o->ntls_libs == MAX_TLS_LIBS)
			return die_usage("too many --tls-lib%s", "");
		o->tls_libs[o->ntls_libs++] = arg;
		return 0;
	case 'b':
		if (parse_u64(arg, 1024, &v) || !v || (v & (v - 1)))
			return die_usage("bad ring size '%s' (MiB, a power of two)", arg);
		o->ring_bytes = (size_t)v << 20;
		return 0;
	case 'i':
		o->iface = arg;
		return 0;
	case 'f':
		o->pfilter = arg;
		return 0;
	case 'q':
		o->quiet = 1;
		return 0;
	case 'v':
		o->verbose++;
		return 0;
	}
	return 2;
}

/* Returns 0, or an exit status (2 usage, 0 with *done for --help). */
static int parse_args(struct opts *o, int argc, char **argv, int *done)
{
	static const struct option lo[] = {
		{ "all", no_argument, NULL, 'a' },	   { "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "tls-lib", required_argument, NULL, OPT_TLS_LIB },
		{ "no-exec-stop", no_argument, NULL, OPT_NO_EXEC_STOP },
		{ "quiet", no_argument, NULL, 'q' },	   { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },	   { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc, ntargets;

	while ((c = getopt_long(argc, argv, "+w:p:c:aC:G:W:z:s:S:P:b:i:f:qvhV", lo, NULL)) != -1) {
		if (c == 'h' || c == 'V') {
			if (c == 'h')
				usage(stdout);
			else
				printf("asrecord %s\n", ASIGHT_VERSION);
			*done = 1;
			return 0;
		}
		if (c == '?')
			return 2;
		if ((rc = parse_one(o, c, optarg)))
			return rc;
	}
	if (optind < argc)
		o->cmd = argv + optind;
	ntargets = !!o->cmd + (o->npids > 0) + !!o->comm + !!o->cgroup + o->all;
	if (ntargets != 1)
		return die_usage("give exactly one target: -- CMD, -p, -c, --cgroup or --all%s",
				 "");
	if (o->max_files && !o->rotate_bytes && !o->rotate_ns)
		return die_usage("-W needs -C or -G%s", "");
	if (o->pfilter && !o->iface)
		return die_usage("-f needs -i%s", "");
	return 0;
}

static void opts_init(struct opts *o)
{
	time_t now = time(NULL);
	struct tm tm;

	memset(o, 0, sizeof(*o));
	o->tls_snap = 8u << 20;
	o->write_snap = 4096;
	o->probes = ASR_PR_PROC | ASR_PR_FILE | ASR_PR_NET | ASR_PR_TLS;
	o->ring_bytes = 16u << 20;
	o->level = 1;
	localtime_r(&now, &tm);
	strftime(o->default_name, sizeof(o->default_name), "asight-%Y%m%d-%H%M%S.pcapng.zst", &tm);
	o->file = o->default_name;
}

/* Shell-quoted join of @argv for the cmdline meta key. */
static void join_args(char *const *argv, char *out, size_t len)
{
	size_t n = 0;

	out[0] = 0;
	for (; *argv && n < len; argv++) {
		const char *a = *argv;
		int plain = *a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					    "0123456789-_./=:,+@%") == strlen(a);

		n += (size_t)snprintf(out + n, len - n, "%s%s", n ? " " : "", plain ? "" : "'");
		for (; *a && n + 5 < len; a++)
			n += (size_t)snprintf(out + n, len - n, *a == '\'' ? "'\\''" : "%c", *a);
		if (n < len && !plain)
			n += (size_t)snprintf(out + n, len - n, "'");
	}
}

struct run {
	struct opts *o;
	char **argv;
	struct rec_child child;
	struct rec_bpf *bpf;
	struct rec_queue q;
	int q_ok;
	struct rec_ring *ring;
	struct rec_tls *tls;
	struct rec_tlsw *tlsw;
	int guard_fd;            /* the guardian's pipe (rec_guard.h), or -1 */
	struct rec_writer *writer;
	struct rec_pcap *pcap;   /* -i */
	uint64_t cgroup_id;
	char cgpath[1024];       /* resolved cgroup directory */
	const char *cgrel;       /* the cgroup as /proc/PID/cgroup shows it */
	int child_status, child_done;
	char filter[2200], cmdline[8192], probes_s[64], snap_s[24], wsnap_s[24], ring_s[24];
	char rot_s[96], pid_s[24], psnap_s[24];
	const char *meta[2 * 16];
	size_t nmeta;
};

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("asrecord: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* Targets that exist before the BPF filter does: -p, -c, -- CMD, --cgroup. */
static int resolve_targets(struct run *r)
{
	struct opts *o = r->o;
	char cmd[2048];
	int rc, i;

	if (o->cmd) {
		join_args(o->cmd, cmd, sizeof(cmd));
		snprintf(r->filter, sizeof(r->filter), "cmd: %s", cmd);
	} else if (o->npids) {
		for (i = 0; i < o->npids; i++)
			if (kill((pid_t)o->pids[i], 0) && errno == ESRCH)
				return fail("pid %u: no such process", o->pids[i]);
		snprintf(r->filter, sizeof(r->filter), "pid:");
		for (i = 0; i < o->npids; i++)
			snprintf(r->filter + strlen(r->filter), sizeof(r->filter) - strlen(r->filter),
				 "%s%u", i ? "," : " ", o->pids[i]);
	} else if (o->comm) {
		snprintf(r->filter, sizeof(r->filter), "comm: %s", o->comm);
	} else if (o->cgroup) {
		rc = rec_cgroup_id(o->cgroup, &r->cgroup_id, r->cgpath, sizeof(r->cgpath));
		if (rc)
			return fail("cgroup '%s': %s", o->cgroup, strerror(-rc));
		snprintf(r->filter, sizeof(r->filter), "cgroup: %s (id %llu)", r->cgpath,
			 (unsigned long long)r->cgroup_id);
	} else {
		snprintf(r->filter, sizeof(r->filter), "all");
	}
	if (o->cmd) {
		rc = rec_child_spawn(o->cmd, &r->child);
		if (rc)
			return fail("cannot start '%s': %s", o->cmd[0], strerror(-rc));
	}
	return 0;
}

static int load_bpf(struct run *r)
{
	struct opts *o = r->o;
	struct rec_bpf_cfg c = { 0 };
	char err[512];
	int rc;

	c.mode = o->all ? ASR_F_ALL : o->cgroup ? ASR_F_CGROUP : o->comm ? ASR_F_COMM : ASR_F_PIDS;
	c.self = (uint32_t)getpid();
	c.cgroup_id = r->cgroup_id;
	if (o->comm)
		snprintf(c.comm, sizeof(c.comm), "%s", o->comm);
	c.probes = o->probes;
	c.write_snap = o->write_snap;
	c.tls_snap = o->tls_snap;
	c.stop_unseen = (o->probes & ASR_PR_TLS) && !o->no_exec_stop;
	c.ring_bytes = o->ring_bytes;
	rc = rec_bpf_open(&c, &r->bpf, err, sizeof(err));
	if (rc)
		return fail("%s", err);
	return 0;
}

/*
 * Add the processes of -p and -c found in /proc (the named ones and their
 * descendants) to the filter; returns how many were not in it yet, or a
 * negative errno.  The BPF programs are attached already: a process
 * forked before its parent was in the filter is found by the next scan,
 * every later fork by the fork hook.
 */
static int seed_scan(struct run *r, uint32_t *more, size_t max)
{
	size_t n, i;
	int added = 0, rc;

	n = rec_proc_find(r->o->pids, (size_t)r->o->npids, r->o->comm, more, max);
	for (i = 0; i < n; i++) {
		if (more[i] == (uint32_t)getpid())
			continue;
		rc = rec_bpf_target_add_new(r->bpf, more[i]);
		if (rc < 0)
			return rc;
		added += rc;
	}
	return added;
}

/*
 * Attach, then fill the filter: the exit hook must be live before a pid
 * goes in, or a process that exits in between stays in the filter for
 * good (asrecord -p then never sees its targets gone, and a later process
 * given that pid would be traced).  What exited before its pid went in is
 * pruned once the filter is full.
 */
static int seed_and_attach(struct run *r)
{
	struct opts *o = r->o;
	uint32_t *more;
	char err[512];
	int rc = 0, round;
	size_t i;

	if (rec_bpf_attach(r->bpf, err, sizeof(err)))
		return fail("%s", err);
	if (o->verbose && rec_bpf_close_raw(r->bpf))
		fprintf(stderr, "asrecord: close(2) entries through tp_btf/sys_enter (no "
				"tracefs with its syscall event): every syscall costs a little more\n");
	else if (o->verbose)
		fprintf(stderr, "asrecord: close(2) entries through syscalls/sys_enter_close\n");
	if (o->cmd)
		rc = rec_bpf_target_add(r->bpf, (uint32_t)r->child.pid);
	for (i = 0; i < (size_t)o->npids && !rc; i++)
		rc = rec_bpf_target_add(r->bpf, o->pids[i]);
	if (!rc && (o->npids || o->comm)) {
		more = malloc(65536 * sizeof(*more));
		if (!more)
			return fail("out of memory");
		for (round = 0; round < 16; round++) {
			rc = seed_scan(r, more, 65536);
			if (rc <= 0)
				break;
		}
		if (rc > 0)
			rc = 0;
		if (!rc)
			rec_bpf_targets_prune(r->bpf, more, 65536);
		free(more);
	}
	if (rc)
		return fail("cannot fill the target map: %s", strerror(-rc));
	return 0;
}

/*
 * Hook what the traced processes have mapped.  With -p or a command the
 * targets are known: files only untraced processes map get no uprobes (a
 * uprobe costs every process that maps the file, traced or not).  With
 * --all, -c or --cgroup any process may be or become a target.
 */
static void scan_targets(struct run *r)
{
	size_t i, n, max = 1u << 20;
	uint32_t *pids;

	if (r->o->all || r->o->comm || r->o->cgroup || !(pids = malloc(max * sizeof(*pids)))) {
		rec_tls_scan_all(r->tls);
		return;
	}
	n = rec_bpf_targets(r->bpf, pids, max);
	for (i = 0; i < n; i++)
		rec_tls_scan_pid(r->tls, pids[i]);
	free(pids);
}

static int start_tls(struct run *r)
{
	struct opts *o = r->o;
	int i, rc;

	if (!(o->probes & ASR_PR_TLS))
		return 0;
	rc = rec_tlsw_new(rec_bpf_stopped_fd(r->bpf), &r->tlsw);
	if (!rc)
		rc = rec_tls_new(r->bpf, rec_tlsw_emit, r->tlsw, &r->tls);
	if (rc)
		return fail("cannot start TLS discovery: %s", strerror(-rc));
	rec_ring_set_ctrl(r->ring, rec_tlsw_push, r->tlsw);
	for (i = 0; i < o->ntls_libs; i++)
		if ((rc = rec_tls_add_path(r->tls, o->tls_libs[i])))
			return fail("--tls-lib '%s': %s", o->tls_libs[i],
				    rc == -ENOENT ? "no TLS functions found" : strerror(-rc));
	scan_targets(r);
	rc = rec_tlsw_start(r->tlsw, r->tls);
	if (rc)
		return fail("cannot start the TLS discovery thread: %s", strerror(-rc));
	rec_tlsw_flush(r->tlsw, r->ring);
	if (o->verbose)
		fprintf(stderr, "asrecord: %u TLS functions attached, %u failed\n",
			rec_tls_attached(r->tls), rec_tls_failed(r->tls));
	return 0;
}

/* -s applies to packets too, up to tcpdump's 262144 (also what 0 means) */
static uint32_t pkt_snaplen(const struct opts *o)
{
	return o->tls_snap && o->tls_snap < REC_PCAP_SNAP_MAX ? o->tls_snap : REC_PCAP_SNAP_MAX;
}

/* -i: open the device and check the filter before anything is traced. */
static int open_pcap(struct run *r)
{
	struct rec_pcap_cfg c = { r->o->iface, r->o->pfilter, pkt_snaplen(r->o) };
	char err[1024];

	if (!r->o->iface)
		return 0;
	if (rec_pcap_open(&c, &r->pcap, err, sizeof(err)))
		return fail("%s", err);
	return 0;
}

static void build_meta(struct run *r, int argc)
{
	struct opts *o = r->o;
	const char **m = r->meta;
	static const char *const pr[] = { "proc", "file", "net", "tls" };
	size_t i;

	(void)argc;
	join_args(r->argv, r->cmdline, sizeof(r->cmdline));
	for (i = 0; i < 4; i++)
		if (o->probes & (1u << i))
			snprintf(r->probes_s + strlen(r->probes_s),
				 sizeof(r->probes_s) - strlen(r->probes_s), "%s%s",
				 r->probes_s[0] ? "," : "", pr[i]);
	snprintf(r->snap_s, sizeof(r->snap_s), "%u", o->tls_snap);
	snprintf(r->wsnap_s, sizeof(r->wsnap_s), "%u", o->write_snap);
	/* what the rings hold in all: one per CPU, -b shared out among them */
	snprintf(r->ring_s, sizeof(r->ring_s), "%zu",
		 rec_bpf_ring_bytes(r->bpf) * (size_t)rec_bpf_ncpu(r->bpf));
	snprintf(r->rot_s, sizeof(r->rot_s), "C=%llu G=%llu W=%u",
		 (unsigned long long)o->rotate_bytes,
		 (unsigned long long)(o->rotate_ns / 1000000000ull), o->max_files);
	snprintf(r->pid_s, sizeof(r->pid_s), "%d", (int)getpid());
	*m++ = "recorder"; *m++ = "asrecord " ASIGHT_VERSION;
	*m++ = "cmdline"; *m++ = r->cmdline;
	*m++ = "filter"; *m++ = r->filter;
	*m++ = "probes"; *m++ = r->probes_s;
	*m++ = "tls_snaplen"; *m++ = r->snap_s;
	*m++ = "write_snaplen"; *m++ = r->wsnap_s;
	*m++ = "ring_bytes"; *m++ = r->ring_s;
	*m++ = "rotation"; *m++ = r->rot_s;
	*m++ = "recorder_pid"; *m++ = r->pid_s;
	*m++ = "argv_max"; *m++ = "16384";
	*m++ = "path_max"; *m++ = "4096";
	if (r->pcap) {
		snprintf(r->psnap_s, sizeof(r->psnap_s), "%u", pkt_snaplen(o));
		*m++ = "packet_interface"; *m++ = rec_pcap_desc(r->pcap);
		*m++ = "packet_filter"; *m++ = rec_pcap_filter(r->pcap);
		*m++ = "packet_snaplen"; *m++ = r->psnap_s;
	}
	r->nmeta = (size_t)(m - r->meta) / 2;
}

static int start_writer(struct run *r)
{
	struct opts *o = r->o;
	struct rec_writer_cfg c = { 0 };
	sigset_t block, old;
	char err[1024];
	int rc;

	c.path = o->file;
	c.level = o->level;
	c.rotate_bytes = o->rotate_bytes;
	c.rotate_ns = o->rotate_ns;
	c.max_files = o->max_files;
	c.meta = r->meta;
	c.nmeta = r->nmeta;
	c.pcap = r->pcap;
	c.snap_all = o->all || o->cgroup;
	/* /proc/PID/cgroup names the cgroup relative to the cgroup2 mount */
	c.snap_cgroup = NULL;
	if (o->cgroup) {
		const char *p = strstr(r->cgpath, "/sys/fs/cgroup");

		c.snap_cgroup = p == r->cgpath ? r->cgpath + strlen("/sys/fs/cgroup") : r->cgpath;
		if (!*c.snap_cgroup)
			c.snap_cgroup = "/";
	}
	c.bpf = r->bpf;
	c.q = &r->q;
	/* signals belong to the main thread */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = rec_writer_start(&c, &r->writer, err, sizeof(err));
	if (!rc && r->pcap && (rc = rec_pcap_start(r->pcap, &r->q)))
		snprintf(err, sizeof(err), "cannot start packet capture: %s", strerror(-rc));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return fail("%s", err);
	return 0;
}

/* Has the launched command exited?  Reaps it and keeps its status. */
static int child_exited(struct run *r)
{
	int st;

	if (!r->o->cmd || r->child_done)
		return r->child_done;
	if (waitpid(r->child.pid, &st, WNOHANG) == r->child.pid) {
		r->child_done = 1;
		r->child_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	return r->child_done;
}

static int run_loop(struct run *r)
{
	unsigned tick = 0;
	uint32_t one;
	int rc;

	while (!stop_signals) {
		rc = rec_ring_poll(r->ring, POLL_MS);
		if (rc < 0 && rc != -EINTR)
			return fail("cannot read the ring buffer: %s", strerror(-rc));
		if (r->tlsw)
			rec_tlsw_flush(r->tlsw, r->ring);
		if (child_exited(r) || rec_writer_done(r->writer))
			break;
		/* -p: stop when every traced process is gone */
		if (r->o->npids && ++tick % 10 == 0 && !rec_bpf_targets(r->bpf, &one, 1))
			break;
	}
	return 0;
}

static void summary(struct run *r, const struct rec_summary *s)
{
	uint64_t rr, rb, lost;

	rec_ring_counts(r->ring, &rr, &rb, &lost);
	fprintf(stderr,
		"asrecord: '%s'%s: %llu records (%.1f KiB, %.1f KiB uncompressed) in %u file%s, "
		"%llu dropped, %llu truncated",
		s->last_path, s->files > 1 ? " (last)" : "", (unsigned long long)s->records,
		(double)s->bytes / 1024, (double)s->raw_bytes / 1024, s->files,
		s->files == 1 ? "" : "s", (unsigned long long)(s->drops + lost),
		(unsigned long long)s->truncs);
	if (s->write_errors)
		fprintf(stderr, ", %llu write errors", (unsigned long long)s->write_errors);
	if (s->other_abi)
		fprintf(stderr, ", %llu ia32/x32 syscalls not decoded",
			(unsigned long long)s->other_abi);
	if (r->pcap)
		fprintf(stderr, ", %llu packets, %llu packets dropped",
			(unsigned long long)s->packets, (unsigned long long)s->pkt_drops);
	if (r->tls)
		fprintf(stderr, ", %u TLS functions hooked", rec_tls_attached(r->tls));
	if (r->o->verbose && r->tlsw)
		fprintf(stderr, ", %u exec/mmap pauses for probe attachment",
			rec_tlsw_resumed(r->tlsw));
	fputc('\n', stderr);
}

static int finish(struct run *r, int rc)
{
	struct rec_summary s;
	char err[1024];

	/* no new stops while shutting down; then continue every one left */
	rec_bpf_stop_unseen(r->bpf, 0);
	if (r->ring)
		rec_ring_drain(r->ring);
	if (r->tlsw) {
		rec_tlsw_stop(r->tlsw);
		if (r->ring) {
			rec_tlsw_flush(r->tlsw, r->ring);
			rec_ring_drain(r->ring);
		}
	}
	if (r->bpf)
		rec_guard_continue_all(rec_bpf_stopped_fd(r->bpf));
	/* the packet thread hands over its last chunk while the writer runs */
	rec_pcap_stop(r->pcap);
	if (r->q_ok)
		rec_queue_close(&r->q);
	if (r->writer) {
		if (rec_writer_join(r->writer, &s, err, sizeof(err)))
			rc = fail("%s", err);
		else if (!r->o->quiet)
			summary(r, &s);
	}
	if (r->child.go_fd >= 0 && r->child.pid > 0)
		rec_child_abort(&r->child);
	rec_tlsw_free(r->tlsw);
	rec_tls_free(r->tls);
	rec_pcap_free(r->pcap);
	rec_ring_free(r->ring);
	signal_bpf = NULL;
	rec_bpf_close(r->bpf);
	/* the guardian sees end of file, finds nothing left, and exits */
	if (r->guard_fd >= 0)
		close(r->guard_fd);
	if (r->q_ok)
		rec_queue_release(&r->q);
	if (!rc && r->o->cmd && child_exited(r))
		rc = r->child_status;
	return rc;
}

static int setup(struct run *r, int argc)
{
	int rc;

	if (open_pcap(r) || resolve_targets(r) || load_bpf(r))
		return 1;
	signal_bpf = r->bpf;
	/* before anything can be stopped: the guardian must hold the map */
	if ((r->o->probes & ASR_PR_TLS) && !r->o->no_exec_stop) {
		r->guard_fd = rec_guard_start(rec_bpf_stopped_fd(r->bpf));
		if (r->guard_fd < 0)
			return fail("cannot start the guardian process: %s", strerror(-r->guard_fd));
	}
	if (seed_and_attach(r))
		return 1;
	/* 64 MiB of queued chunks before the poller waits on the writer */
	if (rec_queue_init(&r->q, 64u << 20))
		return fail("out of memory");
	r->q_ok = 1;
	{
		size_t nfds;
		const int *fds = rec_bpf_ring_fds(r->bpf, &nfds);

		rc = rec_ring_new(fds, nfds, &r->q, &r->ring);
	}
	if (rc)
		return fail("cannot open the ring buffer: %s", strerror(-rc));
	if (start_tls(r))
		return 1;
	build_meta(r, argc);
	if (start_writer(r))
		return 1;
	rec_ring_drain(r->ring);
	if (r->o->cmd && (rc = rec_child_release(&r->child)))
		return fail("cannot start '%s': %s", r->o->cmd[0], strerror(-rc));
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct opts o;
	struct run r = { .o = &o, .argv = argv, .child = { .pid = 0, .go_fd = -1 }, .guard_fd = -1 };
	int rc, done = 0;

	opts_init(&o);
	rc = parse_args(&o, argc, argv, &done);
	if (rc || done)
		return rc;
	libbpf_verbose = o.verbose;
	libbpf_set_print(libbpf_print);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = setup(&r, argc);
	if (!rc)
		rc = run_loop(&r);
	return finish(&r, rc);
}
