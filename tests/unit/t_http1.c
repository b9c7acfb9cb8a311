/* SPDX-License-Identifier: MIT */
/*
 * t_http1.c - the HTTP/1.1 parser and content decoders: keep-alive,
 * pipelining, Content-Length, chunked split at every byte, trailers, HEAD,
 * 1xx/204, read-until-close, gzip/deflate/br/zstd, decompression bomb,
 * malformed heads and lengths (an error on that message, the next one
 * still parsed).
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "analyze/http1.h"
#include "tests/harness.h"

struct got {
	struct http_msg *m[16];
	int n;
	int head_req;
};

static void done(void *ctx, struct http_msg *m)
{
	struct got *g = ctx;

	if (g->n < 16)
		g->m[g->n++] = m;
	else
		http_msg_free(m);
}

static int no_body(void *ctx)
{
	return ((struct got *)ctx)->head_req;
}

static const struct http1_ops ops = { .done = done, .no_body = no_body };

static void release(struct got *g)
{
	while (g->n)
		http_msg_free(g->m[--g->n]);
}

/* Parse @s fed in pieces: split at @cut (0: one piece; 1: byte by byte). */
static void parse(struct got *g, enum http1_kind k, const void *s, size_t n, size_t cut, int eof)
{
	struct http1_parser p;
	size_t off = 0;

	http1_init(&p, k, &ops, g);
	p.decode_limit = 1 << 20;
	while (off < n) {
		size_t step = cut == 1 ? 1 : cut && off < cut ? cut - off : n - off;

		http1_feed(&p, off, (const uint8_t *)s + off, step);
		off += step;
	}
	if (eof)
		http1_eof(&p, n);
	http1_release(&p);
}

static const char reqs[] =
	"POST /v1/messages HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nx-a: 2\r\n"
	"Content-Length: 5\r\n\r\nhello"
	"POST /v1/chat/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	"3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: t\r\n\r\n"
	"GET / HTTP/1.1\r\n\r\n";

TEST(pipelined_requests_every_split)
{
	struct got g = { 0 };
	size_t cut;

	for (cut = 0; cut <= sizeof(reqs) - 1; cut++) {
		parse(&g, HTTP1_REQUEST, reqs, sizeof(reqs) - 1, cut, 1);
		CHECK_EQ_U(g.n, 3);
		if (g.n == 3) {
			CHECK_STR(g.m[0]->method, "POST");
			CHECK_STR(g.m[0]->target, "/v1/messages");
			CHECK_EQ_U(g.m[0]->nhdrs, 4);
			CHECK_STR(g.m[0]->hdrs[2].value, "2"); /* duplicates kept in order */
			CHECK(g.m[0]->body.len == 5 && !memcmp(g.m[0]->body.p, "hello", 5));
			CHECK(g.m[1]->chunked && g.m[1]->body.len == 19);
			CHECK(!memcmp(g.m[1]->body.p, "abc0123456789abcdef", 19));
			CHECK_STR(g.m[2]->method, "GET");
			CHECK(g.m[0]->complete && g.m[1]->complete && g.m[2]->complete);
			CHECK(!g.m[0]->error && !g.m[1]->error && !g.m[2]->error);
		}
		release(&g);
	}
}

TEST(responses_head_1xx_204_eof)
{
	static const char r[] = "HTTP/1.1 100 Continue\r\n\r\n"
				"HTTP/1.1 204 No Content\r\n\r\n"
				"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"; /* HEAD: no body */
	static const char e[] = "HTTP/1.0 200 OK\r\n\r\nuntil the end";
	struct got g = { 0 };

	g.head_req = 0;
	parse(&g, HTTP1_RESPONSE, r, 52, 1, 0);
	CHECK_EQ_U(g.n, 2);
	CHECK_EQ_U(g.m[0]->status, 100);
	CHECK_EQ_U(g.m[1]->status, 204);
	release(&g);
	g.head_req = 1;
	parse(&g, HTTP1_RESPONSE, r, sizeof(r) - 1, 7, 0);
	CHECK_EQ_U(g.n, 3);
	CHECK(g.n == 3 && g.m[2]->body_len == 0 && g.m[2]->complete);
	release(&g);
	g.head_req = 0;
	parse(&g, HTTP1_RESPONSE, e, sizeof(e) - 1, 20, 1);
	CHECK(g.n == 1 && g.m[0]->complete && g.m[0]->body_len == 13);
	release(&g);
}

