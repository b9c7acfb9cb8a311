/* SPDX-License-Identifier: MIT */
/*
 * t_cap_packet.c - Enhanced Packet Blocks (asrecord -i) in a capture:
 * cap_writer_add_packet writes them between records, a default reader
 * skips and counts them, opts.packets hands them out as CAP_REC_PACKET
 * with the bytes and a monotonic time, the hash chain covers them, the
 * STATS record and the ISB carry the packet counters.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "format/cap_block.h"
#include "format/cap_buf.h"
#include "format/cap_cursor.h"
#include "format/cap_reader.h"
#include "format/cap_writer.h"
#include "tests/harness.h"

static char dir[] = "/tmp/t_cap_packet.XXXXXX";

#define NPKT 500

static uint64_t real_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static size_t pkt_len(unsigned i)
{
	return 20 + (i * 37) % 1500;
}

static void pkt_fill(uint8_t *p, unsigned i)
{
	for (size_t k = 0; k < pkt_len(i); k++)
		p[k] = (uint8_t)(i * 13 + k);
}

/* NPKT packets, each after a record; packet i is 1 ms after t0 + i ms. */
static int write_capture(const char *path, uint64_t t0)
{
	struct cap_writer *w;
	struct cap_err e;
	uint8_t pkt[2000];
	int rc = cap_writer_open(path, NULL, &w, &e);

	for (unsigned i = 0; i < NPKT && !rc; i++) {
		struct cap_rec_hdr h = { .type = CAP_REC_CONNECT, .seq = i, .pid = 7 };

		rc = cap_writer_add_parts(w, &h, NULL, 0, "x", 1);
		pkt_fill(pkt, i);
		if (!rc)
			rc = cap_writer_add_packet(w, t0 + i * 1000000ull, pkt,
						   (uint32_t)pkt_len(i),
						   (uint32_t)pkt_len(i) + (i % 3 ? 0 : 100),
						   i % 2 ? 2 : 0);
	}
	if (!rc) {
		struct cap_stats s = { .pkt_recv = NPKT + 5, .pkt_drops = 3, .pkt_ifdrops = 2 };

		rc = cap_writer_set_stats(w, &s, NULL, 0);
	}
	return rc ? rc : cap_writer_close(w, &e);
}

TEST(default_reader_skips_and_counts_packets)
{
	char path[256];
	struct cap_reader *r;
	struct cap_reader_opts o;
	struct cap_reader_stats st;
	struct cap_rec rec;
	struct cap_err e;
	uint64_t recs = 0, pk = 0;

	snprintf(path, sizeof(path), "%s/a.pcapng.zst", dir);
	CHECK_EQ_U(write_capture(path, real_now()), 0);
	cap_reader_opts_init(&o);
	o.verify = 1;
	o.skip_housekeeping = 1;
	CHECK_EQ_U(cap_reader_open((const char *const[]){ path }, 1, &o, &r, &e), 0);
	while (cap_reader_next(r, &rec) > 0) {
		recs += rec.hdr.type == CAP_REC_CONNECT;
		pk += rec.hdr.type == CAP_REC_PACKET;
	}
	cap_reader_stats(r, &st);
	CHECK_EQ_U(recs, NPKT);
	CHECK_EQ_U(pk, 0);
	CHECK_EQ_U(st.packets, NPKT);
	CHECK_EQ_U(st.unknown_blocks, NPKT); /* skipped blocks, as always */
	CHECK_EQ_U(st.chain_bad, 0);
	CHECK(st.chain_ok >= 1);
	cap_reader_close(r);
}

