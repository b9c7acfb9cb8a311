/* SPDX-License-Identifier: MIT */
/*
 * t_reader_damage.c - the capture reader against damage and for random
 * access: a capture cut at every offset (plain and zstd) gives back every
 * complete block before the cut with a warning and no error; a flipped
 * byte or an altered record is named by frame and offset; seeking by
 * timestamp through the footer index and by binary search; time order.
 */
#include "tests/unit/reader_util.h"

/* Records of complete blocks in plain pcapng bytes [0, cut); *edge is
 * set when cut falls on a block boundary. */
static uint64_t plain_records_before(const uint8_t *p, size_t cut, int *edge)
{
	size_t pos = 0;
	uint64_t n = 0;

	while (pos + 12 <= cut) {
		uint32_t len = le32_get(p + pos + 4);

		if (pos + len > cut)
			break;
		if (le32_get(p + pos) == PCAPNG_CB_COPY && le32_get(p + pos + 8) == CAP_PEN)
			n++;
		pos += len;
	}
	*edge = pos == cut;
	return n;
}

TEST(cut_at_every_offset_plain)
{
	char path[300];
	uint8_t *z, *p;
	size_t nz, np = 0, cut;
	struct result res;
	int bad = 0;

	path_of(path, sizeof(path), "cutp.zst");
	CHECK(write_cap(path, 0, 300, 4096, 1) == 0);
	z = slurp(path, &nz);
	p = unzstd(z, nz, &np);
	CHECK(p != NULL);
	for (cut = 1; p && cut <= np && bad < 5; cut++) {
		int edge;
		uint64_t want = plain_records_before(p, cut, &edge);

		read_mem(p, cut, 1, &res);
		/* a cut inside a block is truncation; one on a block boundary
		 * after the first record is a capture without its footer */
		if (res.rc || res.all != want || res.st.chain_bad || res.prefix_ok != res.data ||
		    (cut < np && !edge && (!res.nwarn || !res.st.truncated)) ||
		    (cut < np && edge && want && !res.nwarn)) {
			fprintf(stderr, "  cut %zu/%zu: rc %d records %llu want %llu warn %zu\n",
				cut, np, res.rc, (unsigned long long)res.all,
				(unsigned long long)want, res.nwarn);
			bad++;
		}
	}
	CHECK_EQ_U(bad, 0);
	free(z);
	free(p);
}

TEST(cut_at_every_offset_zstd)
{
	char path[300];
	uint8_t *z;
	size_t nz, cut;
	struct result full, res;
	uint64_t last = 0;
	int bad = 0;
	struct cap_reader_opts o;
	struct cap_reader *r;
	struct cap_err e;
	struct cap_rec rec;
	uint64_t *before; /* at a frame start: records of the frames before it */
	uint8_t *is_start;
	uint64_t fstart = 0, fcount = 0;

	path_of(path, sizeof(path), "cutz.zst");
	CHECK(write_cap(path, 0, 600, 4096, 1) == 0);
	z = slurp(path, &nz);
	read_mem(z, nz, 1, &full);
	CHECK_EQ_U(full.rc, 0);
	before = calloc(nz + 1, sizeof(*before));
	is_start = calloc(nz + 1, 1);
	/* before[c] = records of every frame that starts before c (exact
	 * when c is a frame start, since frames hold whole blocks) */
	cap_reader_opts_init(&o);
	o.mem_only = 1;
	o.mem = z;
	o.mem_len = nz;
	CHECK(cap_reader_open(NULL, 0, &o, &r, &e) == 0);
	while (cap_reader_next(r, &rec) > 0) {
		if (rec.frame_off != fstart) {
			before[rec.frame_off] = fcount;
			is_start[rec.frame_off] = 1;
			fstart = rec.frame_off;
		}
		fcount++;
	}
	cap_reader_close(r);
	for (cut = 1; cut < nz && bad < 5; cut++) {
		int frame_start = is_start[cut];

		read_mem(z, cut, 1, &res);
		if (res.rc || res.all < last || res.prefix_ok != res.data || !res.nwarn ||
		    res.st.chain_bad || (frame_start && res.all != before[cut])) {
			fprintf(stderr, "  cut %zu/%zu: rc %d records %llu (was %llu, frames "
				"before %llu) warnings %zu: %s\n", cut, nz, res.rc,
				(unsigned long long)res.all, (unsigned long long)last,
				(unsigned long long)before[cut], res.nwarn, res.err.msg);
			bad++;
		}
		last = res.all;
	}
	CHECK_EQ_U(bad, 0);
	CHECK(last <= full.all);
	free(before);
	free(is_start);
	free(z);
}

