/* SPDX-License-Identifier: MIT */
/*
 * t_model_aead.c - aws-lc AEAD records through the whole model (a capture
 * file, model_build, both the full and the streamed path), where t_stream
 * feeds stream.c alone: the model must hand close(2) to the streams too.
 *
 * The capture is codex's pattern (one connection per call): connection 1
 * on fd 5 is closed, connection 2 on fd 6 gets its read context at the
 * address of connection 1's, with no alert on that context in between.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/model.h"
#include "analyze/stream.h"
#include "format/cap_record.h"
#include "format/cap_writer.h"
#include "tests/harness.h"

#define PID 100
#define START 1000
#define T0 5000000000000ull
/* cap_tls.func of EVP_AEAD_CTX_seal and _open (ascap(5)) */
#define SEAL 16
#define OPEN 17
/* cap_tls.ret: a TLS 1.3 AAD, 5 bytes 23 3 3 len (probe.h ASR_AEAD_*) */
#define AAD13 (5 | 23 << 16 | 3 << 24)

struct cap {
	struct cap_writer *w;
	uint64_t ts, seq;
	int rc;
};

static void put(struct cap *c, uint16_t type, const void *fixed, size_t flen, const void *data,
		size_t dlen)
{
	struct cap_rec_hdr h = { .type = type, .pid = PID, .tid = PID, .task_start_ns = START };

	h.ts_ns = c->ts += 1000;
	h.seq = ++c->seq;
	if (!c->rc)
		c->rc = cap_writer_add_parts(c->w, &h, fixed, flen, data, dlen);
}

/* one AEAD call; @s ends with the TLS 1.3 inner content type (23) */
static void aead(struct cap *c, uint64_t ctx, int read, int32_t fd, const char *s)
{
	struct cap_tls t = { .conn = ctx, .fd = fd, .dir = read ? CAP_TLS_READ : CAP_TLS_WRITE,
			     .func = read ? OPEN : SEAL, .ret = *s ? AAD13 : 0 };

	put(c, CAP_REC_TLS, &t, sizeof(t), s, strlen(s));
}

static void fd_close(struct cap *c, int32_t fd)
{
	struct cap_file f = { .ret = 0, .fd = fd, .mode = 0140000 };

	put(c, CAP_REC_CLOSE, &f, sizeof(f), NULL, 0);
}

static uint64_t fake_clock(void *ctx)
{
	return *(uint64_t *)ctx;
}

static int write_capture(const char *path)
{
	struct cap c = { .ts = T0 };
	struct cap_writer_opts o;
	struct cap_err err;

	cap_writer_opts_init(&o);
	o.overwrite = 1;
	o.clock = fake_clock;
	o.clock_ctx = &c.ts;
	if (cap_writer_open(path, &o, &c.w, &err))
		return -1;
	aead(&c, 0x20, 0, -1, "POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n\x17");
	aead(&c, 0x20, 0, 5, "");     /* the recorder: written to fd 5 */
	aead(&c, 0x30, 1, 5, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none\x17");
	fd_close(&c, 5);
	aead(&c, 0x40, 0, -1, "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n\x17");
	aead(&c, 0x40, 0, 6, "");
	aead(&c, 0x30, 1, 6, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo\x17");
	if (c.rc || cap_writer_close(c.w, &err))
		return -1;
	return 0;
}

static void no_file(void *ctx, const struct model *m, const struct model_file *f, uint64_t row)
{
}

static void no_net(void *ctx, const struct model *m, const struct model_net *n, uint64_t row)
{
}

static void no_tls(void *ctx, const struct model *m, const struct model_tls *t, uint64_t row)
{
}

static void no_exchange(void *ctx, const struct model *m, const struct conv_exchange *ex)
{
}

static void no_call(void *ctx, const struct model *m, const struct llm_call *c, size_t idx,
		    uint64_t tool_row, char *const *cmds)
{
}

static void no_effect(void *ctx, const struct model *m, const struct model_effect *e)
{
}

static const struct model_sink sink = { NULL, no_file, no_net, no_tls, no_exchange, no_call,
					no_effect, NULL };

static void check_model(const char *path, int live)
{
	const char *paths[] = { path };
	struct model_opts o;
	struct model *m = NULL;
	struct cap_err err;
	struct stream_set *s;

	model_opts_init(&o);
	if (live)
		o.sink = &sink;
	CHECK_EQ_U(model_build(paths, 1, &o, &m, &err), 0);
	if (!m)
		return;
	s = m->streams;
	CHECK_EQ_U(s->n, 2);
	/* each request with its own answer: 48 + 41 bytes, the type byte off */
	CHECK(s->n == 2 && s->conns[0]->fd == 5 && s->conns[0]->dir[0].bytes == 48 &&
	      s->conns[0]->dir[1].bytes == 41);
	CHECK(s->n == 2 && s->conns[1]->fd == 6 && s->conns[1]->dir[0].bytes == 48 &&
	      s->conns[1]->dir[1].bytes == 41);
	model_free(m);
}

TEST(read_context_reused_after_close)
{
	char path[] = "/tmp/t_model_aead.XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	CHECK_EQ_U(write_capture(path), 0);
	check_model(path, 0);
	check_model(path, 1);
	unlink(path);
}

int main(void)
{
	RUN(read_context_reused_after_close);
	return harness_done();
}
