/* SPDX-License-Identifier: MIT */
/*
 * t_stream.c - TLS reassembly: calls in order per direction, continuation
 * chunks joined (also when they arrive out of order), lost chunks and
 * snaplen truncation reported as gaps, a reused SSL* after a handshake is a
 * new connection, and two processes never share a connection; aws-lc AEAD
 * records (one TLS record each, one context per direction) are paired by
 * fd, held until their fd is known, stripped of the TLS 1.3 content type
 * and padding, and only application data is kept; a context without
 * application data still marks its side of the connection on its fd.
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

/* An aws-lc AEAD record (func 16 seal / 17 open); @ad: 13 TLS 1.2, 5 TLS 1.3, else not TLS. */
static void afeed(struct stream_set *s, uint64_t ctx, int dir, int fd, uint64_t seq, int ad,
		  const char *d, size_t n)
{
	struct cap_tls t = { .conn = ctx, .fd = fd, .dir = (uint16_t)dir, .func = dir ? 17 : 16 };
	struct cap_rec r = { 0 };

	if (ad == 5)
		t.ret = 5 | 23 << 16 | 3 << 24;
	else if (ad == 13)
		t.ret = 13 | (int64_t)23 << 32 | (int64_t)3 << 40;
	else
		t.ret = ad;
	r.hdr.type = CAP_REC_TLS;
	r.hdr.pid = 7;
	r.hdr.task_start_ns = 1007;
	r.hdr.seq = seq;
	r.hdr.ts_ns = seq * 10;
	r.hdr.orig_len = (uint32_t)n;
	r.fixed = (const uint8_t *)&t;
	r.fixed_len = r.hdr.fixed_len = sizeof(t);
	r.data = (const uint8_t *)d;
	r.data_len = r.hdr.cap_len = (uint32_t)n;
	CHECK_EQ_U(stream_feed(s, &r), 0);
}

/* EVP_AEAD_CTX_seal_scatter (func 18), TLS 1.3 sealed out of place: the
 * content type is the extra input, summarised in ret's top bits */
static void sfeed(struct stream_set *s, uint64_t ctx, int fd, uint64_t seq, unsigned type,
		  const char *d)
{
	struct cap_tls t = { .conn = ctx, .fd = fd, .func = 18 };
	struct cap_rec r = { 0 };

	t.ret = (int64_t)(5 | 23 << 16 | 3 << 24 | (uint64_t)1 << 48 | (uint64_t)type << 56);
	r.hdr.type = CAP_REC_TLS;
	r.hdr.pid = 7;
	r.hdr.task_start_ns = 1007;
	r.hdr.seq = seq;
	r.hdr.orig_len = (uint32_t)strlen(d);
	r.fixed = (const uint8_t *)&t;
	r.fixed_len = r.hdr.fixed_len = sizeof(t);
	r.data = (const uint8_t *)d;
	r.data_len = r.hdr.cap_len = (uint32_t)strlen(d);
	CHECK_EQ_U(stream_feed(s, &r), 0);
}

