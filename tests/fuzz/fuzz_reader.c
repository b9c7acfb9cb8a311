/* SPDX-License-Identifier: MIT */
/*
 * fuzz_reader.c - libFuzzer target for the capture reader (cap_reader.c,
 * cap_zread.c, cap_parse.c, cap_seek.c, cap_merge.c).
 *
 * The input is read from memory as one capture, with chain verification,
 * in file order, in time order, and after a seek to a timestamp taken from
 * the input, each without and with the packet option
 * (cap_reader_opts.packets).  Every record must be self-consistent and every byte it points
 * at readable (ASan checks that); errors must carry a message and stay
 * sticky; the reader must stop.  tests/fuzz/regress.c replays the corpus
 * without libFuzzer in `make test`.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/cap_cursor.h"
#include "format/cap_reader.h"

#define FUZZ_ASSERT(c)                                                          \
	do {                                                                    \
		if (!(c))                                                       \
			__builtin_trap();                                       \
	} while (0)

/* bounds a zstd bomb: far more than any corpus input decodes to */
#define FUZZ_MAX_BYTES (32ull << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read every byte the record points at, so ASan sees any bad pointer. */
static unsigned touch(const struct cap_rec *rec)
{
	unsigned sum = 0;
	size_t i;

	for (i = 0; i < rec->raw_len; i++)
		sum += rec->raw[i];
	for (i = 0; i < rec->fixed_len; i++)
		sum += rec->fixed[i];
	for (i = 0; i < rec->data_len; i++)
		sum += rec->data[i];
	return sum;
}

/* A packet: data is the EPB's packet, inside the block, lengths as stored. */
static void check_pkt(const struct cap_rec *rec)
{
	FUZZ_ASSERT(rec->raw_len >= 32 && rec->raw_len % 4 == 0);
	FUZZ_ASSERT(le32_get(rec->raw) == 6 && le32_get(rec->raw + 4) == rec->raw_len);
	FUZZ_ASSERT(le32_get(rec->raw + rec->raw_len - 4) == rec->raw_len);
	FUZZ_ASSERT(rec->data == rec->raw + 28 && rec->fixed_len == 0);
	FUZZ_ASSERT(rec->data_len == rec->hdr.cap_len && rec->data_len == le32_get(rec->raw + 20));
	FUZZ_ASSERT(rec->data + rec->data_len <= rec->raw + rec->raw_len - 4);
	FUZZ_ASSERT(rec->hdr.orig_len >= rec->hdr.cap_len);
	FUZZ_ASSERT(!(rec->hdr.flags & CAP_RF_TRUNC) == (rec->hdr.orig_len == rec->hdr.cap_len));
	FUZZ_ASSERT(rec->hdr.cpu == le32_get(rec->raw + 8));
	FUZZ_ASSERT(rec->file_index == 0);
	(void)touch(rec);
}

static void check_rec(const struct cap_rec *rec, uint64_t *last_block)
{
	const char *v;

	if (last_block) {
		FUZZ_ASSERT(*last_block == UINT64_MAX || rec->block_no > *last_block);
		*last_block = rec->block_no;
	}
	if (rec->hdr.type == CAP_REC_PACKET) {
		check_pkt(rec);
		return;
	}
	FUZZ_ASSERT(rec->hdr.hdr_len >= CAP_REC_HDR_MIN);
	FUZZ_ASSERT(rec->raw_len == (size_t)rec->hdr.hdr_len + rec->fixed_len + rec->data_len);
	FUZZ_ASSERT(rec->fixed == rec->raw + rec->hdr.hdr_len);
	FUZZ_ASSERT(rec->data == rec->fixed + rec->fixed_len);
	FUZZ_ASSERT(rec->fixed_len == rec->hdr.fixed_len);
	FUZZ_ASSERT(rec->data_len == rec->hdr.cap_len);
	FUZZ_ASSERT(rec->file_index == 0);
	/* the decoded header is the stored one */
	FUZZ_ASSERT(le16_get(rec->raw) == rec->hdr.type);
	FUZZ_ASSERT(le64_get(rec->raw + 8) == rec->hdr.ts_ns);
	FUZZ_ASSERT(le64_get(rec->raw + 16) == rec->hdr.seq);
	(void)touch(rec);
	if (rec->hdr.type == CAP_REC_META || rec->hdr.type == CAP_REC_TARGET) {
		v = cap_kv_find(rec->data, rec->data_len, "hostname");
		if (v) {
			FUZZ_ASSERT(v > (const char *)rec->data);
			FUZZ_ASSERT(v + strlen(v) < (const char *)rec->data + rec->data_len);
		}
	}
	(void)cap_rec_type_name(rec->hdr.type);
}

