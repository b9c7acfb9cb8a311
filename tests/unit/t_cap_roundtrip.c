/* SPDX-License-Identifier: MIT */
/*
 * t_cap_roundtrip.c - writer -> reader round trips, byte-exact:
 * millions of records of mixed sizes (ROUNDTRIP_RECORDS, default 2000000),
 * a 4 MiB payload split into continuation records and joined again,
 * several files read as one capture, and time-ordered reading.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/cap_reader.h"
#include "format/cap_writer.h"
#include "tests/harness.h"

static char dir[] = "/tmp/t_roundtrip.XXXXXX";

/* Deterministic pseudo-random bytes: the reader side regenerates them. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static void fill(uint8_t *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)mix64(seed * 1000003 + i / 8) >> (i % 8);
}

/* Size of record i's data: mostly small, some medium, a few large. */
static size_t size_of(uint64_t i)
{
	uint64_t r = mix64(i);

	if (r % 1000 == 0)
		return 20000 + r % 200000;
	if (r % 10 == 0)
		return 200 + r % 3000;
	return r % 96;
}

static int write_mixed(const char *path, uint64_t first, uint64_t n, uint8_t *buf)
{
	struct cap_writer *w;
	struct cap_err e;
	int rc;

	rc = cap_writer_open(path, NULL, &w, &e);
	if (rc)
		return rc;
	for (uint64_t i = first; i < first + n && !rc; i++) {
		struct cap_rec_hdr h = { .type = (uint16_t)(1 + i % 30), .ts_ns = 1000 + i,
					 .seq = i, .pid = (uint32_t)(i % 977),
					 .tid = (uint32_t)(i % 1013), .cpu = (uint32_t)(i & 1) };
		size_t n_data = size_of(i);
		uint8_t fixed[24];

		fill(fixed, sizeof(fixed), ~i);
		fill(buf, n_data, i);
		rc = cap_writer_add_parts(w, &h, fixed, i % 3 ? sizeof(fixed) : 0, buf, n_data);
	}
	if (rc) {
		cap_writer_abort(w);
		return rc;
	}
	return cap_writer_close(w, &e);
}

/* Read everything back; count mismatches. */
static uint64_t read_mixed(const char *const *paths, size_t npaths, uint64_t n, uint8_t *buf,
			   uint64_t *got)
{
	struct cap_reader_opts o;
	struct cap_reader *r;
	struct cap_err e;
	struct cap_rec rec;
	uint64_t bad = 0, i = 0;
	uint8_t fixed[24], *joined = malloc(1 << 20);
	size_t have = 0;
	int rc;

	cap_reader_opts_init(&o);
	o.skip_housekeeping = 1;
	o.verify = 1;
	if (cap_reader_open(paths, npaths, &o, &r, &e))
		return n + 1;
	while ((rc = cap_reader_next(r, &rec)) > 0) {
		size_t n_data;

		if (rec.hdr.type == CAP_REC_META)
			continue;
		/* continuation chunks: join, check once the last one is in */
		if (rec.hdr.data_off != have || have + rec.data_len > (1 << 20)) {
			bad++;
			have = 0;
			continue;
		}
		memcpy(joined + have, rec.data, rec.data_len);
		have += rec.data_len;
		if (rec.hdr.flags & CAP_RF_MORE)
			continue;
		n_data = size_of(i);
		fill(buf, n_data, i);
		fill(fixed, sizeof(fixed), ~i);
		if (rec.hdr.seq != i || rec.hdr.ts_ns != 1000 + i ||
		    rec.hdr.type != 1 + i % 30 || have != n_data ||
		    rec.hdr.orig_len != n_data || memcmp(joined, buf, n_data) ||
		    rec.fixed_len != (i % 3 ? sizeof(fixed) : 0) ||
		    (rec.fixed_len && memcmp(rec.fixed, fixed, sizeof(fixed))))
			bad++;
		have = 0;
		i++;
	}
	if (rc < 0)
		bad++;
	free(joined);
	*got = i;
	cap_reader_close(r);
	return bad;
}

TEST(millions_of_mixed_records)
{
	const char *env = getenv("ROUNDTRIP_RECORDS");
	uint64_t n = env ? strtoull(env, NULL, 10) : 2000000, got = 0;
	uint8_t *buf = malloc(1 << 20);
	char path[256];
	const char *paths[1] = { path };

	snprintf(path, sizeof(path), "%s/mixed.pcapng.zst", dir);
	CHECK(write_mixed(path, 0, n, buf) == 0);
	CHECK_EQ_U(read_mixed(paths, 1, n, buf, &got), 0);
	CHECK_EQ_U(got, n);
	free(buf);
}