static size_t gz(const void *in, size_t n, uint8_t *out, size_t cap, int wbits)
{
	z_stream z = { 0 };

	deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	n = cap - z.avail_out;
	deflateEnd(&z);
	return n;
}

/* A chunked response with @coding; body split into 7-byte chunks. */
static size_t coded_resp(char *out, const char *coding, const uint8_t *b, size_t n)
{
	size_t o = (size_t)sprintf(out, "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\n"
				   "Transfer-Encoding: chunked\r\n\r\n", coding), i;

	for (i = 0; i < n; i += 7) {
		size_t k = n - i < 7 ? n - i : 7;

		o += (size_t)sprintf(out + o, "%zx\r\n", k);
		memcpy(out + o, b + i, k);
		o += k;
		memcpy(out + o, "\r\n", 2);
		o += 2;
	}
	memcpy(out + o, "0\r\n\r\n", 5);
	return o + 5;
}

static const uint8_t br_json[] = {
	0x1b, 0x31, 0x00, 0x00, 0x44, 0x4f, 0x96, 0xaa, 0x3d, 0x0b, 0x49, 0x8b,
	0x8a, 0xd9, 0x98, 0x0d, 0xcd, 0xa4, 0x24, 0xbb, 0xf0, 0x53, 0x8f, 0x97,
	0x43, 0x8e, 0x41, 0x70, 0xfb, 0x24, 0xed, 0xda, 0x70, 0x26, 0xf0,
};

TEST(content_codings)
{
	static const char text[] = "{\"msg\":\"hello brotli, hello brotli, hello brotli\"}";
	static const char *const names[] = { "gzip", "deflate", "deflate", "br", "zstd" };
	static const int wbits[] = { 31, 15, -15 };
	uint8_t coded[512];
	char resp[2048];
	struct got g = { 0 };
	size_t n, r, cut;
	int i;

	for (i = 0; i < 5; i++) {
		if (i < 3)
			n = gz(text, sizeof(text) - 1, coded, sizeof(coded), wbits[i]);
		else if (i == 3)
			n = sizeof(br_json), memcpy(coded, br_json, n);
		else
			n = ZSTD_compress(coded, sizeof(coded), text, sizeof(text) - 1, 3);
		r = coded_resp(resp, names[i], coded, n);
		for (cut = 0; cut < r; cut += 5) {
			parse(&g, HTTP1_RESPONSE, resp, r, cut, 1);
			CHECK_EQ_U(g.n, 1);
			if (g.n == 1) {
				CHECK(g.m[0]->body.len == sizeof(text) - 1 &&
				      !memcmp(g.m[0]->body.p, text, sizeof(text) - 1));
				CHECK(!g.m[0]->error);
				CHECK_EQ_U(g.m[0]->wire_len, n);
			}
			release(&g);
		}
	}
}

TEST(decompression_bomb)
{
	size_t zn = 20u << 20, n, r;
	uint8_t *zeros = calloc(1, zn), *coded = malloc(1 << 20);
	char *resp = malloc(2 << 20);
	struct got g = { 0 };

	n = gz(zeros, zn, coded, 1 << 20, 31);
	r = (size_t)sprintf(resp, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
			    "Content-Length: %zu\r\n\r\n", n);
	memcpy(resp + r, coded, n);
	r += n;
	memcpy(resp + r, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 40);
	parse(&g, HTTP1_RESPONSE, resp, r + 40, 0, 1);
	CHECK_EQ_U(g.n, 2);
	if (g.n == 2) {
		CHECK(g.m[0]->error && strstr(g.m[0]->error, "decompression bomb"));
		CHECK_EQ_U(g.m[0]->body_len, 1 << 20); /* stopped at the limit */
		CHECK(!g.m[1]->error && g.m[1]->body.len == 2);
	}
	release(&g);
	free(zeros);
	free(coded);
	free(resp);
}