/* Offsets of the frames that records came from. */
static size_t frame_offsets(const uint8_t *z, size_t nz, uint64_t *offs, size_t max)
{
	struct cap_reader_opts o;
	struct cap_reader *r;
	struct cap_err e;
	struct cap_rec rec;
	size_t n = 0;

	cap_reader_opts_init(&o);
	o.mem_only = 1;
	o.mem = z;
	o.mem_len = nz;
	if (cap_reader_open(NULL, 0, &o, &r, &e))
		return 0;
	while (cap_reader_next(r, &rec) > 0)
		if (rec.frame_no < max && rec.frame_no + 1 > n) {
			offs[rec.frame_no] = rec.frame_off;
			n = rec.frame_no + 1;
		}
	cap_reader_close(r);
	return n;
}

TEST(flipped_byte_names_the_frame)
{
	char path[300];
	uint8_t *z;
	size_t nz, nf, k;
	uint64_t offs[256];
	struct result res;
	int named = 0, tries = 0;

	path_of(path, sizeof(path), "flip.zst");
	CHECK(write_cap(path, 0, 1500, 4096, 1) == 0);
	z = slurp(path, &nz);
	nf = frame_offsets(z, nz, offs, 256);
	CHECK(nf > 8);
	for (k = 0; nf > 8 && k < 24; k++) {
		size_t f = 3 + k % 5, at = offs[f] + 20 + (offs[f + 1] - offs[f] - 40) * k / 24;

		z[at] ^= 0x21;
		tries++;
		read_mem(z, nz, 1, &res);
		if (res.rc == 0 && res.st.first_bad_frame == f && res.st.first_bad_off == offs[f] &&
		    res.st.chain_bad >= 1 && res.nwarn)
			named++;
		else if (res.rc < 0 && res.err.offset == offs[f])
			named++;
		else
			fprintf(stderr, "  flip at %zu (frame %zu @%llu): rc %d bad %llu @%llu\n", at,
				f, (unsigned long long)offs[f], res.rc,
				(unsigned long long)res.st.first_bad_frame,
				(unsigned long long)res.st.first_bad_off);
		/* without verify it is an error naming the frame */
		read_mem(z, nz, 0, &res);
		CHECK(res.rc < 0 && res.err.offset == offs[f]);
		z[at] ^= 0x21;
	}
	CHECK_EQ_U(named, tries);
	free(z);
}

/* chain_ok + the one bad frame == chain blocks in plain bytes */
static int plain_chain_ok(uint64_t ok, const uint8_t *p, size_t n)
{
	size_t pos = 0;
	uint64_t chains = 0;

	while (pos + 12 <= n) {
		if (le32_get(p + pos) == PCAPNG_CB_COPY && le16_get(p + pos + 12) == CAP_REC_CHAIN)
			chains++;
		pos += le32_get(p + pos + 4);
	}
	return chains == ok + 1;
}

/* A record altered inside valid zstd and pcapng: only the chain sees it. */
TEST(altered_record_breaks_the_chain)
{
	char path[300];
	uint8_t *z, *p, *rz;
	size_t nz, np, pos = 0, nrec = 0, cap;
	struct result res;

	path_of(path, sizeof(path), "alter.zst");
	CHECK(write_cap(path, 0, 1500, 4096, 1) == 0);
	z = slurp(path, &nz);
	p = unzstd(z, nz, &np);
	/* plain pcapng: change one data byte of the 700th record */
	while (p && pos + 12 <= np) {
		uint32_t len = le32_get(p + pos + 4);

		if (le32_get(p + pos) == PCAPNG_CB_COPY && le16_get(p + pos + 12) == CAP_REC_OPEN &&
		    le32_get(p + pos + 12 + 44) > 0 && ++nrec == 700) {
			p[pos + 12 + 56 + 16] ^= 1;
			break;
		}
		pos += len;
	}
	read_mem(p, np, 1, &res);
	CHECK_EQ_U(res.rc, 0);
	CHECK_EQ_U(res.st.chain_bad, 1);
	CHECK(res.st.first_bad_frame != UINT64_MAX && res.st.first_bad_frame > 0);
	CHECK(res.st.first_bad_off <= pos);
	CHECK(res.st.chain_ok > 5);
	CHECK(plain_chain_ok(res.st.chain_ok, p, np));
	/* the same change recompressed as one valid zstd frame */
	cap = ZSTD_compressBound(np);
	rz = malloc(cap);
	{
		size_t k = ZSTD_compress(rz, cap, p, np, 1);

		CHECK(!ZSTD_isError(k));
		read_mem(rz, k, 1, &res);
		CHECK_EQ_U(res.rc, 0);
		CHECK_EQ_U(res.st.chain_bad, 1);
		CHECK_EQ_U(res.st.frames, 1); /* one frame: numbers come from chains */
		CHECK(plain_chain_ok(res.st.chain_ok, p, np));
	}
	free(rz);
	free(z);
	free(p);
}

