/* SPDX-License-Identifier: MIT */
/* rec_ring.c - ring buffer polling into the writer queue (see rec_ring.h). */
#include "rec_ring.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include <bpf/libbpf.h>

#include "format/cap_record.h"
#include "bpf/probe.h"
#include "rec_queue.h"

struct rec_ring {
	struct ring_buffer *rb;
	struct rec_queue *q;
	struct rec_chunk *cur;
	rec_ring_ctrl_fn ctrl;
	void *ctrl_ctx;
	uint64_t records, bytes, lost;
};

void rec_ring_put(struct rec_ring *r, const void *rec, size_t len)
{
	if (!r->cur)
		r->cur = rec_queue_chunk(r->q);
	if (r->cur && rec_chunk_put(r->cur, rec, (uint32_t)len) == -ENOSPC) {
		rec_queue_push(r->q, r->cur);
		r->cur = rec_queue_chunk(r->q);
		if (r->cur && rec_chunk_put(r->cur, rec, (uint32_t)len))
			r->lost++;
	}
	if (!r->cur)
		r->lost++;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct rec_ring *r = ctx;
	const struct cap_rec_hdr *h = data;

	if (size < sizeof(*h))
		return 0;
	if (h->type == ASR_REC_CTRL) {
		const struct asr_ctrl *c = (const void *)(h + 1);

		if (size < sizeof(*h) + sizeof(*c))
			return 0;
		if (r->ctrl)
			r->ctrl(r->ctrl_ctx, h->pid, c);
		else if (c->kind & ASR_CTRL_STOPPED)
			kill((pid_t)h->pid, SIGCONT);
		return 0;
	}
	r->records++;
	r->bytes += size;
	rec_ring_put(r, data, size);
	return 0;
}

int rec_ring_new(const int *map_fds, size_t n, struct rec_queue *q, struct rec_ring **out)
{
	struct rec_ring *r = calloc(1, sizeof(*r));
	size_t i;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	if (!n) {
		free(r);
		return -EINVAL;
	}
	r->q = q;
	r->rb = ring_buffer__new(map_fds[0], on_sample, r, NULL);
	for (i = 1; r->rb && i < n; i++) {
		if (ring_buffer__add(r->rb, map_fds[i], on_sample, r)) {
			ring_buffer__free(r->rb);
			r->rb = NULL;
		}
	}
	if (!r->rb) {
		int rc = -errno;

		free(r);
		return rc ? rc : -ENOMEM;
	}
	*out = r;
	return 0;
}

void rec_ring_set_ctrl(struct rec_ring *r, rec_ring_ctrl_fn fn, void *ctx)
{
	r->ctrl = fn;
	r->ctrl_ctx = ctx;
}

static void flush(struct rec_ring *r)
{
	if (r->cur && r->cur->len) {
		rec_queue_push(r->q, r->cur);
		r->cur = NULL;
	}
}

int rec_ring_poll(struct rec_ring *r, int ms)
{
	int n = ring_buffer__poll(r->rb, ms), m;

	if (n < 0 && n != -EINTR)
		return n;
	m = ring_buffer__consume(r->rb);
	flush(r);
	if (m < 0)
		return m;
	return n < 0 ? n : n + m;
}

int rec_ring_drain(struct rec_ring *r)
{
	int n = ring_buffer__consume(r->rb);

	flush(r);
	return n;
}

void rec_ring_counts(const struct rec_ring *r, uint64_t *records, uint64_t *bytes,
		     uint64_t *lost)
{
	*records = r->records;
	*bytes = r->bytes;
	*lost = r->lost;
}

void rec_ring_free(struct rec_ring *r)
{
	if (!r)
		return;
	ring_buffer__free(r->rb);
	if (r->cur)
		rec_queue_recycle(r->q, r->cur);
	free(r);
}
