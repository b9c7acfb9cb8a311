/* SPDX-License-Identifier: MIT */
/*
 * t_reader.c - the capture reader: hand-built pcapng, malformed blocks and
 * inputs with the offsets their errors must name, writer round trips
 * (many records, a 4 MiB payload, several and concatenated files, a
 * crashed file), housekeeping, limits and helpers.  Damage (cuts, flipped
 * bytes), seeking and time order are in t_reader_damage.c.
 */
#include "tests/unit/reader_util.h"

/* ---- hand-built input ---- */

static void put_rec(struct cap_buf *b, uint16_t type, uint16_t hdr_len, uint64_t ts, uint64_t seq,
		    const void *fixed, uint16_t fixed_len, const void *data, uint32_t dlen)
{
	uint8_t h[64] = { 0 };

	le16_put(h, type);
	le16_put(h + 2, hdr_len);
	le64_put(h + 8, ts);
	le64_put(h + 16, seq);
	le32_put(h + 40, dlen);
	le32_put(h + 44, dlen);
	le16_put(h + 48, fixed_len);
	cap_block_custom(b, h, hdr_len, fixed, fixed_len, data, dlen);
}

static void put_raw_block(struct cap_buf *b, uint32_t type, const void *body, size_t n)
{
	uint8_t *p = cap_buf_grow(b, 12 + n);

	le32_put(p, type);
	le32_put(p + 4, (uint32_t)(12 + n));
	memcpy(p + 8, body, n);
	le32_put(p + 8 + n, (uint32_t)(12 + n));
}

