/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ws.c - libFuzzer target for the WebSocket frame parser (ws.h) and
 * its pairing into exchanges and LLM calls (wsconv.h, conv.h, llm.h).
 * The input is parsed as client frames and as server frames, with and
 * without permessage-deflate, whole and in pieces whose sizes come from
 * the input; then it is split in two at a point the input picks and played
 * as the two directions of an upgraded connection.
 * Invariants: a message never holds more than its full length or the
 * store limit; a stopped parser said why exactly once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/conv.h"
#include "analyze/llm.h"
#include "analyze/ws.h"

struct seen {
	unsigned errors;
};

static void on_msg(void *ctx, const struct ws_message *m)
{
	(void)ctx;
	if (m->len > m->full_len || m->len > WS_MSG_STORE_MAX || m->opcode == WS_OP_CONT)
		abort();
	if (m->opcode >= WS_OP_CLOSE && m->len > WS_CONTROL_MAX)
		abort();
}

static void on_err(void *ctx, uint64_t ts, const char *why)
{
	struct seen *s = ctx;

	(void)ts;
	if (!why || s->errors++)
		abort();
}

static const struct ws_ops ops = { .message = on_msg, .error = on_err };

static void run(int client, const char *ext, const uint8_t *d, size_t n, size_t step)
{
	struct seen s = { 0 };
	struct ws_parser p;
	size_t off = 0;

	ws_init(&p, client, &ops, &s);
	ws_set_extensions(&p, ext);
	while (off < n) {
		size_t k = step && step < n - off ? step : n - off;

		ws_feed(&p, off, d + off, k);
		off += k;
	}
	ws_eof(&p, n);
	if ((p.state == WS_DEAD) != (s.errors == 1))
		abort();
	ws_release(&p);
}

static void on_exchange(void *ctx, struct conv_exchange *ex)
{
	llm_call_free(llm_from_exchange(ex, NULL));
	(void)ctx;
}

static const char up_req[] = "GET /v1/responses HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
			     "Connection: Upgrade\r\n\r\n";
static const char up_resp[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			      "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n";

static void conversation(const uint8_t *d, size_t n)
{
	struct stream_conn sc = { .id = 1, .pid = 1 };
	size_t half = n ? d[0] * n / 256 : 0, off;
	struct conv_set *cs;

	if (conv_new(on_exchange, NULL, &cs))
		return;
	conv_stream_ops()->open(cs, &sc);
	conv_stream_ops()->data(cs, &sc, 0, 1, (const uint8_t *)up_req, strlen(up_req));
	conv_stream_ops()->data(cs, &sc, 1, 2, (const uint8_t *)up_resp, strlen(up_resp));
	/* alternate the directions in 64-byte pieces, as a session does */
	for (off = 0; off < half || half + off < n; off += 64) {
		if (off < half)
			conv_stream_ops()->data(cs, &sc, 0, 3 + off, d + off,
						half - off < 64 ? half - off : 64);
		if (half + off < n)
			conv_stream_ops()->data(cs, &sc, 1, 3 + off, d + half + off,
						n - half - off < 64 ? n - half - off : 64);
	}
	conv_finish(cs);
	conv_free(cs);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	size_t step = n ? (size_t)(d[n - 1] % 13) + 1 : 1;

	run(0, NULL, d, n, 0);
	run(1, NULL, d, n, 0);
	run(0, "permessage-deflate", d, n, step);
	run(1, "permessage-deflate; client_no_context_takeover", d, n, step);
	conversation(d, n);
	return 0;
}