/* After a seek, records run contiguously to the end from close before ts. */
static void check_seek(const char *const *paths, size_t n, const void *mem, size_t mem_len,
		       uint64_t target, uint64_t last, int want_none)
{
	struct cap_reader_opts o;
	struct cap_reader *r;
	struct cap_err e;
	struct cap_rec rec;
	uint64_t first = UINT64_MAX, next = 0, count = 0;
	int rc, contiguous = 1;

	cap_reader_opts_init(&o);
	o.verify = 1;
	if (mem) {
		o.mem_only = 1;
		o.mem = mem;
		o.mem_len = mem_len;
	}
	CHECK(cap_reader_open(paths, n, &o, &r, &e) == 0);
	CHECK(cap_reader_seek_ts(r, ts_of(target)) == 0);
	while ((rc = cap_reader_next(r, &rec)) > 0) {
		if (rec.hdr.type != CAP_REC_OPEN)
			continue;
		if (first == UINT64_MAX)
			first = next = rec.hdr.seq;
		if (!rec_is(&rec, next))
			contiguous = 0;
		next++;
		count++;
	}
	CHECK_EQ_U(rc, 0);
	{
		struct cap_reader_stats st;

		cap_reader_stats(r, &st); /* the seek does not look like damage */
		CHECK_EQ_U(st.chain_bad, 0);
		CHECK(want_none || st.chain_ok > 0);
	}
	if (want_none) {
		CHECK_EQ_U(count, 0);
	} else {
		CHECK(first <= target);
		CHECK(target - first < 200); /* within a frame or two, not the start */
		CHECK(contiguous);
		CHECK_EQ_U(next, last + 1);
	}
	/* the meta of the file sought into is there */
	if (!want_none)
		CHECK_STR(cap_reader_meta(r, "recorder"), "t_reader");
	cap_reader_close(r);
}

TEST(seek_ts_index_and_binary_search)
{
	char closed[300], crashed[300], a[300], b[300];
	const char *pc[1] = { closed }, *pk[1] = { crashed }, *two[2] = { a, b };
	uint8_t *z, *p;
	size_t nz, np;

	path_of(closed, sizeof(closed), "seek.zst");
	path_of(crashed, sizeof(crashed), "seekcrash.zst");
	path_of(a, sizeof(a), "seek_a.zst");
	path_of(b, sizeof(b), "seek_b.zst");
	CHECK(write_cap(closed, 0, 20000, 4096, 1) == 0);
	CHECK(write_cap(crashed, 0, 20000, 4096, 0) == 0);
	CHECK(write_cap(a, 0, 6000, 4096, 1) == 0);
	CHECK(write_cap(b, 6000, 6000, 4096, 1) == 0);
	/* closed file: footer index */
	check_seek(pc, 1, NULL, 0, 12000, 19999, 0);
	check_seek(pc, 1, NULL, 0, 0, 19999, 0);
	check_seek(pc, 1, NULL, 0, 19999, 19999, 0);
	check_seek(pc, 1, NULL, 0, 30000, 0, 1);
	/* crashed file: no index, no seek table: frame walk + binary search */
	z = slurp(crashed, &nz);
	{
		struct result res;

		read_mem(z, nz, 0, &res);
		check_seek(pk, 1, NULL, 0, 12000, res.data - 1, 0);
		check_seek(pk, 1, NULL, 0, 7, res.data - 1, 0);
		check_seek(NULL, 0, z, nz, 15555, res.data - 1, 0);
	}
	free(z);
	/* two files: lands in the second */
	check_seek(two, 2, NULL, 0, 9000, 11999, 0);
	check_seek(two, 2, NULL, 0, 3000, 11999, 0);
	/* plain pcapng has no frames: from its start */
	z = slurp(closed, &nz);
	p = unzstd(z, nz, &np);
	{
		struct cap_reader_opts o;
		struct cap_reader *r;
		struct cap_err e;
		struct cap_rec rec;

		cap_reader_opts_init(&o);
		o.mem_only = 1;
		o.mem = p;
		o.mem_len = np;
		CHECK(cap_reader_open(NULL, 0, &o, &r, &e) == 0);
		CHECK(cap_reader_seek_ts(r, ts_of(500)) == 0);
		CHECK(cap_reader_next(r, &rec) == 1);
		CHECK_EQ_U(rec.hdr.type, CAP_REC_META);
		cap_reader_close(r);
		o.order = CAP_READ_TIME;
		CHECK(cap_reader_open(NULL, 0, &o, &r, &e) == 0);
		CHECK_EQ_U(cap_reader_seek_ts(r, 1), -EINVAL);
		cap_reader_close(r);
	}
	free(z);
	free(p);
}