TEST(hand_built_pcapng)
{
	static const char kv[] = "hostname=box\0clock_mono_ns=5\0";
	struct cap_buf b = { 0 };
	uint8_t epb[20] = { 0 }, foreign[8] = { 0x78, 0x56, 0x34, 0x12, 'x', 'y', 0, 0 };
	uint8_t fixed[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct cap_reader_opts o;
	struct cap_reader *r;
	struct cap_err e;
	struct cap_rec rec;
	struct cap_reader_stats st;
	int n = 0;

	cap_block_shb(&b, "x86_64", "Linux 6.1", "t_reader");
	cap_block_idb(&b);
	put_raw_block(&b, PCAPNG_EPB, epb, sizeof(epb));
	put_raw_block(&b, PCAPNG_CB_COPY, foreign, sizeof(foreign));
	put_rec(&b, CAP_REC_META, 56, 1, 0, NULL, 0, kv, sizeof(kv) - 1);
	put_rec(&b, CAP_REC_EXIT, 64, 2, 9, fixed, sizeof(fixed), "abc", 3); /* newer, longer hdr */
	cap_block_isb(&b, 1, 0, 1, 0, 0, 1);
	/* the same record as a no-copy custom block */
	{
		size_t at = b.len;

		put_rec(&b, CAP_REC_EXIT, 64, 2, 10, fixed, sizeof(fixed), "abc", 3);
		le32_put(b.p + at, PCAPNG_CB_NOCOPY);
	}
	cap_reader_opts_init(&o);
	o.mem_only = 1;
	o.mem = b.p;
	o.mem_len = b.len;
	CHECK(cap_reader_open(NULL, 0, &o, &r, &e) == 0);
	while (cap_reader_next(r, &rec) > 0) {
		if (n++ == 0) {
			CHECK_EQ_U(rec.hdr.type, CAP_REC_META);
			continue;
		}
		CHECK_EQ_U(rec.hdr.type, CAP_REC_EXIT);
		CHECK_EQ_U(rec.hdr.hdr_len, 64);
		CHECK_EQ_U(rec.hdr.seq, 8 + (unsigned)n - 1);
		CHECK_EQ_U(rec.fixed_len, 8);
		CHECK(rec.fixed == rec.raw + 64);
		CHECK(!memcmp(rec.fixed, fixed, 8));
		CHECK(rec.data_len == 3 && !memcmp(rec.data, "abc", 3));
		CHECK_EQ_U(rec.raw_len, 64 + 8 + 3);
		CHECK_EQ_U(rec.block_no, n == 2 ? 5 : 7);
	}
	CHECK_EQ_U(n, 3);
	cap_reader_stats(r, &st);
	CHECK_EQ_U(st.sections, 1);
	CHECK_EQ_U(st.blocks, 8);
	CHECK_EQ_U(st.unknown_blocks, 1);
	CHECK_EQ_U(st.foreign_custom, 1);
	CHECK_EQ_U(st.records, 3);
	CHECK_STR(cap_reader_meta(r, "shb_os"), "Linux 6.1");
	CHECK_STR(cap_reader_meta(r, "shb_hardware"), "x86_64");
	CHECK_STR(cap_reader_meta(r, "shb_userappl"), "t_reader");
	CHECK_STR(cap_reader_meta(r, "hostname"), "box");
	CHECK_STR(cap_reader_meta(r, "clock_mono_ns"), "5");
	CHECK(cap_reader_meta(r, "nothing") == NULL);
	cap_reader_close(r);
	cap_buf_release(&b);
}

/* Each malformed input must fail with its code, offset and block. */
TEST(malformed_blocks_name_offsets)
{
	struct {
		const char *what;
		int code;
		uint64_t block;
		const char *msg;
	} cases[] = {
		{ "zero length", -EBADMSG, 2, "length 0 is too short" },
		{ "odd length", -EBADMSG, 2, "not a multiple of 4" },
		{ "huge length", -E2BIG, 2, "over the" },
		{ "bad trailer", -EBADMSG, 2, "trailer length" },
		{ "short header", -EBADMSG, 2, "header length 40" },
		{ "overrun", -EBADMSG, 2, "> " },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cap_buf b = { 0 };
		struct result res;
		size_t at;
		uint8_t *p;

		cap_block_shb(&b, NULL, NULL, NULL);
		cap_block_idb(&b);
		at = b.len;
		put_rec(&b, CAP_REC_EXIT, 56, 1, 1, NULL, 0, "abcdefgh", 8);
		p = b.p + at;
		if (i == 0)
			le32_put(p + 4, 0);
		else if (i == 1)
			le32_put(p + 4, 14);
		else if (i == 2)
			le32_put(p + 4, PCAPNG_MAX_BLOCK + 4);
		else if (i == 3)
			le32_put(b.p + b.len - 4, 4);
		else if (i == 4)
			le16_put(p + 12 + 2, 40);
		else
			le32_put(p + 12 + 44, 100);
		read_mem(b.p, b.len, 0, &res);
		if (res.rc != cases[i].code || res.err.offset != at ||
		    res.err.block != cases[i].block || !strstr(res.err.msg, cases[i].msg))
			fprintf(stderr, "  case %s: rc %d offset %llu block %llu msg '%s'\n",
				cases[i].what, res.rc, (unsigned long long)res.err.offset,
				(unsigned long long)res.err.block, res.err.msg);
		CHECK_EQ_U(res.rc, cases[i].code);
		CHECK_EQ_U(res.err.offset, at);
		CHECK_EQ_U(res.err.block, cases[i].block);
		CHECK(strstr(res.err.msg, cases[i].msg) != NULL);
		CHECK_STR(res.err.file, "(memory)");
		cap_buf_release(&b);
	}
}

TEST(bad_inputs_fail_with_offsets)
{
	uint8_t be[32] = { 0 }, v2[64], garbage[40];
	struct cap_buf b = { 0 };
	struct result res;
	size_t i;

	/* big-endian section header */
	be[0] = 0x0A, be[1] = 0x0D, be[2] = 0x0D, be[3] = 0x0A;
	be[7] = 28;
	be[8] = 0x1A, be[9] = 0x2B, be[10] = 0x3C, be[11] = 0x4D;
	be[13] = 1;
	be[27] = 28;
	read_mem(be, 28, 0, &res);
	CHECK_EQ_U(res.rc, -EPROTONOSUPPORT);
	CHECK_EQ_U(res.err.offset, 0);
	CHECK(strstr(res.err.msg, "big-endian") != NULL);
	/* pcapng 2.0 */
	cap_block_shb(&b, NULL, NULL, NULL);
	memcpy(v2, b.p, b.len);
	le16_put(v2 + 12, 2);
	read_mem(v2, b.len, 0, &res);
	CHECK_EQ_U(res.rc, -EPROTONOSUPPORT);
	CHECK(strstr(res.err.msg, "version 2.0") != NULL);
	/* an option running past the end of the section header */
	b.len = 0;
	cap_block_shb(&b, "x86_64", NULL, NULL);
	le16_put(b.p + 24 + 2, 200);
	read_mem(b.p, b.len, 0, &res);
	CHECK_EQ_U(res.rc, -EBADMSG);
	CHECK_EQ_U(res.err.offset, 0);
	CHECK(strstr(res.err.msg, "runs past the block") != NULL);
	/* garbage, empty, zero-length */
	for (i = 0; i < sizeof(garbage); i++)
		garbage[i] = (uint8_t)(i * 37 + 11);
	read_mem(garbage, sizeof(garbage), 0, &res);
	CHECK_EQ_U(res.rc, -EBADMSG);
	CHECK_EQ_U(res.err.offset, 0);
	CHECK(strstr(res.err.msg, "not a capture file") != NULL);
	read_mem("", 0, 0, &res);
	CHECK_EQ_U(res.rc, -ENODATA);
	CHECK_EQ_U(res.err.offset, 0);
	/* a zstd frame whose first block is not a section header */
	b.len = 0;
	cap_block_idb(&b);
	{
		uint8_t zb[256];
		size_t k = ZSTD_compress(zb, sizeof(zb), b.p, b.len, 1);

		read_mem(zb, k, 0, &res);
		CHECK_EQ_U(res.rc, -EBADMSG);
		CHECK_EQ_U(res.err.offset, 0);
		CHECK_EQ_U(res.err.block, 0);
		CHECK(strstr(res.err.msg, "not a section header") != NULL);
	}
	cap_buf_release(&b);
}

TEST(garbage_after_last_frame)
{
	char path[300];
	uint8_t *p;
	size_t n;
	struct result res;

	path_of(path, sizeof(path), "g.zst");
	CHECK(write_cap(path, 0, 100, 4096, 1) == 0);
	p = slurp(path, &n);
	p = realloc(p, n + 16);
	memcpy(p + n, "this is not zstd", 16);
	read_mem(p, n + 16, 0, &res);
	CHECK_EQ_U(res.rc, -EBADMSG);
	CHECK_EQ_U(res.err.offset, n);
	CHECK_EQ_U(res.prefix_ok, 100);
	free(p);
}

/* ---- writer round trips ---- */

TEST(round_trip_many_records)
{
	char path[300];
	const char *paths[1] = { path };
	struct result res;
	uint64_t n = 200000;

	path_of(path, sizeof(path), "many.zst");
	CHECK(write_cap(path, 0, n, 256 * 1024, 1) == 0);
	read_paths(paths, 1, 1, 0, &res);
	CHECK_EQ_U(res.rc, 0);
	CHECK_EQ_U(res.data, n);
	CHECK_EQ_U(res.prefix_ok, n);
	CHECK(res.st.frames > 3);
	CHECK_EQ_U(res.st.chain_ok, res.st.frames);
	CHECK_EQ_U(res.st.chain_bad, 0);
	CHECK_EQ_U(res.st.first_bad_frame, UINT64_MAX);
	CHECK(res.st.has_footer);
	CHECK(res.st.has_seek_table);
	CHECK(!res.st.truncated);
	CHECK_EQ_U(res.nwarn, 0);
	CHECK(res.st.skippable >= 1);
}

TEST(four_mib_payload_rejoined)
{
	size_t big = 4u << 20, joined = 0;
	uint8_t *payload = malloc(big), *back = calloc(1, big);
	struct cap_rec_hdr h = { .type = CAP_REC_TLS, .ts_ns = 42, .seq = 7, .pid = 1 };
	struct cap_tls t = { .conn = 0xdeadbeef, .fd = 5, .dir = CAP_TLS_READ }, t2;
	struct cap_writer *w;
	struct cap_reader *r;
	struct cap_err e;
	struct cap_rec rec;
	char path[300];
	const char *paths[1] = { path };
	size_t i, chunks = 0;
	int in_order = 1, more_ok = 1;

	for (i = 0; i < big; i++)
		payload[i] = (uint8_t)(i * 2654435761u >> 13);
	path_of(path, sizeof(path), "big.zst");
	CHECK(cap_writer_open(path, NULL, &w, &e) == 0);
	CHECK(cap_writer_add_parts(w, &h, &t, sizeof(t), payload, big) == 0);
	CHECK(cap_writer_close(w, &e) == 0);
	CHECK(cap_reader_open(paths, 1, NULL, &r, &e) == 0);
	while (cap_reader_next(r, &rec) > 0) {
		if (rec.hdr.type != CAP_REC_TLS)
			continue;
		chunks++;
		cap_rec_fixed(&rec, &t2, sizeof(t2));
		CHECK(t2.conn == t.conn && t2.dir == CAP_TLS_READ);
		CHECK_EQ_U(rec.hdr.seq, 7);
		CHECK_EQ_U(rec.hdr.orig_len, big);
		if (rec.hdr.data_off != joined)
			in_order = 0;
		if (rec.hdr.data_off + rec.data_len <= big)
			memcpy(back + rec.hdr.data_off, rec.data, rec.data_len);
		joined += rec.data_len;
		if (!!(rec.hdr.flags & CAP_RF_MORE) != (joined < big))
			more_ok = 0;
	}
	cap_reader_close(r);
	CHECK_EQ_U(chunks, (big + CAP_REC_CHUNK_MAX - 1) / CAP_REC_CHUNK_MAX);
	CHECK(in_order);
	CHECK(more_ok);
	CHECK_EQ_U(joined, big);
	CHECK(memcmp(payload, back, big) == 0);
	free(payload);
	free(back);
}

TEST(concatenated_and_several_files)
{
	char a[300], b[300], cat[300];
	const char *two[2] = { a, b }, *one[1] = { cat };
	struct result res;
	uint8_t *pa, *pb;
	size_t na, nb;

	path_of(a, sizeof(a), "a.zst");
	path_of(b, sizeof(b), "b.zst");
	path_of(cat, sizeof(cat), "cat.zst");
	CHECK(write_cap(a, 0, 3000, 8192, 1) == 0);
	CHECK(write_cap(b, 3000, 2000, 8192, 1) == 0);
	read_paths(two, 2, 1, 0, &res);
	CHECK_EQ_U(res.rc, 0);
	CHECK_EQ_U(res.prefix_ok, 5000);
	CHECK_EQ_U(res.st.sections, 2);
	CHECK(res.st.has_footer && res.st.has_seek_table);
	CHECK_EQ_U(res.st.chain_ok, res.st.frames);
	/* cat a b > cat: two sections in one file, chains restart per section */
	pa = slurp(a, &na);
	pb = slurp(b, &nb);
	pa = realloc(pa, na + nb);
	memcpy(pa + na, pb, nb);
	CHECK(spill(cat, pa, na + nb) == 0);
	read_paths(one, 1, 1, 0, &res);
	CHECK_EQ_U(res.rc, 0);
	CHECK_EQ_U(res.prefix_ok, 5000);
	CHECK_EQ_U(res.st.sections, 2);
	CHECK_EQ_U(res.st.chain_bad, 0);
	CHECK_EQ_U(res.st.chain_ok, res.st.frames);
	free(pa);
	free(pb);
}

TEST(crashed_file_among_several)
{
	char a[300], b[300];
	const char *two[2] = { b, a };
	struct result res;

	path_of(a, sizeof(a), "closed.zst");
	path_of(b, sizeof(b), "crashed.zst");
	CHECK(write_cap(b, 0, 2000, 4096, 0) == 0);
	CHECK(write_cap(a, 2000, 1000, 4096, 1) == 0);
	read_paths(two, 2, 1, 0, &res);
	CHECK_EQ_U(res.rc, 0);
	CHECK(res.prefix_ok > 1500);      /* the crashed file's closed frames */
	CHECK(res.prefix_ok < 2000);      /* its open frame was never written */
	CHECK(!res.st.has_footer);
	CHECK(!res.st.has_seek_table);
	CHECK_EQ_U(res.st.chain_bad, 0);
	CHECK_EQ_U(res.nwarn, 1);
	CHECK(strstr(res.warn0, "crashed.zst") && strstr(res.warn0, "no footer"));
}

TEST(housekeeping_limits_and_helpers)
{
	static const uint8_t kv[] = "a=1\0bb=22\0unterminated=x";
	struct cap_rec rec = { 0 };
	struct cap_exit ex;
	uint8_t fixed[8] = { 1, 0, 0, 0, 2, 0, 0, 0 };
	char path[300], missing[300];
	const char *paths[1] = { path }, *pm[1] = { missing };
	struct cap_reader_opts o;
	struct cap_reader *r;
	struct cap_err e;
	struct result res;
	char buf[512];
	int rc;

	CHECK_STR(cap_kv_find(kv, sizeof(kv) - 1, "a"), "1");
	CHECK_STR(cap_kv_find(kv, sizeof(kv) - 1, "bb"), "22");
	CHECK(cap_kv_find(kv, sizeof(kv) - 1, "b") == NULL);
	CHECK(cap_kv_find(kv, sizeof(kv) - 1, "unterminated") == NULL);
	CHECK(cap_kv_find(NULL, 0, "a") == NULL);
	rec.fixed = fixed;
	rec.fixed_len = sizeof(fixed);
	memset(&ex, 0xff, sizeof(ex));
	cap_rec_fixed(&rec, &ex, sizeof(ex));
	CHECK_EQ_U(ex.exit_code, 1);
	CHECK_EQ_U(ex.is_thread, 2);
	CHECK_EQ_U(ex.comm[0], 0); /* zero-filled past the stored body */
	CHECK_STR(cap_rec_type_name(CAP_REC_TLS), "tls");
	CHECK_STR(cap_rec_type_name(CAP_REC_CHAIN), "chain");
	CHECK_STR(cap_rec_type_name(0x7ff0), "unknown");
	/* skip_housekeeping hides CHAIN/STATS/INDEX/FOOTER but counts them */
	path_of(path, sizeof(path), "hk.zst");
	CHECK(write_cap(path, 0, 3000, 4096, 1) == 0);
	read_paths(paths, 1, 0, 0, &res);
	cap_reader_opts_init(&o);
	o.skip_housekeeping = 1;
	CHECK(cap_reader_open(paths, 1, &o, &r, &e) == 0);
	{
		uint64_t seen = 0, hk = 0;

		while ((rc = cap_reader_next(r, &rec)) > 0) {
			seen++;
			if (rec.hdr.type >= CAP_REC_STATS && rec.hdr.type <= CAP_REC_INDEX)
				hk++;
		}
		CHECK_EQ_U(rc, 0);
		CHECK_EQ_U(hk, 0);
		CHECK_EQ_U(seen, 3001); /* META + records */
		CHECK(res.all > seen);
		CHECK_EQ_U(res.st.records, res.all);
		cap_reader_stats(r, &res.st);
		CHECK_EQ_U(res.st.records, res.all);
		CHECK(cap_reader_warning(r, 0) == NULL);
	}
	cap_reader_close(r);
	/* max_bytes stops a bomb with -E2BIG */
	o.skip_housekeeping = 0;
	o.max_bytes = 100000;
	CHECK(cap_reader_open(paths, 1, &o, &r, &e) == 0);
	while ((rc = cap_reader_next(r, &rec)) > 0)
		;
	CHECK_EQ_U(rc, -E2BIG);
	CHECK_EQ_U(cap_reader_next(r, &rec), -E2BIG); /* errors stay */
	cap_reader_close(r);
	/* a missing file is reported at open, by name */
	path_of(missing, sizeof(missing), "missing.zst");
	CHECK_EQ_U(cap_reader_open(pm, 1, NULL, &r, &e), -ENOENT);
	CHECK(r == NULL);
	CHECK(strstr(cap_strerror(&e, buf, sizeof(buf)), "missing.zst") != NULL);
	cap_reader_close(NULL);
}

int main(void)
{
	if (tmpdir_make())
		return 1;
	RUN(hand_built_pcapng);
	RUN(malformed_blocks_name_offsets);
	RUN(bad_inputs_fail_with_offsets);
	RUN(garbage_after_last_frame);
	RUN(round_trip_many_records);
	RUN(four_mib_payload_rejoined);
	RUN(concatenated_and_several_files);
	RUN(crashed_file_among_several);
	RUN(housekeeping_limits_and_helpers);
	tmpdir_remove();
	return harness_done();
}
