/* SPDX-License-Identifier: MIT */
/*
 * t_ws.c - the WebSocket frame parser (ws.h) and its pairing into LLM
 * calls (wsconv.h, conv.h, llm.h): 7/16/64-bit lengths, masking,
 * fragmentation with a control frame in the middle, a stream split at
 * every byte, permessage-deflate with and without context takeover,
 * malformed frames reported with their stream offset, lost bytes, and a
 * Responses API conversation over an upgraded connection rebuilt across
 * previous_response_id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "analyze/conv.h"
#include "analyze/llm.h"
#include "analyze/ws.h"
#include "tests/harness.h"

/* ---- building frames ---- */

struct bytes {
	uint8_t p[300000];
	size_t n;
};

static void put(struct bytes *b, const void *p, size_t n)
{
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void frame(struct bytes *b, int fin, int rsv1, int op, int masked, const void *pl,
		  size_t n)
{
	static const uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	uint8_t h[14];
	size_t hl = 2, i;

	h[0] = (uint8_t)((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | op);
	if (n < 126) {
		h[1] = (uint8_t)n;
	} else if (n < 65536) {
		h[1] = 126;
		h[2] = (uint8_t)(n >> 8);
		h[3] = (uint8_t)n;
		hl = 4;
	} else {
		h[1] = 127;
		for (i = 0; i < 8; i++)
			h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
		hl = 10;
	}
	if (masked) {
		h[1] |= 0x80;
		memcpy(h + hl, key, 4);
		hl += 4;
	}
	put(b, h, hl);
	for (i = 0; i < n; i++)
		b->p[b->n + i] = ((const uint8_t *)pl)[i] ^ (masked ? key[i & 3] : 0);
	b->n += n;
}

/* ---- collecting what the parser hands over ---- */

struct got {
	int n, ops[16], codes[16], comp[16];
	char *msg[16];
	char *err[16];
	uint64_t off[16];
	int nerr;
};

static void on_msg(void *ctx, const struct ws_message *m)
{
	struct got *g = ctx;

	if (g->n >= 16)
		return;
	g->ops[g->n] = m->opcode;
	g->codes[g->n] = m->close_code;
	g->comp[g->n] = m->compressed;
	g->off[g->n] = m->off;
	g->msg[g->n] = m->error ? strdup(m->error) : strndup((const char *)m->data, m->len);
	g->n++;
}

static void on_err(void *ctx, uint64_t ts, const char *why)
{
	struct got *g = ctx;

	(void)ts;
	if (g->nerr < 16)
		g->err[g->nerr++] = strdup(why);
}

static const struct ws_ops ops = { .message = on_msg, .error = on_err };

static void got_free(struct got *g)
{
	while (g->n)
		free(g->msg[--g->n]);
	while (g->nerr)
		free(g->err[--g->nerr]);
}

/* Parse @b, split at @cut (0: whole; 1: byte by byte; else two pieces). */
static void parse(struct got *g, const struct bytes *b, int client, const char *ext, size_t cut)
{
	struct ws_parser p;
	size_t off = 0;

	memset(g, 0, sizeof(*g));
	ws_init(&p, client, &ops, g);
	ws_set_extensions(&p, ext);
	while (off < b->n) {
		size_t step = cut == 1 ? 1 : cut && off < cut ? cut - off : b->n - off;

		ws_feed(&p, off, b->p + off, step);
		off += step;
	}
	ws_eof(&p, b->n);
	ws_release(&p);
}

TEST(lengths_and_masking)
{
	static struct bytes b;
	static char big[70000];
	struct got g;

	memset(big, 'x', sizeof(big));
	b.n = 0;
	frame(&b, 1, 0, WS_OP_TEXT, 1, "hello", 5);
	frame(&b, 1, 0, WS_OP_BINARY, 1, big, 125);
	frame(&b, 1, 0, WS_OP_TEXT, 1, big, 126);
	frame(&b, 1, 0, WS_OP_TEXT, 1, big, 65536);
	frame(&b, 1, 0, WS_OP_TEXT, 1, "", 0);
	parse(&g, &b, 1, NULL, 0);
	CHECK_EQ_U(g.n, 5);
	CHECK_EQ_U(g.nerr, 0);
	CHECK_STR(g.msg[0], "hello");
	CHECK_EQ_U(g.ops[1], WS_OP_BINARY);
	CHECK_EQ_U(strlen(g.msg[1]), 125);
	CHECK_EQ_U(strlen(g.msg[2]), 126);
	CHECK_EQ_U(strlen(g.msg[3]), 65536);
	CHECK(g.msg[3][65535] == 'x');
	CHECK_STR(g.msg[4], "");
	CHECK_EQ_U(g.off[1], 2 + 4 + 5);
	got_free(&g);
}

/* Three fragments with a ping between them, then a close with a code. */
static void fragmented(struct bytes *b, int masked)
{
	b->n = 0;
	frame(b, 0, 0, WS_OP_TEXT, masked, "{\"type\":", 8);
	frame(b, 1, 0, WS_OP_PING, masked, "hb", 2);
	frame(b, 0, 0, WS_OP_CONT, masked, "\"response.", 10);
	frame(b, 1, 0, WS_OP_CONT, masked, "create\"}", 8);
	frame(b, 1, 0, WS_OP_TEXT, masked, "second", 6);
	frame(b, 1, 0, WS_OP_CLOSE, masked, "\x03\xe8" "bye", 5);
}

static int same_as_whole(const struct got *g)
{
	return g->n >= 4 && !g->nerr && g->ops[0] == WS_OP_PING && !strcmp(g->msg[0], "hb") &&
	       !strcmp(g->msg[1], "{\"type\":\"response.create\"}") && g->off[1] == 0 &&
	       !strcmp(g->msg[2], "second") && g->ops[3] == WS_OP_CLOSE && g->codes[3] == 1000;
}

TEST(fragments_and_control)
{
	static struct bytes b;
	struct got g;

	fragmented(&b, 0);
	parse(&g, &b, 0, NULL, 0);
	CHECK(g.n == 4 && same_as_whole(&g));
	got_free(&g);
	fragmented(&b, 1);
	parse(&g, &b, 1, NULL, 0);
	CHECK(g.n == 4 && same_as_whole(&g));
	got_free(&g);
}

TEST(split_at_every_byte)
{
	static struct bytes b;
	static char mid[300];
	struct got g;
	size_t cut, bad = 0;

	memset(mid, 'm', sizeof(mid));
	fragmented(&b, 1);
	frame(&b, 1, 0, WS_OP_TEXT, 1, mid, sizeof(mid)); /* a 16-bit length too */
	for (cut = 1; cut <= b.n; cut++) {
		parse(&g, &b, 1, NULL, cut);
		if (!(g.n == 5 && same_as_whole(&g) && strlen(g.msg[4]) == sizeof(mid)))
			bad++;
		got_free(&g);
	}
	CHECK_EQ_U(bad, 0);
}

/* Raw deflate of @s with a sync flush, without the 00 00 ff ff tail. */
static size_t squeeze(z_stream *z, const char *s, uint8_t *out, size_t cap)
{
	z->next_in = (Bytef *)s;
	z->avail_in = (uInt)strlen(s);
	z->next_out = out;
	z->avail_out = (uInt)cap;
	deflate(z, Z_SYNC_FLUSH);
	return cap - z->avail_out - 4;
}

static void deflated(struct bytes *b, int reset_between, int fragment)
{
	static const char *m[2] = {
		"{\"type\":\"response.output_text.delta\",\"delta\":\"The directory holds\"}",
		"{\"type\":\"response.output_text.delta\",\"delta\":\"The directory holds 2 files\"}",
	};
	uint8_t out[512];
	z_stream z = { 0 };
	size_t n;
	int i;

	deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
	b->n = 0;
	for (i = 0; i < 2; i++) {
		n = squeeze(&z, m[i], out, sizeof(out));
		if (fragment) {
			frame(b, 0, 1, WS_OP_TEXT, 0, out, n / 2);
			frame(b, 1, 0, WS_OP_CONT, 0, out + n / 2, n - n / 2);
		} else {
			frame(b, 1, 1, WS_OP_TEXT, 0, out, n);
		}
		frame(b, 1, 0, WS_OP_TEXT, 0, "plain", 5);
		if (reset_between)
			deflateReset(&z);
	}
	deflateEnd(&z);
}

TEST(permessage_deflate)
{
	static struct bytes b;
	struct got g;
	size_t cut, bad = 0;

	/* context kept across messages: the second refers back to the first */
	deflated(&b, 0, 0);
	parse(&g, &b, 0, "permessage-deflate; client_max_window_bits", 0);
	CHECK_EQ_U(g.n, 4);
	CHECK(g.comp[0] && !g.comp[1]);
	CHECK_STR(g.msg[2], "{\"type\":\"response.output_text.delta\","
		  "\"delta\":\"The directory holds 2 files\"}");
	CHECK_STR(g.msg[3], "plain");
	got_free(&g);
	/* fragmented, split everywhere */
	deflated(&b, 0, 1);
	for (cut = 1; cut <= b.n; cut++) {
		parse(&g, &b, 0, "permessage-deflate", cut);
		if (g.n != 4 || g.nerr || strstr(g.msg[2], "2 files\"}") == NULL)
			bad++;
		got_free(&g);
	}
	CHECK_EQ_U(bad, 0);
	/* no context takeover: the sender resets, so must we */
	deflated(&b, 1, 0);
	parse(&g, &b, 0, "x-other, permessage-deflate; server_no_context_takeover", 0);
	CHECK_EQ_U(g.n, 4);
	CHECK(strstr(g.msg[2], "2 files\"}") != NULL);
	got_free(&g);
	/* a context-takeover stream read as if reset: the second message fails
	 * on its own, the parser goes on */
	deflated(&b, 0, 0);
	parse(&g, &b, 0, "permessage-deflate; server_no_context_takeover", 0);
	CHECK_EQ_U(g.n, 4);
	CHECK(strstr(g.msg[2], "corrupt") != NULL);
	CHECK_STR(g.msg[3], "plain");
	got_free(&g);
	/* RSV1 without the extension is a protocol error */
	parse(&g, &b, 0, NULL, 0);
	CHECK_EQ_U(g.n, 0);
	CHECK(g.nerr == 1 && strstr(g.err[0], "RSV1 set but permessage-deflate was not "
					      "negotiated (at byte 0 of the stream)"));
	got_free(&g);
}

/* A good 7-byte frame, then @bad; the error must name byte @at. */
static int bad_frame_at(const void *bad, size_t n, int client, const char *want, size_t where)
{
	static struct bytes b;
	struct got g;
	char at[64];
	int ok;

	b.n = 0;
	frame(&b, 1, 0, WS_OP_TEXT, 0, "hello", 5);
	if (client) {
		b.n = 0;
		frame(&b, 1, 0, WS_OP_TEXT, 1, "h", 1);
	}
	put(&b, bad, n);
	parse(&g, &b, client, NULL, 0);
	snprintf(at, sizeof(at), "(at byte %zu of the stream)", where);
	ok = g.n == 1 && g.nerr == 1 && strstr(g.err[0], want) && strstr(g.err[0], at);
	if (!ok)
		fprintf(stderr, "  got %d messages, error '%s', wanted '%s' %s\n", g.n,
			g.nerr ? g.err[0] : "", want, at);
	got_free(&g);
	return ok;
}

static int bad_frame(const void *bad, size_t n, int client, const char *want)
{
	return bad_frame_at(bad, n, client, want, 7);
}

TEST(bad_frames_with_offsets)
{
	uint8_t big_ping[2 + 126] = { 0x89, 126 };
	uint8_t long64[10] = { 0x81, 127, 0x80 };

	CHECK(bad_frame("\xa1\x00", 2, 0, "reserved bits RSV2/RSV3 set"));
	CHECK(bad_frame("\x83\x00", 2, 0, "unknown data opcode 0x3"));
	CHECK(bad_frame("\x8b\x00", 2, 0, "unknown control opcode 0xb"));
	CHECK(bad_frame("\x81\x81\x01\x02\x03\x04x", 7, 0, "masked frame from the server"));
	CHECK(bad_frame("\x81\x01x", 3, 1, "unmasked frame from the client"));
	CHECK(bad_frame("\x09\x00", 2, 0, "fragmented control frame"));
	big_ping[3] = 126;
	CHECK(bad_frame(big_ping, 4, 0, "control frame of"));
	CHECK(bad_frame("\x80\x00", 2, 0, "continuation frame with no message to continue"));
	CHECK(bad_frame_at("\x01\x01" "a\x81\x01" "b", 6, 0, "new data frame inside a fragmented "
			   "message (started at byte 7)", 10));
	CHECK(bad_frame(long64, sizeof(long64), 0, "64-bit payload length with its top bit"));
	CHECK(bad_frame("\x81\x05" "ab", 4, 0, "stream ends 2 bytes into a frame of 5"));
	CHECK(bad_frame("\x81\x7e\x01", 3, 0, "stream ends inside a frame header"));
	CHECK(bad_frame("\x01\x01" "a", 3, 0, "stream ends inside a fragmented message"));
}

TEST(lost_bytes_stop_the_parser)
{
	static struct bytes b;
	struct ws_parser p;
	struct got g;

	memset(&g, 0, sizeof(g));
	b.n = 0;
	frame(&b, 1, 0, WS_OP_TEXT, 0, "hello", 5);
	ws_init(&p, 0, &ops, &g);
	ws_feed(&p, 1, b.p, 3);
	ws_gap(&p, 2, 100);
	CHECK(ws_feed(&p, 3, b.p, b.n) < 0);
	ws_eof(&p, 4);
	ws_release(&p);
	CHECK_EQ_U(g.n, 0);
	CHECK(g.nerr == 1 && strstr(g.err[0], "100 bytes of the stream were not captured") &&
	      strstr(g.err[0], "at byte 3 of"));
	got_free(&g);
}

/* ---- an upgraded connection through conv.h and llm.h ---- */

struct calls {
	struct llm_call *c[8];
	int n;
	int exchanges;
};

static void on_exchange(void *ctx, struct conv_exchange *ex)
{
	struct calls *k = ctx;
	struct llm_call *c = llm_from_exchange(ex, NULL);

	k->exchanges++;
	if (c && k->n < 8)
		k->c[k->n++] = c;
	else
		llm_call_free(c);
}

static const char up_req[] =
	"GET /v1/responses HTTP/1.1\r\nHost: api.openai.com\r\nConnection: Upgrade\r\n"
	"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	"Authorization: Bearer sk-proj-WSFAKEKEY0123456789\r\n\r\n";
static const char up_resp[] =
	"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

static const char *turn1[] = {
	"{\"type\":\"response.create\",\"model\":\"gpt-5\",\"instructions\":\"You are Codex.\","
	"\"input\":[{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\","
	"\"text\":\"list the files\"}]}],\"tools\":[{\"type\":\"function\",\"name\":\"shell\"}],"
	"\"stream\":true}",
	"{\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\",\"model\":\"gpt-5\"}}",
	"{\"type\":\"response.output_text.delta\",\"output_index\":0,\"delta\":\"Let me look.\"}",
	"{\"type\":\"response.output_item.added\",\"output_index\":1,\"item\":{\"type\":"
	"\"function_call\",\"call_id\":\"call_1\",\"name\":\"shell\"}}",
	"{\"type\":\"response.function_call_arguments.delta\",\"output_index\":1,\"delta\":"
	"\"{\\\"command\\\":[\\\"ls\\\"]}\"}",
	"{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"model\":\"gpt-5\","
	"\"status\":\"completed\",\"usage\":{\"input_tokens\":1200,\"output_tokens\":85,"
	"\"input_tokens_details\":{\"cached_tokens\":1000}}}}",
};
static const char *turn2[] = {
	"{\"type\":\"response.create\",\"model\":\"gpt-5\",\"instructions\":\"You are Codex.\","
	"\"previous_response_id\":\"resp_1\",\"input\":[{\"type\":\"function_call_output\","
	"\"call_id\":\"call_1\",\"output\":\"a.txt b.txt\"}],\"stream\":true}",
	"{\"type\":\"response.output_text.delta\",\"output_index\":0,\"delta\":\"Two files.\"}",
	"{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_2\",\"model\":\"gpt-5\","
	"\"status\":\"completed\",\"usage\":{\"input_tokens\":1300,\"output_tokens\":5}}}",
};

static void feed(struct stream_conn *sc, int dir, uint64_t ts, const void *p, size_t n)
{
	conv_stream_ops()->data(NULL, sc, dir, ts, p, n); /* the conn carries its state */
}

static void play_turn(struct stream_conn *sc, const char **t, size_t n, uint64_t *ts)
{
	static struct bytes b;
	size_t i;

	b.n = 0;
	frame(&b, 1, 0, WS_OP_TEXT, 1, t[0], strlen(t[0]));
	feed(sc, CAP_TLS_WRITE, (*ts += 10), b.p, b.n);
	for (i = 1; i < n; i++) {
		b.n = 0;
		frame(&b, 1, 0, WS_OP_TEXT, 0, t[i], strlen(t[i]));
		feed(sc, CAP_TLS_READ, (*ts += 10), b.p, b.n);
	}
}

TEST(responses_over_websocket)
{
	static struct bytes b;
	struct stream_conn sc = { .id = 1, .pid = 42 };
	struct calls k = { 0 };
	struct conv_set *cs;
	struct llm_call *c;
	uint64_t ts = 1000;

	CHECK(!conv_new(on_exchange, &k, &cs));
	conv_stream_ops()->open(cs, &sc);
	feed(&sc, CAP_TLS_WRITE, ts, up_req, strlen(up_req));
	/* the 101 and the first server frame in one read */
	b.n = 0;
	put(&b, up_resp, strlen(up_resp));
	frame(&b, 1, 0, WS_OP_PING, 0, "", 0);
	feed(&sc, CAP_TLS_READ, ts += 10, b.p, b.n);
	play_turn(&sc, turn1, 6, &ts);
	play_turn(&sc, turn2, 3, &ts);
	conv_finish(cs);
	CHECK_EQ_U(k.exchanges, 3); /* the upgrade, two turns */
	CHECK_EQ_U(k.n, 2);
	if (k.n == 2) {
		llm_link_previous(k.c, 2);
		c = k.c[0];
		CHECK_STR(c->api, "responses");
		CHECK_STR(c->transport, "websocket");
		CHECK_STR(c->model_req, "gpt-5");
		CHECK_STR(c->system, "You are Codex.");
		CHECK_STR(llm_text(c), "Let me look.");
		CHECK(c->ncalls == 1 && !strcmp(c->calls[0].name, "shell") &&
		      !strcmp(c->calls[0].args, "{\"command\":[\"ls\"]}"));
		CHECK(c->ntools == 1 && !strcmp(c->tools[0], "shell"));
		CHECK(c->in_tok == 200 && c->out_tok == 85 && c->cache_read == 1000);
		CHECK_STR(c->finish, "completed");
		CHECK(c->t_req == 1020 && c->t_first_tok == 1040 && c->t_end == 1070);
		CHECK(!c->error);
		CHECK(!strcmp(http_msg_header(c->ex->req, "authorization"),
			      "Bearer sk-proj-WSFAKEKEY0123456789"));
		c = k.c[1];
		CHECK_STR(c->prev_resp_id, "resp_1");
		CHECK_STR(c->resp_id, "resp_2");
		CHECK_EQ_U(c->ninherited, 3);
		CHECK_EQ_U(c->nmsgs, 4);
		if (c->nmsgs == 4) {
			CHECK_STR(c->msgs[0].text, "list the files");
			CHECK_STR(c->msgs[1].text, "Let me look.");
			CHECK_STR(c->msgs[2].text, "[tool_call shell] {\"command\":[\"ls\"]}");
			CHECK_STR(c->msgs[3].role, "tool");
		}
		CHECK_STR(llm_text(c), "Two files.");
	}
	while (k.n)
		llm_call_free(k.c[--k.n]);
	conv_free(cs);
}

TEST(websocket_cut_before_completion)
{
	struct stream_conn sc = { .id = 1, .pid = 42 };
	struct calls k = { 0 };
	struct conv_set *cs;
	uint64_t ts = 1000;

	CHECK(!conv_new(on_exchange, &k, &cs));
	conv_stream_ops()->open(cs, &sc);
	feed(&sc, CAP_TLS_WRITE, ts, up_req, strlen(up_req));
	feed(&sc, CAP_TLS_READ, ts += 10, up_resp, strlen(up_resp));
	play_turn(&sc, turn1, 3, &ts);
	conv_finish(cs);
	CHECK_EQ_U(k.n, 1);
	if (k.n == 1) {
		CHECK(k.c[0]->error && strstr(k.c[0]->error, "before the response was complete"));
		CHECK_STR(llm_text(k.c[0]), "Let me look.");
	}
	while (k.n)
		llm_call_free(k.c[--k.n]);
	conv_free(cs);
}

int main(void)
{
	RUN(lengths_and_masking);
	RUN(fragments_and_control);
	RUN(split_at_every_byte);
	RUN(permessage_deflate);
	RUN(bad_frames_with_offsets);
	RUN(lost_bytes_stop_the_parser);
	RUN(responses_over_websocket);
	RUN(websocket_cut_before_completion);
	return harness_done();
}