TEST(time_order)
{
	struct cap_writer_opts wo;
	struct cap_writer *w;
	struct cap_reader_opts o;
	struct cap_reader *r;
	struct cap_err e;
	struct cap_rec rec;
	char path[300];
	const char *paths[1] = { path };
	uint8_t big[150000];
	uint64_t i, n = 0, last_ts = 0, last_seq = 0, joined = 0;
	int sorted = 1, chunks_ok = 1;

	memset(big, 0x5a, sizeof(big));
	path_of(path, sizeof(path), "order.zst");
	cap_writer_opts_init(&wo);
	wo.no_part = 1;
	wo.overwrite = 1;
	wo.frame_bytes = 8192;
	CHECK(cap_writer_open(path, &wo, &w, &e) == 0);
	for (i = 0; i < 20000; i++) {
		/* 4 CPUs, each up to 3 ms behind the others */
		struct cap_rec_hdr h = { .type = CAP_REC_EXIT, .seq = i, .cpu = (uint32_t)(i % 4),
					 .ts_ns = 50000000 + i * 1000 + (i % 4) * 3000000 };

		CHECK(cap_writer_add_parts(w, &h, NULL, 0, NULL, 0) == 0);
		if (i == 777) {
			h.type = CAP_REC_TLS;
			CHECK(cap_writer_add_parts(w, &h, NULL, 0, big, sizeof(big)) == 0);
		}
	}
	CHECK(cap_writer_close(w, &e) == 0);
	cap_reader_opts_init(&o);
	o.order = CAP_READ_TIME;
	o.reorder_window_ns = 10000000;
	o.skip_housekeeping = 1;
	CHECK(cap_reader_open(paths, 1, &o, &r, &e) == 0);
	while (cap_reader_next(r, &rec) > 0) {
		if (rec.hdr.type == CAP_REC_META)
			continue;
		if (rec.hdr.ts_ns < last_ts || (rec.hdr.ts_ns == last_ts && rec.hdr.seq < last_seq))
			sorted = 0;
		last_ts = rec.hdr.ts_ns;
		last_seq = rec.hdr.seq;
		if (rec.hdr.type == CAP_REC_TLS) {
			if (rec.hdr.data_off != joined)
				chunks_ok = 0;
			joined += rec.data_len;
			continue;
		}
		n++;
	}
	cap_reader_close(r);
	CHECK(sorted);
	CHECK(chunks_ok);
	CHECK_EQ_U(joined, sizeof(big));
	CHECK_EQ_U(n, 20000);
}

/* zstdcat | split | zstd: blocks span frames, the chain still verifies */
TEST(reframed_copy_verifies)
{
	char path[300];
	uint8_t *z, *p, *out;
	size_t nz, np, cuts[] = { 0, 1, 4097, 4098, 20011, 0 }, k, n = 0;
	struct result orig, res;

	path_of(path, sizeof(path), "reframe.zst");
	CHECK(write_cap(path, 0, 2000, 4096, 1) == 0);
	z = slurp(path, &nz);
	p = unzstd(z, nz, &np);
	CHECK(p && np > 30000);
	cuts[5] = np;
	out = malloc(ZSTD_compressBound(np) + 1024);
	for (k = 0; p && k + 1 < sizeof(cuts) / sizeof(cuts[0]); k++) {
		size_t c = ZSTD_compress(out + n, ZSTD_compressBound(cuts[k + 1] - cuts[k]),
					 p + cuts[k], cuts[k + 1] - cuts[k], 3);

		CHECK(!ZSTD_isError(c));
		n += c;
	}
	read_mem(z, nz, 1, &orig);
	read_mem(out, n, 1, &res);
	CHECK_EQ_U(res.rc, 0);
	CHECK_EQ_U(res.st.frames, 5);
	CHECK_EQ_U(res.all, orig.all);
	CHECK_EQ_U(res.prefix_ok, 2000);
	CHECK_EQ_U(res.st.chain_ok, orig.st.chain_ok);
	CHECK_EQ_U(res.st.chain_bad, 0);
	free(out);
	free(p);
	free(z);
}

int main(void)
{
	if (tmpdir_make())
		return 1;
	RUN(cut_at_every_offset_plain);
	RUN(cut_at_every_offset_zstd);
	RUN(flipped_byte_names_the_frame);
	RUN(altered_record_breaks_the_chain);
	RUN(reframed_copy_verifies);
	RUN(seek_ts_index_and_binary_search);
	RUN(time_order);
	tmpdir_remove();
	return harness_done();
}
