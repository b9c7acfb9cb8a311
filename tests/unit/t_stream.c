/* SPDX-License-Identifier: MIT */
/*
 * t_stream.c - TLS reassembly: calls in order per direction, continuation
 * chunks joined (also when they arrive out of order), lost chunks and
 * snaplen truncation reported as gaps, a reused SSL* after a handshake is a
 * new connection, and two processes never share a connection.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/stream.h"
#include "tests/harness.h"

struct sink {
	char data[2][256];
	size_t n[2];
	uint64_t gaps[2];
	int opened;
};

static void s_open(void *ctx, struct stream_conn *c)
{
	((struct sink *)ctx)->opened++;
}

static void s_data(void *ctx, struct stream_conn *c, int dir, uint64_t ts, const uint8_t *p,
		   size_t n)
{
	struct sink *s = ctx;

	memcpy(s->data[dir] + s->n[dir], p, n);
	s->n[dir] += n;
}

static void s_gap(void *ctx, struct stream_conn *c, int dir, uint64_t ts, uint64_t n)
{
	((struct sink *)ctx)->gaps[dir] += n;
}

static const struct stream_ops sops = { .open = s_open, .data = s_data, .gap = s_gap };

static void feed(struct stream_set *s, uint16_t type, uint32_t pid, uint64_t ptr, int dir,
		 uint64_t seq, uint32_t off, uint16_t flags, uint32_t orig, const char *d)
{
	struct cap_tls t = { .conn = ptr, .fd = 5, .dir = (uint16_t)dir };
	struct cap_rec r = { 0 };

	r.hdr.type = type;
	r.hdr.pid = pid;
	r.hdr.task_start_ns = 1000 + pid;
	r.hdr.seq = seq;
	r.hdr.ts_ns = seq * 10;
	r.hdr.data_off = off;
	r.hdr.flags = flags;
	r.hdr.orig_len = orig;
	r.fixed = (const uint8_t *)&t;
	r.fixed_len = r.hdr.fixed_len = sizeof(t);
	r.data = (const uint8_t *)d;
	r.data_len = r.hdr.cap_len = (uint32_t)strlen(d);
	CHECK_EQ_U(stream_feed(s, &r), 0);
}

TEST(calls_and_chunks)
{
	struct sink k = { .opened = 0 };
	struct stream_set *s;

	stream_new(&sops, &k, &s);
	feed(s, CAP_REC_TLS, 1, 0xa0, 0, 1, 0, 0, 5, "GET /");
	feed(s, CAP_REC_TLS, 1, 0xa0, 1, 2, 0, CAP_RF_MORE, 9, "HTT");
	feed(s, CAP_REC_TLS, 1, 0xa0, 1, 2, 6, 0, 9, "200");       /* early */
	feed(s, CAP_REC_TLS, 1, 0xa0, 1, 2, 3, CAP_RF_MORE, 9, "P/ "); /* fills the hole */
	feed(s, CAP_REC_TLS, 1, 0xa0, 0, 3, 0, 0, 3, " x\n");
	stream_finish(s);
	CHECK_EQ_U(k.opened, 1);
	CHECK(k.n[0] == 8 && !memcmp(k.data[0], "GET / x\n", 8));
	CHECK(k.n[1] == 9 && !memcmp(k.data[1], "HTTP/ 200", 9));
	CHECK_EQ_U(k.gaps[0] + k.gaps[1], 0);
	stream_free(s);
}

TEST(gaps_and_identity)
{
	struct sink k = { .opened = 0 };
	struct stream_set *s;

	stream_new(&sops, &k, &s);
	feed(s, CAP_REC_TLS, 1, 0xa0, 1, 1, 0, CAP_RF_MORE, 12, "abcd");
	feed(s, CAP_REC_TLS, 1, 0xa0, 1, 3, 0, CAP_RF_TRUNC, 10, "xy"); /* chunk lost, then cut */
	CHECK_EQ_U(k.gaps[1], 8 + 8);
	feed(s, CAP_REC_TLS_EVENT, 1, 0xa0, 0, 4, 0, 0, 0, "api.example");
	feed(s, CAP_REC_TLS, 1, 0xa0, 0, 5, 0, 0, 1, "z");   /* new connection, same SSL* */
	feed(s, CAP_REC_TLS, 2, 0xa0, 0, 6, 0, 0, 1, "w");   /* other process, same SSL* */
	stream_finish(s);
	CHECK_EQ_U(s->n, 3);
	CHECK_EQ_U(k.opened, 3);
	CHECK(s->n == 3 && s->conns[1]->sni && !strcmp(s->conns[1]->sni, "api.example"));
	stream_free(s);
}

int main(void)
{
	RUN(calls_and_chunks);
	RUN(gaps_and_identity);
	return harness_done();
}
