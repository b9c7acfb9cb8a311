/* SPDX-License-Identifier: MIT */
/* rec_writer.c - writer thread, stats and rotation (see rec_writer.h). */
#include "rec_writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "format/cap_buf.h"
#include "format/cap_cursor.h"
#include "format/cap_writer.h"
#include "bpf/probe.h"
#include "rec_bpf.h"
#include "rec_pcap.h"
#include "rec_queue.h"
#include "rec_snap.h"

/* how often the loss counters are refreshed and frame timers checked */
#define STATS_MS 200

struct rec_writer {
	struct rec_writer_cfg cfg;
	pthread_t th;
	struct cap_writer *w;
	unsigned index;            /* files opened so far */
	uint64_t file_t0;          /* CLOCK_MONOTONIC at open */
	struct asr_counters *base; /* counters when the file was opened */
	struct asr_counters *cur;
	int ncpu;
	struct cap_buf targets;    /* every CAP_REC_TARGET seen: u32 len + record */
	struct rec_summary sum;
	uint64_t file_records;
	struct rec_pcap_counts pbase; /* packet counters when the file was opened */
	uint64_t file_pkt_drops;
	uint64_t file_other_abi;   /* ASR_P_OTHER_ABI events since the file was opened */
	atomic_int done;
	int err;
	char errmsg[512];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* "cap.pcapng.zst" + 3 -> "cap3.pcapng.zst" (the number goes before the suffix) */
static void numbered(const char *path, const char *num, char *out, size_t len)
{
	static const char *const sfx[] = { ".pcapng.zst", ".pcapng", ".zst" };
	size_t pl = strlen(path), i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		size_t sl = strlen(sfx[i]);

		if (pl > sl && !strcmp(path + pl - sl, sfx[i])) {
			snprintf(out, len, "%.*s%s%s", (int)(pl - sl), path, num, sfx[i]);
			return;
		}
	}
	snprintf(out, len, "%s%s", path, num);
}

/* tcpdump's naming: -G expands strftime; -C numbers files (not the first
 * unless -W, which numbers all with a fixed width and wraps). */
static void file_name(const struct rec_writer *rw, char *out, size_t len)
{
	const struct rec_writer_cfg *c = &rw->cfg;
	char base[4096], num[32] = "";
	time_t now = time(NULL);
	struct tm tm;

	snprintf(base, sizeof(base), "%s", c->path);
	if (c->rotate_ns && strchr(c->path, '%') && localtime_r(&now, &tm) &&
	    !strftime(base, sizeof(base), c->path, &tm))
		snprintf(base, sizeof(base), "%s", c->path);
	if (c->max_files && c->rotate_bytes) {
		int width = snprintf(NULL, 0, "%u", c->max_files - 1);

		snprintf(num, sizeof(num), "%0*u", width, rw->index % c->max_files);
	} else if ((c->rotate_bytes || (c->rotate_ns && !strchr(c->path, '%'))) && rw->index) {
		snprintf(num, sizeof(num), "%u", rw->index);
	}
	numbered(base, num, out, len);
}

static int werr(struct rec_writer *rw, int rc, const char *what)
{
	char buf[512];
	const struct cap_err *e = rw->w ? cap_writer_err(rw->w) : NULL;

	if (e && e->code)
		snprintf(rw->errmsg, sizeof(rw->errmsg), "%s: %s", what,
			 cap_strerror(e, buf, sizeof(buf)));
	else
		snprintf(rw->errmsg, sizeof(rw->errmsg), "%s: %s", what, strerror(-rc));
	rw->err = rc;
	atomic_store(&rw->done, 1);
	return rc;
}

static int replay_targets(struct rec_writer *rw)
{
	size_t pos = 0;
	uint32_t n;

	while (pos + sizeof(n) <= rw->targets.len) {
		memcpy(&n, rw->targets.p + pos, sizeof(n));
		if (cap_writer_add(rw->w, rw->targets.p + pos + sizeof(n), n))
			return -EIO;
		pos += sizeof(n) + n;
	}
	return 0;
}