static void check_end(struct cap_reader *r, int rc, int r_packets)
{
	struct cap_reader_stats st;
	struct cap_rec rec;
	const char *w;
	char buf[600];
	size_t i;

	if (rc < 0) {
		FUZZ_ASSERT(cap_reader_err(r)->code == rc);
		FUZZ_ASSERT(cap_strerror(cap_reader_err(r), buf, sizeof(buf))[0]);
		FUZZ_ASSERT(cap_reader_next(r, &rec) == rc); /* sticky */
	} else {
		FUZZ_ASSERT(cap_reader_next(r, &rec) == 0);
	}
	cap_reader_stats(r, &st);
	FUZZ_ASSERT(st.records <= st.blocks);
	FUZZ_ASSERT(st.records + st.packets <= st.blocks);
	FUZZ_ASSERT(st.packets <= st.unknown_blocks || r_packets);
	FUZZ_ASSERT(st.chain_bad == 0 || st.first_bad_frame != UINT64_MAX);
	for (i = 0; (w = cap_reader_warning(r, i)); i++)
		FUZZ_ASSERT(strlen(w) < 4096);
	(void)cap_reader_meta(r, "shb_os");
	(void)cap_reader_meta(r, "clock_mono_ns");
}

struct outcome {
	int rc;
	uint64_t n;        /* records returned, packets excluded */
	uint64_t sum;      /* order-independent digest of what came back */
	uint64_t npkt, psum; /* the same for packets */
	uint64_t ts;       /* a timestamp seen, for the seek pass */
};

static void run(const uint8_t *data, size_t size, enum cap_read_order order, int verify,
		int packets, struct outcome *out)
{
	struct cap_reader_opts o;
	struct cap_reader *r;
	struct cap_err e;
	struct cap_rec rec;
	uint64_t last_block = UINT64_MAX;
	int rc;

	memset(out, 0, sizeof(*out));
	cap_reader_opts_init(&o);
	o.mem_only = 1;
	o.mem = data;
	o.mem_len = size;
	o.order = order;
	o.verify = verify;
	o.packets = packets;
	o.max_bytes = FUZZ_MAX_BYTES;
	o.reorder_window_ns = 1000;
	FUZZ_ASSERT(cap_reader_open(NULL, 0, &o, &r, &e) == 0);
	while ((rc = cap_reader_next(r, &rec)) > 0) {
		uint64_t d = rec.hdr.seq * 0x9e3779b97f4a7c15ull + rec.hdr.ts_ns + rec.raw_len +
			     touch(&rec);

		check_rec(&rec, order == CAP_READ_FILE ? &last_block : NULL);
		FUZZ_ASSERT(packets || rec.hdr.type != CAP_REC_PACKET);
		if (rec.hdr.type == CAP_REC_PACKET) {
			out->psum += d;
			out->npkt++;
		} else {
			out->sum += d;
			out->n++;
		}
		if (out->n + out->npkt == 4)
			out->ts = rec.hdr.ts_ns;
		FUZZ_ASSERT(out->n + out->npkt <= FUZZ_MAX_BYTES / 12);
	}
	out->rc = rc;
	check_end(r, rc, packets);
	cap_reader_close(r);
}

static void run_seek(const uint8_t *data, size_t size, uint64_t ts, int packets)
{
	struct cap_reader_opts o;
	struct cap_reader *r;
	struct cap_err e;
	struct cap_rec rec;
	uint64_t n = 0;
	int rc;

	cap_reader_opts_init(&o);
	o.mem_only = 1;
	o.mem = data;
	o.mem_len = size;
	o.verify = 1;
	o.packets = packets;
	o.max_bytes = FUZZ_MAX_BYTES;
	FUZZ_ASSERT(cap_reader_open(NULL, 0, &o, &r, &e) == 0);
	rc = cap_reader_seek_ts(r, ts);
	if (rc == 0) {
		while ((rc = cap_reader_next(r, &rec)) > 0) {
			check_rec(&rec, NULL);
			FUZZ_ASSERT(++n <= FUZZ_MAX_BYTES / 12);
		}
		check_end(r, rc, packets);
	}
	cap_reader_close(r);
}

/* The passes after the file-order one, with or without packets. */
static void run_more(const uint8_t *data, size_t size, int pk, const struct outcome *file)
{
	struct outcome time, verify;

	/* time order returns the same records (before the same error) */
	run(data, size, CAP_READ_TIME, 0, pk, &time);
	FUZZ_ASSERT(time.rc == file->rc);
	FUZZ_ASSERT(time.n == file->n && time.npkt == file->npkt);
	FUZZ_ASSERT(time.sum == file->sum && time.psum == file->psum);
	/* verify mode may step over a corrupt frame, never return less */
	run(data, size, CAP_READ_FILE, 1, pk, &verify);
	FUZZ_ASSERT(verify.n >= file->n);
	if (verify.rc == 0 && file->rc == 0)
		FUZZ_ASSERT(verify.sum == file->sum && verify.psum == file->psum);
	run_seek(data, size, file->ts, pk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome plain, pkts;

	run(data, size, CAP_READ_FILE, 0, 0, &plain);
	FUZZ_ASSERT(plain.npkt == 0);
	/* packets add records and failure points (a bad EPB), nothing else */
	run(data, size, CAP_READ_FILE, 0, 1, &pkts);
	FUZZ_ASSERT(pkts.n <= plain.n);
	if (pkts.rc == 0) {
		FUZZ_ASSERT(plain.rc == 0);
		FUZZ_ASSERT(pkts.n == plain.n && pkts.sum == plain.sum);
	}
	run_more(data, size, 0, &plain);
	run_more(data, size, 1, &pkts);
	return 0;
}