TEST(aead_records)
{
	struct sink k = { .opened = 0 };
	struct stream_set *s;

	stream_new(&sops, &k, &s);
	afeed(s, 0x10, 0, -1, 1, 5, "\x14\x00\x00\x01\x16", 5);  /* handshake key: Finished */
	afeed(s, 0x10, 0, 7, 2, 0, "", 0);                        /* ... written to fd 7 */
	afeed(s, 0x20, 0, -1, 3, 5, "GET /a\x17", 7);             /* first seal: fd not known */
	CHECK_EQ_U(k.opened, 0);                                  /* held */
	afeed(s, 0x20, 0, 7, 4, 0, "", 0);                        /* ... written to fd 7 */
	CHECK_EQ_U(k.opened, 1);
	afeed(s, 0x30, 1, 7, 5, 5, "HTTP/1.1\x17\x00\x00", 11);   /* padded reply, read from fd 7 */
	afeed(s, 0x30, 1, 7, 6, 5, "\x04\x00\x00\x01\x16", 5);    /* NewSessionTicket: dropped */
	afeed(s, 0x40, 0, 7, 7, 12, "secret", 6);                 /* not a TLS AAD: dropped */
	afeed(s, 0x20, 0, 7, 8, 5, " b\x17", 3);
	CHECK_EQ_U(k.opened, 1);
	CHECK(k.n[0] == 8 && !memcmp(k.data[0], "GET /a b", 8));
	CHECK(k.n[1] == 8 && !memcmp(k.data[1], "HTTP/1.1", 8));
	/* fd 7 reused by a new connection with new keys */
	afeed(s, 0x50, 0, -1, 9, 5, "X\x17", 2);
	afeed(s, 0x50, 0, 7, 10, 0, "", 0);
	afeed(s, 0x60, 1, 7, 11, 5, "Y\x17", 2);
	/* TLS 1.2: the type is in the AAD, the plaintext is all data */
	afeed(s, 0x70, 1, 9, 12, 13, "Z2", 2);
	sfeed(s, 0x90, 11, 14, 23, "S3");   /* all data: the type was extra */
	sfeed(s, 0x90, 11, 15, 22, "hs");   /* a handshake message: dropped */
	/* a context whose fd never shows: its own connection at the end */
	afeed(s, 0x80, 0, -1, 13, 5, "Q\x17", 2);
	stream_finish(s);
	CHECK_EQ_U(k.opened, 5);
	CHECK(s->n == 5 && s->conns[1]->fd == 7 && s->conns[1]->dir[0].bytes == 1 &&
	      s->conns[1]->dir[1].bytes == 1);
	CHECK(s->n == 5 && s->conns[3]->fd == 11 && s->conns[3]->dir[0].bytes == 2);
	CHECK(s->n == 5 && s->conns[4]->fd == -1 && s->conns[4]->dir[0].bytes == 1);
	CHECK(k.n[1] == 11 && !memcmp(k.data[1], "HTTP/1.1YZ2", 11));
	stream_free(s);
}

/*
 * Attached to a running process: a connection seen with its reads alone
 * (its request went out before), closed with an alert from its write
 * context; the next connection on the same fd must not take its write side.
 */
TEST(aead_attached)
{
	struct sink k = { .opened = 0 };
	struct stream_set *s;

	stream_new(&sops, &k, &s);
	afeed(s, 0x10, 1, 7, 1, 5, "HTTP/1.1 500\x17", 13);      /* the answer alone */
	afeed(s, 0x20, 0, -1, 2, 5, "\x01\x00\x15", 3);          /* close_notify */
	afeed(s, 0x20, 0, 7, 3, 0, "", 0);                        /* ... written to fd 7 */
	afeed(s, 0x30, 0, -1, 4, 5, "POST\x17", 5);               /* the next connection */
	afeed(s, 0x30, 0, 7, 5, 0, "", 0);
	afeed(s, 0x40, 1, 7, 6, 5, "HTTP/1.1 200\x17", 13);
	stream_finish(s);
	CHECK_EQ_U(s->n, 2);
	CHECK(s->n == 2 && s->conns[0]->dir[0].bytes == 0 && s->conns[0]->dir[1].bytes == 12);
	CHECK(s->n == 2 && s->conns[1]->dir[0].bytes == 4 && s->conns[1]->dir[1].bytes == 12);
	stream_free(s);
}

/* finish @s and check it holds the two calls "POST /N" (7 bytes) and
 * "HTTP/1.1 200 ..." (16), the second on fd 6; free it */
static void finish_two_calls(struct stream_set *s)
{
	stream_finish(s);
	CHECK_EQ_U(s->n, 2);
	CHECK(s->n == 2 && s->conns[0]->dir[0].bytes == 7 && s->conns[0]->dir[1].bytes == 16);
	CHECK(s->n == 2 && s->conns[1]->fd == 6 && s->conns[1]->dir[0].bytes == 7 &&
	      s->conns[1]->dir[1].bytes == 16);
	stream_free(s);
}

/*
 * A program frees a context and its allocator hands the address to the
 * next connection's: the write context of one connection (closed by its
 * alert) comes back as the read context of the next, on another fd.
 */