static int snapshot(struct rec_writer *rw)
{
	uint32_t *pids;
	size_t n;
	int rc;

	if (rw->cfg.snap_all)
		return rec_snap_write(rw->w, REC_SNAP_ALL, 0, rw->cfg.snap_cgroup);
	pids = malloc(65536 * sizeof(*pids));
	if (!pids)
		return -ENOMEM;
	n = rec_bpf_targets(rw->cfg.bpf, pids, 65536);
	rc = rec_snap_write(rw->w, pids, n, NULL);
	free(pids);
	return rc;
}

/* Open the next file: META, snapshot, known TLS targets. */
static int file_open(struct rec_writer *rw)
{
	struct cap_writer_opts o;
	struct cap_err e;
	char path[4096], idx[16], ebuf[512];
	size_t i;
	int rc;

	file_name(rw, path, sizeof(path));
	cap_writer_opts_init(&o);
	o.level = rw->cfg.level;
	o.userappl = "asrecord " ASIGHT_VERSION;
	o.overwrite = rw->cfg.max_files && rw->cfg.rotate_bytes;
	rc = cap_writer_open(path, &o, &rw->w, &e);
	if (rc) {
		snprintf(rw->errmsg, sizeof(rw->errmsg), "%s", cap_strerror(&e, ebuf, sizeof(ebuf)));
		rw->err = rc;
		atomic_store(&rw->done, 1);
		return rc;
	}
	snprintf(rw->sum.last_path, sizeof(rw->sum.last_path), "%s", path);
	snprintf(idx, sizeof(idx), "%u", rw->index);
	for (i = 0; i < rw->cfg.nmeta && !rc; i++)
		rc = cap_writer_add_meta(rw->w, rw->cfg.meta[2 * i], rw->cfg.meta[2 * i + 1]);
	if (!rc)
		rc = cap_writer_add_meta(rw->w, "file_index", idx);
	if (!rc)
		rc = cap_writer_add_meta(rw->w, "proc_start_precision_ns", "10000000");
	if (!rc)
		rc = snapshot(rw) < 0 ? -EIO : 0;
	if (!rc)
		rc = replay_targets(rw);
	if (rc)
		return werr(rw, rc, "cannot start the capture file");
	rw->index++;
	rw->sum.files++;
	rw->file_t0 = mono_ns();
	rw->file_records = 0;
	if (rec_bpf_counters(rw->cfg.bpf, rw->base))
		memset(rw->base, 0, sizeof(*rw->base) * ASR_P_NR * (size_t)rw->ncpu);
	if (rw->cfg.pcap)
		rec_pcap_counts(rw->cfg.pcap, &rw->pbase);
	return 0;
}

/* Packet counters since the file was opened (-i); zero without. */
static void pkt_stats(struct rec_writer *rw, struct cap_stats *s)
{
	struct rec_pcap_counts c;

	if (!rw->cfg.pcap)
		return;
	rec_pcap_counts(rw->cfg.pcap, &c);
	s->pkt_recv = c.recv - rw->pbase.recv;
	s->pkt_drops = c.drops - rw->pbase.drops;
	s->pkt_ifdrops = c.ifdrops - rw->pbase.ifdrops;
	s->pkt_qdrops = c.qdrops - rw->pbase.qdrops;
	s->pkt_truncs = c.truncs - rw->pbase.truncs;
}

