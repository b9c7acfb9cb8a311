/* SPDX-License-Identifier: MIT */
/*
 * t_sse.c - Server-Sent Events: every split point (also between CR and LF),
 * CR / LF / CRLF line ends, comments, multi-line data, event names, ids,
 * and a stream cut inside an event.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/sse.h"
#include "tests/harness.h"

struct evs {
	char s[4096];
	size_t n;
	int count, truncated;
};

static void on_ev(void *ctx, const struct sse_event *e)
{
	struct evs *v = ctx;

	v->n += (size_t)snprintf(v->s + v->n, sizeof(v->s) - v->n, "[%s|%s|%s]", e->event,
				 e->data, e->id);
	v->count++;
	v->truncated += e->truncated;
}

static const char stream[] =
	": comment\r\n"
	"event: message_start\r\ndata: {\"a\":1}\r\n\r\n"
	"data: line1\ndata: line2\nid: 7\n\n"
	"event: ping\rdata:\r\r"
	"data: x\r\n\r\n";
static const char want[] =
	"[message_start|{\"a\":1}|][message|line1\nline2|7][ping||7][message|x|7]";

TEST(every_split)
{
	size_t cut, n = sizeof(stream) - 1;

	for (cut = 0; cut <= n; cut++) {
		struct sse_parser p;
		struct evs v = { .n = 0 };

		sse_init(&p, on_ev, &v);
		sse_feed(&p, 1, (const uint8_t *)stream, cut);
		sse_feed(&p, 2, (const uint8_t *)stream + cut, n - cut);
		CHECK_EQ_U(sse_finish(&p, 3), 0);
		CHECK_STR(v.s, want);
		sse_release(&p);
	}
}

TEST(byte_by_byte_and_cut)
{
	struct sse_parser p;
	struct evs v = { .n = 0 };
	size_t i;

	sse_init(&p, on_ev, &v);
	for (i = 0; i < sizeof(stream) - 1; i++)
		sse_feed(&p, i, (const uint8_t *)stream + i, 1);
	CHECK_STR(v.s, want);
	sse_feed(&p, 100, (const uint8_t *)"event: content_block_delta\ndata: {\"par", 38);
	CHECK_EQ_U(sse_finish(&p, 101), 1);
	CHECK_EQ_U(v.truncated, 1);
	CHECK(strstr(v.s, "[content_block_delta|{\"par|7]") != NULL);
	sse_release(&p);
}

int main(void)
{
	RUN(every_split);
	RUN(byte_by_byte_and_cut);
	return harness_done();
}
