/* SPDX-License-Identifier: MIT */
/*
 * t_writer.c - capture writer checks that need no reader: file creation
 * rules, the pcapng/zstd layout, the seek table, and the Wireshark buffer
 * alignment invariant.  Round trips through the reader live in t_reader.c
 * and t_roundtrip.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_decompressBound */
#include <zstd.h>

#include "format/cap_block.h"
#include "format/cap_cursor.h"
#include "format/cap_writer.h"
#include "tests/harness.h"

#define WS_BUF 131075u

static char dir[] = "/tmp/t_writer.XXXXXX";

static char *path_in(const char *name)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* Write @n records; every 97th carries a @big-byte payload of random bytes. */
static int write_capture(const char *path, long n, size_t big)
{
	struct cap_writer_opts o;
	struct cap_writer *w;
	struct cap_err e;
	uint8_t *payload = malloc(big + 1);
	int rc;

	cap_writer_opts_init(&o);
	rc = cap_writer_open(path, &o, &w, &e);
	if (rc)
		return rc;
	for (size_t i = 0; i < big; i++)
		payload[i] = (uint8_t)rand();
	for (long i = 0; i < n && !rc; i++) {
		struct cap_rec_hdr h = { .type = CAP_REC_OPEN, .ts_ns = 1000 + (uint64_t)i,
					 .seq = (uint64_t)i, .pid = 7, .tid = 7 };
		struct cap_file f = { .ret = 3, .fd = -100 };
		char p[32];
		int pl = snprintf(p, sizeof(p), "/etc/f%ld", i % 50);

		if (big && i % 97 == 0)
			rc = cap_writer_add_parts(w, &h, &f, sizeof(f), payload, big);
		else
			rc = cap_writer_add_parts(w, &h, &f, sizeof(f), p, (size_t)pl);
	}
	free(payload);
	if (rc) {
		cap_writer_abort(w);
		return rc;
	}
	return cap_writer_close(w, &e);
}

TEST(creates_part_then_renames_0600)
{
	struct cap_writer *w;
	struct cap_err e;
	struct stat st;
	uint8_t rec[CAP_REC_HDR_MIN] = { 0 };

	CHECK(cap_writer_open(path_in("a.zst"), NULL, &w, &e) == 0);
	CHECK(stat(path_in("a.zst.part"), &st) == 0);
	CHECK((st.st_mode & 0777) == 0600);
	CHECK(access(path_in("a.zst"), F_OK) != 0);
	le16_put(rec, CAP_REC_EXIT);
	le16_put(rec + 2, CAP_REC_HDR_MIN);
	CHECK(cap_writer_add(w, rec, sizeof(rec)) == 0);
	CHECK(cap_writer_close(w, &e) == 0);
	CHECK(stat(path_in("a.zst"), &st) == 0);
	CHECK((st.st_mode & 0777) == 0600);
	CHECK(access(path_in("a.zst.part"), F_OK) != 0);
}

TEST(refuses_to_overwrite)
{
	struct cap_writer *w = NULL;
	struct cap_err e;
	char msg[512];

	CHECK(write_capture(path_in("b.zst"), 10, 0) == 0);
	CHECK(cap_writer_open(path_in("b.zst"), NULL, &w, &e) == -EEXIST);
	CHECK(w == NULL);
	cap_strerror(&e, msg, sizeof(msg));
	CHECK(strstr(msg, "b.zst") != NULL);
}

TEST(rejects_malformed_records)
{
	struct cap_writer *w;
	struct cap_err e;
	uint8_t rec[CAP_REC_HDR_MIN + 8] = { 0 };

	CHECK(cap_writer_open(path_in("c.zst"), NULL, &w, &e) == 0);
	CHECK(cap_writer_add(w, rec, 10) == -EINVAL);          /* shorter than a header */
	le16_put(rec + 2, CAP_REC_HDR_MIN);
	le32_put(rec + 44, 100);                                /* cap_len past the end */
	CHECK(cap_writer_add(w, rec, sizeof(rec)) == -EINVAL);
	cap_writer_abort(w);
}