TEST(rotated_files_read_as_one)
{
	uint8_t *buf = malloc(1 << 20);
	char p[3][256];
	const char *paths[3] = { p[0], p[1], p[2] };
	uint64_t got = 0;

	for (int k = 0; k < 3; k++) {
		snprintf(p[k], sizeof(p[k]), "%s/rot%d.pcapng.zst", dir, k);
		CHECK(write_mixed(p[k], (uint64_t)k * 5000, 5000, buf) == 0);
	}
	CHECK_EQ_U(read_mixed(paths, 3, 15000, buf, &got), 0);
	CHECK_EQ_U(got, 15000);
	free(buf);
}

TEST(four_mib_payload_in_continuation_records)
{
	size_t big = 4u << 20, joined = 0;
	uint8_t *payload = malloc(big), *back = calloc(1, big);
	struct cap_rec_hdr h = { .type = CAP_REC_TLS, .ts_ns = 42, .seq = 7, .pid = 1 };
	struct cap_tls t = { .conn = 0xdeadbeef, .fd = 5, .dir = CAP_TLS_READ };
	struct cap_writer *w;
	struct cap_reader *r;
	struct cap_err e;
	struct cap_rec rec;
	char path[256];
	const char *paths[1] = { path };
	int chunks = 0, last_more = 1, order_ok = 1;

	fill(payload, big, 99);
	snprintf(path, sizeof(path), "%s/big.pcapng.zst", dir);
	CHECK(cap_writer_open(path, NULL, &w, &e) == 0);
	CHECK(cap_writer_add_parts(w, &h, &t, sizeof(t), payload, big) == 0);
	CHECK(cap_writer_close(w, &e) == 0);
	CHECK(cap_reader_open(paths, 1, NULL, &r, &e) == 0);
	while (cap_reader_next(r, &rec) > 0) {
		if (rec.hdr.type != CAP_REC_TLS)
			continue;
		chunks++;
		CHECK(rec.data_len <= CAP_REC_CHUNK_MAX);
		CHECK_EQ_U(rec.hdr.seq, 7);
		CHECK_EQ_U(rec.hdr.orig_len, big);
		if (rec.hdr.data_off != joined)
			order_ok = 0;
		if (rec.hdr.data_off + rec.data_len <= big)
			memcpy(back + rec.hdr.data_off, rec.data, rec.data_len);
		joined += rec.data_len;
		last_more = rec.hdr.flags & CAP_RF_MORE;
	}
	cap_reader_close(r);
	CHECK_EQ_U(chunks, (big + CAP_REC_CHUNK_MAX - 1) / CAP_REC_CHUNK_MAX);
	CHECK(order_ok);
	CHECK(!last_more);
	CHECK_EQ_U(joined, big);
	CHECK(memcmp(payload, back, big) == 0);
	free(payload);
	free(back);
}

/* Records written out of time order come back sorted by (ts, seq). */
TEST(time_order_merges_cpus)
{
	struct cap_writer *w;
	struct cap_reader_opts o;
	struct cap_reader *r;
	struct cap_err e;
	struct cap_rec rec;
	char path[256];
	const char *paths[1] = { path };
	uint64_t last = 0, n = 0;
	int sorted = 1;

	snprintf(path, sizeof(path), "%s/order.pcapng.zst", dir);
	CHECK(cap_writer_open(path, NULL, &w, &e) == 0);
	for (uint64_t i = 0; i < 10000; i++) {
		/* two CPUs whose records interleave with up to 1 ms of skew */
		struct cap_rec_hdr h = { .type = CAP_REC_EXIT, .seq = i, .cpu = (uint32_t)(i & 1),
					 .ts_ns = 10000000 + i * 1000 + (i & 1) * 900000 };

		CHECK(cap_writer_add_parts(w, &h, NULL, 0, NULL, 0) == 0);
	}
	CHECK(cap_writer_close(w, &e) == 0);
	cap_reader_opts_init(&o);
	o.order = CAP_READ_TIME;
	o.skip_housekeeping = 1;
	CHECK(cap_reader_open(paths, 1, &o, &r, &e) == 0);
	while (cap_reader_next(r, &rec) > 0) {
		if (rec.hdr.type != CAP_REC_EXIT)
			continue;
		if (rec.hdr.ts_ns < last)
			sorted = 0;
		last = rec.hdr.ts_ns;
		n++;
	}
	cap_reader_close(r);
	CHECK(sorted);
	CHECK_EQ_U(n, 10000);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(millions_of_mixed_records);
	RUN(rotated_files_read_as_one);
	RUN(four_mib_payload_in_continuation_records);
	RUN(time_order_merges_cpus);
	if (!getenv("KEEP")) {
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		(void)!system(cmd);
	}
	return harness_done();
}