/* Counters since the file was opened -> CAP_REC_STATS entries. */
static void stats_update(struct rec_writer *rw, uint64_t *drops, uint64_t *truncs)
{
	struct cap_stat_entry ent[ASR_P_NR * 8];
	struct cap_writer_totals t;
	struct cap_stats s = { 0 };
	size_t n = 0, k, c;

	*drops = *truncs = 0;
	if (rec_bpf_counters(rw->cfg.bpf, rw->cur))
		return;
	rw->file_other_abi = 0;
	for (k = 0; k < ASR_P_NR; k++) {
		for (c = 0; c < (size_t)rw->ncpu; c++) {
			const struct asr_counters *a = &rw->cur[k * rw->ncpu + c];
			const struct asr_counters *b = &rw->base[k * rw->ncpu + c];
			struct cap_stat_entry e = { rec_bpf_slot_type(k), (uint32_t)c,
						    a->events - b->events, a->drops - b->drops,
						    a->truncs - b->truncs };

			/* the total is records lost, the holes in seq; a control
			 * message (exec-time discovery) has no seq and is asked
			 * for again at the next mapping: its entry keeps the count */
			if (k != ASR_P_CTRL)
				s.drops += e.drops;
			if (k == ASR_P_OTHER_ABI)
				rw->file_other_abi += e.events;
			s.truncs += e.truncs;
			if ((e.events || e.drops || e.truncs) && n < sizeof(ent) / sizeof(ent[0]))
				ent[n++] = e;
		}
	}
	cap_writer_totals(rw->w, &t);
	s.records = t.records;
	s.bytes = t.raw_bytes;
	s.write_errors = rw->sum.write_errors;
	pkt_stats(rw, &s);
	s.packets = t.packets;
	cap_writer_set_stats(rw->w, &s, ent, n);
	rw->file_pkt_drops = s.pkt_drops + s.pkt_ifdrops + s.pkt_qdrops;
	*drops = s.drops;
	*truncs = s.truncs;
}

/* Close the current file, adding its figures to the summary. */
static int file_close(struct rec_writer *rw)
{
	struct cap_writer_totals t;
	uint64_t drops, truncs;
	struct cap_err e;
	struct stat st;
	char ebuf[512];
	int rc;

	if (!rw->w)
		return 0;
	stats_update(rw, &drops, &truncs);
	cap_writer_totals(rw->w, &t);
	rw->sum.records += t.records;
	rw->sum.raw_bytes += t.raw_bytes;
	rw->sum.drops += drops;
	rw->sum.truncs += truncs;
	rw->sum.packets += t.packets;
	rw->sum.pkt_drops += rw->file_pkt_drops;
	rw->sum.other_abi += rw->file_other_abi;
	rc = cap_writer_close(rw->w, &e);
	rw->w = NULL;
	if (!rc && !stat(rw->sum.last_path, &st))
		rw->sum.bytes += (uint64_t)st.st_size;
	if (rc) {
		snprintf(rw->errmsg, sizeof(rw->errmsg), "%s", cap_strerror(&e, ebuf, sizeof(ebuf)));
		rw->err = rc;
		atomic_store(&rw->done, 1);
		return rc;
	}
	return 0;
}

static int need_rotation(struct rec_writer *rw)
{
	struct cap_writer_totals t;

	if (rw->cfg.rotate_ns && mono_ns() - rw->file_t0 >= rw->cfg.rotate_ns)
		return 1;
	if (!rw->cfg.rotate_bytes)
		return 0;
	cap_writer_totals(rw->w, &t);
	return t.file_bytes >= rw->cfg.rotate_bytes;
}

static int rotate(struct rec_writer *rw)
{
	int rc = file_close(rw);

	if (rc)
		return rc;
	/* -G with -W (and no -C): stop after that many files */
	if (rw->cfg.max_files && !rw->cfg.rotate_bytes && rw->index >= rw->cfg.max_files) {
		atomic_store(&rw->done, 1);
		return 1;
	}
	return file_open(rw);
}

static int write_record(struct rec_writer *rw, const void *rec, uint32_t len)
{
	int rc;

	/* queue chunks pack records behind 4-byte lengths: read the type by
	 * bytes, never through an (unaligned) struct pointer */
	if (le16_get(rec) == CAP_REC_TARGET) {
		if (cap_buf_append(&rw->targets, &len, sizeof(len)) ||
		    cap_buf_append(&rw->targets, rec, len))
			return werr(rw, -ENOMEM, "out of memory");
	}
	rc = cap_writer_add(rw->w, rec, len);
	if (rc == -EINVAL || rc == -E2BIG) {
		/* a malformed record from the kernel side: count it, go on */
		rw->sum.write_errors++;
		return 0;
	}
	if (rc)
		return werr(rw, rc, "cannot write the capture");
	rw->file_records++;
	return 0;
}

