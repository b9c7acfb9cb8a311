/* SPDX-License-Identifier: MIT */
/* rec_queue.c - poller -> writer chunk queue (see rec_queue.h). */
#include "rec_queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* chunks kept for reuse instead of freed */
#define REC_QUEUE_KEEP 8

int rec_queue_init(struct rec_queue *q, size_t max_bytes)
{
	pthread_condattr_t ca;

	memset(q, 0, sizeof(*q));
	q->max_bytes = max_bytes;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_mutex_init(&q->mu, NULL) || pthread_cond_init(&q->more, &ca) ||
	    pthread_cond_init(&q->space, &ca))
		return -ENOMEM;
	pthread_condattr_destroy(&ca);
	return 0;
}

static void free_list(struct rec_chunk *c)
{
	while (c) {
		struct rec_chunk *n = c->next;

		free(c);
		c = n;
	}
}

void rec_queue_release(struct rec_queue *q)
{
	free_list(q->head);
	free_list(q->free);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->more);
	pthread_cond_destroy(&q->space);
}

struct rec_chunk *rec_queue_chunk(struct rec_queue *q)
{
	struct rec_chunk *c;

	pthread_mutex_lock(&q->mu);
	c = q->free;
	if (c) {
		q->free = c->next;
		q->nfree--;
	}
	pthread_mutex_unlock(&q->mu);
	if (!c)
		c = malloc(sizeof(*c));
	if (c) {
		c->next = NULL;
		c->len = 0;
		c->kind = REC_CHUNK_RECORDS;
	}
	return c;
}

int rec_chunk_put(struct rec_chunk *c, const void *rec, uint32_t len)
{
	/* keep records 8-byte aligned for the writer's reads */
	size_t step = (sizeof(len) + (size_t)len + 7) & ~(size_t)7;

	if (c->len + step > sizeof(c->data))
		return -ENOSPC;
	memcpy(c->data + c->len, &len, sizeof(len));
	memcpy(c->data + c->len + sizeof(len), rec, len);
	c->len += step;
	return 0;
}

int rec_chunk_put2(struct rec_chunk *c, const void *a, uint32_t alen, const void *b,
		   uint32_t blen)
{
	uint32_t len = alen + blen;
	size_t step = (sizeof(len) + (size_t)len + 7) & ~(size_t)7;

	if (c->len + step > sizeof(c->data))
		return -ENOSPC;
	memcpy(c->data + c->len, &len, sizeof(len));
	memcpy(c->data + c->len + sizeof(len), a, alen);
	if (blen)
		memcpy(c->data + c->len + sizeof(len) + alen, b, blen);
	c->len += step;
	return 0;
}

const void *rec_chunk_next(const struct rec_chunk *c, size_t *pos, uint32_t *len)
{
	const uint8_t *p;

	if (*pos + sizeof(*len) > c->len)
		return NULL;
	memcpy(len, c->data + *pos, sizeof(*len));
	p = c->data + *pos + sizeof(*len);
	*pos += (sizeof(*len) + *len + 7) & ~(size_t)7;
	return p;
}

/* Append @c and wake the consumer; q->mu is held. */
static void enqueue(struct rec_queue *q, struct rec_chunk *c)
{
	c->next = NULL;
	if (q->tail)
		q->tail->next = c;
	else
		q->head = c;
	q->tail = c;
	q->bytes += sizeof(*c);
	if (q->bytes > q->peak_bytes)
		q->peak_bytes = q->bytes;
	pthread_cond_signal(&q->more);
}

void rec_queue_push(struct rec_queue *q, struct rec_chunk *c)
{
	pthread_mutex_lock(&q->mu);
	while (q->bytes >= q->max_bytes && !q->closed)
		pthread_cond_wait(&q->space, &q->mu);
	enqueue(q, c);
	pthread_mutex_unlock(&q->mu);
}

int rec_queue_trypush(struct rec_queue *q, struct rec_chunk *c)
{
	int rc = 0;

	pthread_mutex_lock(&q->mu);
	if (q->closed)
		rc = -EPIPE;
	else if (q->bytes >= q->max_bytes)
		rc = -EAGAIN;
	else
		enqueue(q, c);
	pthread_mutex_unlock(&q->mu);
	return rc;
}

struct rec_chunk *rec_queue_pop(struct rec_queue *q, int ms)
{
	struct rec_chunk *c;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&q->mu);
	while (!q->head && !q->closed)
		if (pthread_cond_timedwait(&q->more, &q->mu, &ts) == ETIMEDOUT)
			break;
	c = q->head;
	if (c) {
		q->head = c->next;
		if (!q->head)
			q->tail = NULL;
		q->bytes -= sizeof(*c);
		pthread_cond_signal(&q->space);
	}
	pthread_mutex_unlock(&q->mu);
	return c;
}

int rec_queue_done(struct rec_queue *q)
{
	int done;

	pthread_mutex_lock(&q->mu);
	done = q->closed && !q->head;
	pthread_mutex_unlock(&q->mu);
	return done;
}

void rec_queue_recycle(struct rec_queue *q, struct rec_chunk *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&q->mu);
	if (q->nfree < REC_QUEUE_KEEP) {
		c->next = q->free;
		q->free = c;
		q->nfree++;
		c = NULL;
	}
	pthread_mutex_unlock(&q->mu);
	free(c);
}

void rec_queue_close(struct rec_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	pthread_cond_broadcast(&q->more);
	pthread_cond_broadcast(&q->space);
	pthread_mutex_unlock(&q->mu);
}