TEST(aead_address_reused)
{
	struct sink k = { .opened = 0 };
	struct stream_set *s;

	stream_new(&sops, &k, &s);
	afeed(s, 0x20, 0, -1, 1, 5, "POST /1\x17", 8);
	afeed(s, 0x20, 0, 5, 2, 0, "", 0);                        /* written to fd 5 */
	afeed(s, 0x30, 1, 5, 3, 5, "HTTP/1.1 200 one\x17", 17);
	afeed(s, 0x20, 0, -1, 4, 5, "\x01\x00\x15", 3);          /* close_notify */
	afeed(s, 0x40, 0, -1, 5, 5, "POST /2\x17", 8);             /* connection 2 */
	afeed(s, 0x40, 0, 6, 6, 0, "", 0);                        /* written to fd 6 */
	afeed(s, 0x20, 1, 6, 7, 5, "HTTP/1.1 200 two\x17", 17);   /* the old address, reading */
	finish_two_calls(s);
}

/* close(fd) as the recorder writes it: a CAP_REC_CLOSE with ret 0 */
static void cfeed(struct stream_set *s, int fd, uint64_t seq)
{
	struct cap_file f = { .ret = 0, .fd = fd };
	struct cap_rec r = { 0 };

	r.hdr.type = CAP_REC_CLOSE;
	r.hdr.pid = 7;
	r.hdr.task_start_ns = 1007;
	r.hdr.seq = seq;
	r.hdr.ts_ns = seq * 10;
	r.fixed = (const uint8_t *)&f;
	r.fixed_len = r.hdr.fixed_len = sizeof(f);
	CHECK_EQ_U(stream_feed(s, &r), 0);
}

/* connection 1 on fd 5: a request sealed by context 0x20, its reply opened
 * by 0x30, then close(5) (seq 1..4) */
static void first_conn_closed(struct stream_set *s)
{
	afeed(s, 0x20, 0, -1, 1, 5, "POST /1\x17", 8);
	afeed(s, 0x20, 0, 5, 2, 0, "", 0);
	afeed(s, 0x30, 1, 5, 3, 5, "HTTP/1.1 200 one\x17", 17);
	cfeed(s, 5, 4);
}

/*
 * The next connection on the same fd number, its contexts at the same
 * addresses and no alert in between: the close of the fd separates them.
 */
TEST(aead_fd_closed_reused)
{
	struct sink k = { .opened = 0 };
	struct stream_set *s;

	stream_new(&sops, &k, &s);
	first_conn_closed(s);
	afeed(s, 0x20, 0, -1, 5, 5, "POST /2\x17", 8);
	afeed(s, 0x20, 0, 5, 6, 0, "", 0);
	afeed(s, 0x30, 1, 5, 7, 5, "HTTP/1.1 200 two\x17", 17);
	stream_finish(s);
	CHECK_EQ_U(s->n, 2);
	CHECK(s->n == 2 && s->conns[0]->dir[0].bytes == 7 && s->conns[0]->dir[1].bytes == 16);
	CHECK(s->n == 2 && s->conns[1]->dir[0].bytes == 7 && s->conns[1]->dir[1].bytes == 16);
	stream_free(s);
}

/*
 * The read context of a closed connection comes back as the write context
 * of the next, whose seals (an older recorder) still name the closed fd:
 * the request goes with the reply on the fd its write names.
 */
TEST(aead_stale_seal_fd)
{
	struct sink k = { .opened = 0 };
	struct stream_set *s;

	stream_new(&sops, &k, &s);
	first_conn_closed(s);
	afeed(s, 0x30, 0, 5, 5, 5, "POST /2\x17", 8);             /* stale fd 5 */
	afeed(s, 0x30, 0, 6, 6, 0, "", 0);                        /* written to fd 6 */
	afeed(s, 0x40, 1, 6, 7, 5, "HTTP/1.1 200 two\x17", 17);
	finish_two_calls(s);
}

int main(void)
{
	RUN(calls_and_chunks);
	RUN(gaps_and_identity);
	RUN(aead_records);
	RUN(aead_attached);
	RUN(aead_address_reused);
	RUN(aead_fd_closed_reused);
	RUN(aead_stale_seal_fd);
	return harness_done();
}