TEST(malformed_then_resync)
{
	struct http1_parser p;
	struct got g = { 0 };
	static const char bad1[] =
		"POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n";
	static const char bad2[] = "GARBAGE\x01\x02 \r\n\r\n";
	static const char bad3[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
	static const char good[] = "GET /ok HTTP/1.1\r\n\r\n";

	http1_init(&p, HTTP1_REQUEST, &ops, &g);
	CHECK(http1_feed(&p, 1, (const uint8_t *)bad1, sizeof(bad1) - 1) < 0);
	CHECK(http1_feed(&p, 2, (const uint8_t *)"junk", 4) == 4); /* skipped while lost */
	CHECK(http1_feed(&p, 3, (const uint8_t *)good, sizeof(good) - 1) > 0);
	CHECK(http1_feed(&p, 4, (const uint8_t *)bad2, sizeof(bad2) - 1) < 0);
	http1_release(&p);
	CHECK_EQ_U(g.n, 3);
	if (g.n == 3) {
		unsigned long long at = 0;
		const char *w;

		CHECK(g.m[0]->error && strstr(g.m[0]->error, "Content-Length"));
		CHECK(!g.m[1]->error && !strcmp(g.m[1]->target, "/ok"));
		CHECK(g.m[2]->error != NULL);
		/* errors name the stream offset: bad2 starts after bad1, junk, good */
		w = g.m[2]->error ? strstr(g.m[2]->error, "(at byte ") : NULL;
		CHECK(w && sscanf(w, "(at byte %llu", &at) == 1);
		CHECK(at >= sizeof(bad1) - 1 + 4 + sizeof(good) - 1);
		CHECK(at < sizeof(bad1) - 1 + 4 + sizeof(good) - 1 + sizeof(bad2) - 1);
	}
	release(&g);
	parse(&g, HTTP1_RESPONSE, bad3, sizeof(bad3) - 1, 0, 1);
	CHECK(g.n == 1 && g.m[0]->error && strstr(g.m[0]->error, "chunk size"));
	release(&g);
	parse(&g, HTTP1_RESPONSE, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 43, 0, 1);
	CHECK(g.n == 1 && g.m[0]->error && strstr(g.m[0]->error, "before Content-Length"));
	release(&g);
}

/*
 * A chunked body cut by the close: between two chunks (the client read its
 * last event and closed before the empty chunk) it is marked as such and
 * said mildly; inside a chunk's size line, data or CRLF it is truncated.
 */
TEST(chunked_eof_between_or_inside_chunks)
{
	static const char r[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				"6\r\ndata: \r\n3\r\nx\n\n\r\n";
	const size_t n = sizeof(r) - 1, cut[] = { 0, 1, 40 };
	const size_t inside[] = { n - 7, n - 4, n - 2, n - 1 };
	struct got g = { 0 };
	size_t i;

	for (i = 0; i < 3; i++) {
		parse(&g, HTTP1_RESPONSE, r, n, cut[i], 1);
		CHECK(g.n == 1 && !g.m[0]->complete && g.m[0]->cut_at_chunk);
		CHECK(g.n == 1 && g.m[0]->error &&
		      strstr(g.m[0]->error, "connection closed before the last chunk"));
		CHECK(g.n == 1 && g.m[0]->body_len == 9);
		release(&g);
	}
	parse(&g, HTTP1_RESPONSE, r, n - 8, 0, 1); /* after the first chunk */
	CHECK(g.n == 1 && g.m[0]->cut_at_chunk && g.m[0]->body_len == 6);
	release(&g);
	for (i = 0; i < 4; i++) {
		parse(&g, HTTP1_RESPONSE, r, inside[i], 0, 1);
		CHECK(g.n == 1 && !g.m[0]->complete && !g.m[0]->cut_at_chunk);
		CHECK(g.n == 1 && g.m[0]->error &&
		      strstr(g.m[0]->error, "stream ends inside the chunked body"));
		release(&g);
	}
}

int main(void)
{
	RUN(pipelined_requests_every_split);
	RUN(responses_head_1xx_204_eof);
	RUN(content_codings);
	RUN(decompression_bomb);
	RUN(malformed_then_resync);
	RUN(chunked_eof_between_or_inside_chunks);
	return harness_done();
}