/* Whole file: zstd frames decompress to pcapng starting with SHB, IDB. */
TEST(layout_is_zstd_of_pcapng)
{
	size_t len, out_len;
	uint8_t *f, *out;
	unsigned long long raw;

	CHECK(write_capture(path_in("d.zst"), 20000, 0) == 0);
	f = slurp(path_in("d.zst"), &len);
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK(le32_get(f) == 0xFD2FB528u);
	raw = ZSTD_decompressBound(f, len);
	out = malloc(raw);
	out_len = ZSTD_decompress(out, raw, f, len);
	CHECK(!ZSTD_isError(out_len));
	CHECK(le32_get(out) == PCAPNG_SHB);
	CHECK(le32_get(out + 8) == PCAPNG_BOM);
	CHECK(le32_get(out + le32_get(out + 4)) == PCAPNG_IDB);
	/* seek table footer */
	CHECK(le32_get(f + len - 4) == 0x8F92EAB1u);
	free(out);
	free(f);
}

/* The real consumer: tshark must read every block without an error. */
static void tshark_reads_all(const char *name)
{
	char cmd[512];
	FILE *p;
	long lines = -1;
	int rc;

	if (system("command -v tshark >/dev/null 2>&1")) {
		printf("  (tshark not installed: alignment checked by layout only)\n");
		return;
	}
	snprintf(cmd, sizeof(cmd), "tshark -r %s 2>&1 | grep -c 'Custom Block'", path_in(name));
	p = popen(cmd, "r");
	if (!p || fscanf(p, "%ld", &lines) != 1)
		lines = -1;
	if (p)
		pclose(p);
	CHECK(lines >= 30000);
	snprintf(cmd, sizeof(cmd), "tshark -r %s >/dev/null 2>&1", path_in(name));
	rc = system(cmd);
	CHECK(rc == 0);
}

/*
 * The seek table lists every frame; their sizes add up to the table's
 * offset, and every frame that ends inside a 131075-byte read buffer has
 * the zstd magic at that buffer's start (what tshark needs).
 */
static void check_alignment(const char *name, size_t big)
{
	size_t len, off = 0, nframes, i, tab;
	uint8_t *f;
	int bad = 0;

	CHECK(write_capture(path_in(name), 30000, big) == 0);
	f = slurp(path_in(name), &len);
	if (!f)
		return;
	nframes = le32_get(f + len - 9);
	CHECK(nframes > 2);
	tab = len - 9 - nframes * 8;
	for (i = 0; i < nframes; i++) {
		size_t end = off + le32_get(f + tab + 8 * i);
		size_t start = end / WS_BUF * WS_BUF;

		if (end < len && le32_get(f + start) != 0xFD2FB528u)
			bad++;
		off = end;
	}
	CHECK_EQ_U(off + 8, tab);
	CHECK_EQ_U(bad, 0);
	free(f);
	tshark_reads_all(name);
}

TEST(wireshark_alignment_small_records)
{
	check_alignment("e.zst", 0);
}

TEST(wireshark_alignment_incompressible_payloads)
{
	check_alignment("f.zst", 300000);
}

TEST(abort_keeps_closed_frames)
{
	struct cap_writer_opts o;
	struct cap_writer *w;
	struct cap_err e;
	struct stat st;
	uint8_t rec[CAP_REC_HDR_MIN + 64] = { 0 };

	cap_writer_opts_init(&o);
	o.frame_bytes = 8192;
	CHECK(cap_writer_open(path_in("g.zst"), &o, &w, &e) == 0);
	le16_put(rec, CAP_REC_WRITE);
	le16_put(rec + 2, CAP_REC_HDR_MIN);
	le32_put(rec + 44, 64);
	for (int i = 0; i < 1000; i++)
		CHECK(cap_writer_add(w, rec, sizeof(rec)) == 0);
	cap_writer_abort(w);
	CHECK(stat(path_in("g.zst.part"), &st) == 0);
	CHECK(st.st_size > 1000);
	CHECK(access(path_in("g.zst"), F_OK) != 0);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(creates_part_then_renames_0600);
	RUN(refuses_to_overwrite);
	RUN(rejects_malformed_records);
	RUN(layout_is_zstd_of_pcapng);
	RUN(wireshark_alignment_small_records);
	RUN(wireshark_alignment_incompressible_payloads);
	RUN(abort_keeps_closed_frames);
	if (!getenv("KEEP"))
		{ char cmd[300]; snprintf(cmd, sizeof(cmd), "rm -rf %s", dir); (void)!system(cmd); }
	return harness_done();
}
