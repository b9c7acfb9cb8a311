/* SPDX-License-Identifier: MIT */
/* rec_tlsw.c - the TLS discovery worker thread (see rec_tlsw.h). */
#include "rec_tlsw.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "format/cap_buf.h"
#include "format/cap_record.h"
#include "bpf/probe.h"
#include "rec_ring.h"
#include "rec_tls.h"

struct ctrl_item {
	uint32_t pid;
	struct asr_ctrl c;
};

/* When the queue is full, a process is continued at once, unexamined. */
#define QCAP 4096

struct rec_tlsw {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	int running, closing;
	struct rec_tls *tls;
	struct ctrl_item items[QCAP]; /* FIFO: [head, n), indexes mod QCAP */
	size_t head, n;
	int stopped_fd;               /* the kernel side's stopped_pids map */
	struct cap_buf out;           /* records for the poller: u32 length + bytes */
	unsigned resumed, overflow;
};

int rec_tlsw_new(int stopped_fd, struct rec_tlsw **out)
{
	struct rec_tlsw *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->stopped_fd = stopped_fd;
	*out = w;
	return 0;
}

void rec_tlsw_emit(void *ctx, const void *rec, size_t len)
{
	struct rec_tlsw *w = ctx;
	uint32_t n = (uint32_t)len;

	pthread_mutex_lock(&w->mu);
	if (!cap_buf_append(&w->out, &n, sizeof(n)) && cap_buf_append(&w->out, rec, len))
		w->out.len -= sizeof(n);
	pthread_mutex_unlock(&w->mu);
}

void rec_tlsw_flush(struct rec_tlsw *w, struct rec_ring *r)
{
	struct cap_buf b = { 0 };
	size_t off = 0;
	uint32_t n;

	pthread_mutex_lock(&w->mu);
	b = w->out;
	memset(&w->out, 0, sizeof(w->out));
	pthread_mutex_unlock(&w->mu);
	while (off + sizeof(n) <= b.len) {
		memcpy(&n, (char *)b.p + off, sizeof(n));
		off += sizeof(n);
		rec_ring_put(r, (char *)b.p + off, n);
		off += n;
	}
	cap_buf_release(&b);
}

/* Continue a process the kernel side stopped, and strike it off its map. */
static void resume(struct rec_tlsw *w, const struct ctrl_item *it)
{
	if (it->c.kind & ASR_CTRL_STOPPED) {
		kill((pid_t)it->pid, SIGCONT);
		if (w->stopped_fd >= 0)
			bpf_map_delete_elem(w->stopped_fd, &it->pid);
		w->resumed++;
	}
}

void rec_tlsw_push(void *ctx, uint32_t pid, const struct asr_ctrl *c)
{
	struct rec_tlsw *w = ctx;
	struct ctrl_item it = { .pid = pid, .c = *c };

	pthread_mutex_lock(&w->mu);
	if (w->n - w->head == QCAP || w->closing) {
		/* cannot queue it: never leave the process stopped */
		resume(w, &it);
		w->overflow++;
		pthread_mutex_unlock(&w->mu);
		return;
	}
	w->items[w->n % QCAP] = it;
	w->n++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void *worker(void *arg)
{
	struct rec_tlsw *w = arg;
	struct ctrl_item it;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->head == w->n && !w->closing)
			pthread_cond_wait(&w->cv, &w->mu);
		/* at stop, what is still queued is continued unexamined */
		if (w->head == w->n || w->closing)
			break;
		it = w->items[w->head % QCAP];
		w->head++;
		pthread_mutex_unlock(&w->mu);
		rec_tls_on_ctrl(w->tls, it.pid, &it.c);
		pthread_mutex_lock(&w->mu);
		resume(w, &it);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int rec_tlsw_start(struct rec_tlsw *w, struct rec_tls *t)
{
	sigset_t all, old;
	int rc;

	w->tls = t;
	/* signals belong to the main thread */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&w->th, NULL, worker, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -rc;
	w->running = 1;
	return 0;
}

unsigned rec_tlsw_resumed(const struct rec_tlsw *w)
{
	return w ? w->resumed : 0;
}

void rec_tlsw_stop(struct rec_tlsw *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->closing = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (w->running)
		pthread_join(w->th, NULL);
	w->running = 0;
	/* continue whoever is still waiting */
	pthread_mutex_lock(&w->mu);
	for (; w->head < w->n; w->head++)
		resume(w, &w->items[w->head % QCAP]);
	pthread_mutex_unlock(&w->mu);
}

void rec_tlsw_free(struct rec_tlsw *w)
{
	if (!w)
		return;
	rec_tlsw_stop(w);
	cap_buf_release(&w->out);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