static int write_packet(struct rec_writer *rw, const uint8_t *e, uint32_t len)
{
	struct rec_pkt k;
	int rc;

	if (len < sizeof(k))
		return 0;
	memcpy(&k, e, sizeof(k));
	if (k.caplen > len - sizeof(k))
		return 0;
	rc = cap_writer_add_packet(rw->w, k.ts_real_ns, e + sizeof(k), k.caplen, k.origlen,
				   k.epb_flags);
	if (rc == -EINVAL || rc == -E2BIG) {
		rw->sum.write_errors++;
		return 0;
	}
	return rc ? werr(rw, rc, "cannot write the capture") : 0;
}

static int write_chunk(struct rec_writer *rw, struct rec_chunk *c)
{
	size_t pos = 0;
	uint32_t len;
	const void *rec;
	int rc;

	while ((rec = rec_chunk_next(c, &pos, &len))) {
		if (need_rotation(rw)) {
			rc = rotate(rw);
			if (rc)
				return rc;
		}
		if (c->kind == REC_CHUNK_PACKETS)
			rc = write_packet(rw, rec, len);
		else
			rc = write_record(rw, rec, len);
		if (rc)
			return rc;
	}
	return 0;
}

static void *writer_main(void *arg)
{
	struct rec_writer *rw = arg;
	uint64_t last = mono_ns(), drops, truncs;
	struct rec_chunk *c;

	while (!rw->err && !atomic_load(&rw->done)) {
		c = rec_queue_pop(rw->cfg.q, STATS_MS);
		if (c) {
			int rc = write_chunk(rw, c);

			rec_queue_recycle(rw->cfg.q, c);
			if (rc)
				break;
		} else if (rec_queue_done(rw->cfg.q)) {
			break;
		}
		if (mono_ns() - last >= STATS_MS * 1000000ull) {
			last = mono_ns();
			stats_update(rw, &drops, &truncs);
			if (need_rotation(rw) && rotate(rw))
				break;
			if (rw->w && cap_writer_tick(rw->w))
				werr(rw, -EIO, "cannot write the capture");
		}
	}
	/* drain what is left so the poller never blocks on a full queue */
	while (!rec_queue_done(rw->cfg.q)) {
		c = rec_queue_pop(rw->cfg.q, STATS_MS);
		if (c && !rw->err && rw->w)
			write_chunk(rw, c);
		rec_queue_recycle(rw->cfg.q, c);
	}
	return NULL;
}

int rec_writer_start(const struct rec_writer_cfg *cfg, struct rec_writer **out, char *err,
		     size_t len)
{
	struct rec_writer *rw = calloc(1, sizeof(*rw));
	int rc;

	*out = NULL;
	if (!rw)
		return -ENOMEM;
	rw->cfg = *cfg;
	rw->ncpu = rec_bpf_ncpu(cfg->bpf);
	rw->base = calloc((size_t)ASR_P_NR * rw->ncpu, sizeof(*rw->base));
	rw->cur = calloc((size_t)ASR_P_NR * rw->ncpu, sizeof(*rw->cur));
	if (!rw->base || !rw->cur)
		rc = -ENOMEM;
	else
		rc = file_open(rw);
	if (!rc)
		rc = -pthread_create(&rw->th, NULL, writer_main, rw);
	if (rc) {
		snprintf(err, len, "%s", rw->errmsg[0] ? rw->errmsg : strerror(-rc));
		if (rw->w)
			cap_writer_abort(rw->w);
		free(rw->base);
		free(rw->cur);
		free(rw);
		return rc;
	}
	*out = rw;
	return 0;
}

int rec_writer_done(struct rec_writer *w)
{
	return atomic_load(&w->done);
}

int rec_writer_join(struct rec_writer *rw, struct rec_summary *sum, char *err, size_t len)
{
	int rc;

	pthread_join(rw->th, NULL);
	file_close(rw);
	*sum = rw->sum;
	rc = rw->err;
	if (rc)
		snprintf(err, len, "%s", rw->errmsg);
	cap_buf_release(&rw->targets);
	free(rw->base);
	free(rw->cur);
	free(rw);
	return rc;
}