TEST(packets_option_returns_bytes_and_times)
{
	char path[256];
	struct cap_reader *r;
	struct cap_reader_opts o;
	struct cap_rec rec;
	struct cap_err e;
	struct cap_stats s = { 0 };
	uint64_t t0 = real_now(), mono0 = 0, n = 0, bad = 0, last_ts = 0, trunc = 0;
	uint8_t pkt[2000];
	const char *m;

	snprintf(path, sizeof(path), "%s/b.pcapng.zst", dir);
	CHECK_EQ_U(write_capture(path, t0), 0);
	cap_reader_opts_init(&o);
	o.packets = 1;
	CHECK_EQ_U(cap_reader_open((const char *const[]){ path }, 1, &o, &r, &e), 0);
	while (cap_reader_next(r, &rec) > 0) {
		if (rec.hdr.type == CAP_REC_STATS)
			cap_rec_fixed(&rec, &s, sizeof(s));
		if (rec.hdr.type != CAP_REC_PACKET)
			continue;
		if (!n) {
			m = cap_reader_meta(r, "clock_mono_ns");
			mono0 = m ? strtoull(m, NULL, 10) : 0;
		}
		pkt_fill(pkt, (unsigned)n);
		if (rec.data_len != pkt_len((unsigned)n) || memcmp(rec.data, pkt, rec.data_len))
			bad++;
		trunc += !!(rec.hdr.flags & CAP_RF_TRUNC);
		last_ts = rec.hdr.ts_ns;
		n++;
	}
	cap_reader_close(r);
	CHECK_EQ_U(n, NPKT);
	CHECK_EQ_U(bad, 0);
	CHECK_EQ_U(trunc, (NPKT + 2) / 3);
	/* ts_ns is on the records' monotonic clock: the last packet came
	 * (NPKT - 1) ms after t0, and t0 was taken just before the open
	 * (whose clock anchor META holds), so a little before mono0 */
	CHECK(last_ts > mono0);
	CHECK(last_ts - mono0 + 1000000000ull >= (NPKT - 1) * 1000000ull);
	CHECK(last_ts - mono0 < (NPKT - 1) * 1000000ull + 5000000000ull);
	CHECK_EQ_U(s.packets, NPKT);
	CHECK_EQ_U(s.pkt_recv, NPKT + 5);
	CHECK_EQ_U(s.pkt_drops, 3);
	CHECK_EQ_U(s.pkt_ifdrops, 2);
}

TEST(epb_block_layout)
{
	struct cap_buf b = { 0 };
	const uint8_t data[5] = { 1, 2, 3, 4, 5 };
	uint64_t ts = 0x0123456789abcdefull;

	CHECK_EQ_U(cap_block_epb(&b, ts, data, 5, 9, 2), 0);
	/* 12 framing + 20 fixed + 8 data (padded) + 8 flags option + 4 end */
	CHECK_EQ_U(b.len, 52);
	CHECK_EQ_U(le32_get(b.p), PCAPNG_EPB);
	CHECK_EQ_U(le32_get(b.p + 4), 52);
	CHECK_EQ_U(le32_get(b.p + 48), 52);
	CHECK_EQ_U(le32_get(b.p + 8), 0);
	CHECK_EQ_U(le32_get(b.p + 12), 0x01234567u);
	CHECK_EQ_U(le32_get(b.p + 16), 0x89abcdefu);
	CHECK_EQ_U(le32_get(b.p + 20), 5);
	CHECK_EQ_U(le32_get(b.p + 24), 9);
	CHECK(!memcmp(b.p + 28, data, 5));
	CHECK_EQ_U(le16_get(b.p + 36), EPB_FLAGS);
	CHECK_EQ_U(le32_get(b.p + 40), 2);
	b.len = 0;
	CHECK_EQ_U(cap_block_epb(&b, ts, data, 4, 4, 0), 0);
	CHECK_EQ_U(b.len, 36); /* no options at all */
	cap_buf_release(&b);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(default_reader_skips_and_counts_packets);
	RUN(packets_option_returns_bytes_and_times);
	RUN(epb_block_layout);
	if (!getenv("KEEP")) {
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		(void)!system(cmd);
	}
	return harness_done();
}
