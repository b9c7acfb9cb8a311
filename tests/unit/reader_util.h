/* SPDX-License-Identifier: MIT */
/*
 * reader_util.h - shared helpers of t_reader.c and t_reader_damage.c:
 * deterministic captures through cap_writer and readers that summarise
 * what came back.  Each test program defines `dir` before including it.
 */
#ifndef AS_TESTS_UNIT_READER_UTIL_H
#define AS_TESTS_UNIT_READER_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "format/cap_block.h"
#include "format/cap_cursor.h"
#include "format/cap_reader.h"
#include "format/cap_writer.h"
#include "tests/harness.h"

static char dir[] = "/tmp/t_reader.XXXXXX";

static inline uint8_t pat(uint64_t i, size_t k)
{
	return (uint8_t)(i * 131 + k * 7 + (k >> 3));
}

static inline size_t data_len_of(uint64_t i)
{
	return (size_t)(i * 7 % 61);
}

static inline uint64_t ts_of(uint64_t i)
{
	return 1000000000ull + i * 1000;
}

/* Write @n records (seq first..first+n-1); closed, or aborted as a crash. */
static inline int write_cap(const char *path, uint64_t first, uint64_t n, size_t frame_bytes,
			    int close)
{
	struct cap_writer_opts o;
	struct cap_writer *w;
	struct cap_err e;
	uint8_t fixed[16], data[64];
	uint64_t i;
	int rc = 0;

	cap_writer_opts_init(&o);
	o.no_part = 1;
	o.overwrite = 1;
	o.frame_bytes = frame_bytes;
	if (cap_writer_open(path, &o, &w, &e))
		return -1;
	cap_writer_add_meta(w, "recorder", "t_reader");
	for (i = first; i < first + n && !rc; i++) {
		struct cap_rec_hdr h = { .type = CAP_REC_OPEN, .ts_ns = ts_of(i), .seq = i,
					 .pid = (uint32_t)(i % 97), .tid = 7, .cpu = 1 };
		size_t k, dl = data_len_of(i);

		for (k = 0; k < sizeof(fixed); k++)
			fixed[k] = pat(~i, k);
		for (k = 0; k < dl; k++)
			data[k] = pat(i, k);
		rc = cap_writer_add_parts(w, &h, fixed, sizeof(fixed), data, dl);
	}
	if (rc || !close) {
		cap_writer_abort(w);
		return rc;
	}
	return cap_writer_close(w, &e);
}

/* 1 when @rec is exactly record i as write_cap made it. */
static inline int rec_is(const struct cap_rec *rec, uint64_t i)
{
	size_t k;

	if (rec->hdr.type != CAP_REC_OPEN || rec->hdr.seq != i || rec->hdr.ts_ns != ts_of(i) ||
	    rec->hdr.pid != i % 97 || rec->fixed_len != 16 || rec->data_len != data_len_of(i))
		return 0;
	for (k = 0; k < 16; k++)
		if (rec->fixed[k] != pat(~i, k))
			return 0;
	for (k = 0; k < rec->data_len; k++)
		if (rec->data[k] != pat(i, k))
			return 0;
	return 1;
}

static inline uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	p = malloc(len > 0 ? (size_t)len : 1);
	*n = fread(p, 1, (size_t)len, f);
	fclose(f);
	return p;
}

static inline int spill(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(p, 1, n, f) == n;

	if (f)
		fclose(f);
	return ok ? 0 : -1;
}

static inline void path_of(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

struct result {
	int rc;
	uint64_t data;        /* CAP_REC_OPEN records */
	uint64_t all;         /* every record returned */
	uint64_t prefix_ok;   /* data records i that matched rec_is(i) in order */
	struct cap_reader_stats st;
	struct cap_err err;
	size_t nwarn;
	char warn0[512];
};

static inline void read_opened(struct cap_reader *r, uint64_t first, struct result *res)
{
	struct cap_rec rec;
	const char *w;

	while ((res->rc = cap_reader_next(r, &rec)) > 0) {
		res->all++;
		if (rec.hdr.type != CAP_REC_OPEN)
			continue;
		if (res->prefix_ok == res->data && rec_is(&rec, first + res->data))
			res->prefix_ok++;
		res->data++;
	}
	cap_reader_stats(r, &res->st);
	res->err = *cap_reader_err(r);
	while ((w = cap_reader_warning(r, res->nwarn)))
		res->nwarn++;
	if (res->nwarn)
		snprintf(res->warn0, sizeof(res->warn0), "%s", cap_reader_warning(r, 0));
}

static inline void read_mem(const void *p, size_t n, int verify, struct result *res)
{
	struct cap_reader_opts o;
	struct cap_reader *r;
	struct cap_err e;

	memset(res, 0, sizeof(*res));
	cap_reader_opts_init(&o);
	o.mem_only = 1;
	o.mem = p;
	o.mem_len = n;
	o.verify = verify;
	if (cap_reader_open(NULL, 0, &o, &r, &e)) {
		res->rc = -1000;
		return;
	}
	read_opened(r, 0, res);
	cap_reader_close(r);
}

static inline void read_paths(const char *const *paths, size_t n, int verify, uint64_t first,
			      struct result *res)
{
	struct cap_reader_opts o;
	struct cap_reader *r;
	struct cap_err e;

	memset(res, 0, sizeof(*res));
	cap_reader_opts_init(&o);
	o.verify = verify;
	if (cap_reader_open(paths, n, &o, &r, &e)) {
		res->rc = -1000;
		res->err = e;
		return;
	}
	read_opened(r, first, res);
	cap_reader_close(r);
}

/* Decompress a whole capture into plain pcapng. */
static inline uint8_t *unzstd(const uint8_t *p, size_t n, size_t *out)
{
	size_t cap = 64u << 20;
	uint8_t *d = malloc(cap);
	size_t k = ZSTD_decompress(d, cap, p, n);

	if (ZSTD_isError(k)) {
		free(d);
		return NULL;
	}
	*out = k;
	return d;
}

static inline int tmpdir_make(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return -1;
	}
	return 0;
}

static inline void tmpdir_remove(void)
{
	char cmd[300];

	if (getenv("KEEP"))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
}

#endif
