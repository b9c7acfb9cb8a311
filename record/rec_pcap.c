/* SPDX-License-Identifier: MIT */
/* rec_pcap.c - packet capture thread (see rec_pcap.h). */
#include "rec_pcap.h"

#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include "rec_queue.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

#define POLL_MS 100
#define STATS_NS 200000000ull   /* refresh pcap_stats this often */
#define FLUSH_NS 50000000ull    /* hand a partly filled chunk over after this */
#define FLUSH_BYTES (256u << 10)
#define BUFFER_BYTES (8u << 20) /* kernel ring for packets */
#define SLL2_PKTTYPE 10         /* offset of sll2_pkttype */
#define PACKET_OUTGOING 4

struct rec_pcap {
	pcap_t *pc;
	int nano;                  /* timestamps are in ns, not us */
	char desc[128];
	char *filter;
	struct rec_queue *q;
	struct rec_chunk *c;       /* chunk being filled, or NULL */
	uint64_t c_t0;             /* when it got its first packet */
	pthread_t th;
	int running;
	atomic_int stop;
	_Atomic uint64_t recv, drops, ifdrops, qdrops, truncs, seen;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int perr(char *err, size_t len, int rc, const char *fmt, const char *a, const char *b)
{
	snprintf(err, len, fmt, a, b);
	return rc;
}

/* "ifindex N and (FILTER)" for a named interface; FILTER alone for any. */
static int build_filter(struct rec_pcap *p, const struct rec_pcap_cfg *cfg, char *err,
			size_t len)
{
	const char *f = cfg->filter && *cfg->filter ? cfg->filter : NULL;
	unsigned idx = 0;
	int n;

	if (strcmp(cfg->iface, "any")) {
		idx = if_nametoindex(cfg->iface);
		if (!idx)
			return perr(err, len, -ENODEV, "-i '%s': no such interface%s", cfg->iface,
				    "");
		snprintf(p->desc, sizeof(p->desc), "%s (ifindex %u) on any", cfg->iface, idx);
	} else {
		snprintf(p->desc, sizeof(p->desc), "any");
	}
	if (idx && f)
		n = asprintf(&p->filter, "ifindex %u and (%s)", idx, f);
	else if (idx)
		n = asprintf(&p->filter, "ifindex %u", idx);
	else
		n = asprintf(&p->filter, "%s", f ? f : "");
	if (n < 0) {
		p->filter = NULL;
		return perr(err, len, -ENOMEM, "out of memory%s%s", "", "");
	}
	return 0;
}

/* Compile @expr; the user's own expression is checked alone first so a
 * mistake is reported in the user's words. */
static int set_filter(struct rec_pcap *p, const struct rec_pcap_cfg *cfg, char *err, size_t len)
{
	struct bpf_program prog;

	if (cfg->filter && *cfg->filter) {
		if (pcap_compile(p->pc, &prog, cfg->filter, 1, PCAP_NETMASK_UNKNOWN))
			return perr(err, len, -EINVAL, "-f '%s': %s", cfg->filter,
				    pcap_geterr(p->pc));
		pcap_freecode(&prog);
	}
	if (!*p->filter)
		return 0;
	if (pcap_compile(p->pc, &prog, p->filter, 1, PCAP_NETMASK_UNKNOWN))
		return perr(err, len, -EINVAL, "filter '%s': %s", p->filter, pcap_geterr(p->pc));
	if (pcap_setfilter(p->pc, &prog)) {
		pcap_freecode(&prog);
		return perr(err, len, -EINVAL, "-f '%s': cannot install the filter: %s",
			    p->filter, pcap_geterr(p->pc));
	}
	pcap_freecode(&prog);
	return 0;
}

static int activate(struct rec_pcap *p, const struct rec_pcap_cfg *cfg, char *err, size_t len)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	int rc;

	p->pc = pcap_create("any", eb);
	if (!p->pc)
		return perr(err, len, -ENODEV, "-i '%s': %s", cfg->iface, eb);
	pcap_set_snaplen(p->pc, (int)cfg->snaplen);
	pcap_set_immediate_mode(p->pc, 1);
	pcap_set_buffer_size(p->pc, BUFFER_BYTES);
	pcap_set_tstamp_precision(p->pc, PCAP_TSTAMP_PRECISION_NANO);
	rc = pcap_activate(p->pc);
	if (rc < 0)
		return perr(err, len, -EIO, "-i '%s': cannot capture packets: %s", cfg->iface,
			    rc == PCAP_ERROR_PERM_DENIED ? "permission denied (needs CAP_NET_RAW)"
							 : pcap_geterr(p->pc));
	if (pcap_set_datalink(p->pc, DLT_LINUX_SLL2))
		return perr(err, len, -EPROTONOSUPPORT, "-i '%s': link type LINUX_SLL2: %s",
			    cfg->iface, pcap_geterr(p->pc));
	p->nano = pcap_get_tstamp_precision(p->pc) == PCAP_TSTAMP_PRECISION_NANO;
	if (pcap_setnonblock(p->pc, 1, eb))
		return perr(err, len, -EIO, "-i '%s': %s", cfg->iface, eb);
	return 0;
}

int rec_pcap_open(const struct rec_pcap_cfg *cfg, struct rec_pcap **out, char *err, size_t len)
{
	struct rec_pcap *p = calloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	if (!p)
		return perr(err, len, -ENOMEM, "out of memory%s%s", "", "");
	rc = build_filter(p, cfg, err, len);
	if (!rc)
		rc = activate(p, cfg, err, len);
	if (!rc)
		rc = set_filter(p, cfg, err, len);
	if (rc) {
		rec_pcap_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

const char *rec_pcap_desc(const struct rec_pcap *p)
{
	return p->desc;
}

const char *rec_pcap_filter(const struct rec_pcap *p)
{
	return p->filter;
}

/* Hand the current chunk to the writer; keep it when the queue is full. */
static void flush(struct rec_pcap *p, int wait)
{
	if (!p->c || !p->c->len)
		return;
	if (wait) {
		rec_queue_push(p->q, p->c);
	} else if (rec_queue_trypush(p->q, p->c)) {
		return;
	}
	p->c = NULL;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct rec_pcap *p = (struct rec_pcap *)user;
	struct rec_pkt k = { 0 };

	atomic_fetch_add(&p->seen, 1);
	k.ts_real_ns = (uint64_t)h->ts.tv_sec * 1000000000ull +
		       (uint64_t)h->ts.tv_usec * (p->nano ? 1u : 1000u);
	k.caplen = h->caplen;
	k.origlen = h->len;
	if (h->caplen > SLL2_PKTTYPE)
		k.epb_flags = bytes[SLL2_PKTTYPE] == PACKET_OUTGOING ? 2 : 1;
	if (h->caplen < h->len)
		atomic_fetch_add(&p->truncs, 1);
	if (!p->c && (p->c = rec_queue_chunk(p->q)))
		p->c->kind = REC_CHUNK_PACKETS;
	if (p->c && !p->c->len)
		p->c_t0 = mono_ns();
	if (p->c && rec_chunk_put2(p->c, &k, sizeof(k), bytes, h->caplen) == -ENOSPC) {
		flush(p, 0);
		if (!p->c && (p->c = rec_queue_chunk(p->q))) {
			p->c->kind = REC_CHUNK_PACKETS;
			p->c_t0 = mono_ns();
			if (!rec_chunk_put2(p->c, &k, sizeof(k), bytes, h->caplen))
				return;
		}
	} else if (p->c) {
		return;
	}
	/* no room anywhere (queue full or out of memory): a counted drop */
	atomic_fetch_add(&p->qdrops, 1);
}

static void take_stats(struct rec_pcap *p)
{
	struct pcap_stat st;

	if (pcap_stats(p->pc, &st))
		return;
	atomic_store(&p->recv, st.ps_recv);
	atomic_store(&p->drops, st.ps_drop);
	atomic_store(&p->ifdrops, st.ps_ifdrop);
}

static void *pcap_main(void *arg)
{
	struct rec_pcap *p = arg;
	struct pollfd pfd = { .fd = pcap_get_selectable_fd(p->pc), .events = POLLIN };
	uint64_t last = 0;

	while (!atomic_load(&p->stop)) {
		int n = poll(&pfd, 1, POLL_MS);

		if (n > 0)
			pcap_dispatch(p->pc, -1, on_packet, (u_char *)p);
		if (p->c && p->c->len &&
		    (n <= 0 || p->c->len >= FLUSH_BYTES || mono_ns() - p->c_t0 >= FLUSH_NS))
			flush(p, 0);
		if (mono_ns() - last >= STATS_NS) {
			last = mono_ns();
			take_stats(p);
		}
	}
	/* what libpcap still holds, then the last chunk (the writer drains) */
	while (pcap_dispatch(p->pc, -1, on_packet, (u_char *)p) > 0)
		;
	take_stats(p);
	flush(p, 1);
	if (p->c) {
		rec_queue_recycle(p->q, p->c);
		p->c = NULL;
	}
	return NULL;
}

int rec_pcap_start(struct rec_pcap *p, struct rec_queue *q)
{
	int rc;

	p->q = q;
	rc = pthread_create(&p->th, NULL, pcap_main, p);
	if (rc)
		return -rc;
	p->running = 1;
	return 0;
}

void rec_pcap_counts(struct rec_pcap *p, struct rec_pcap_counts *c)
{
	c->recv = atomic_load(&p->recv);
	c->drops = atomic_load(&p->drops);
	c->ifdrops = atomic_load(&p->ifdrops);
	c->qdrops = atomic_load(&p->qdrops);
	c->truncs = atomic_load(&p->truncs);
	c->seen = atomic_load(&p->seen);
}

void rec_pcap_stop(struct rec_pcap *p)
{
	if (!p || !p->running)
		return;
	atomic_store(&p->stop, 1);
	pthread_join(p->th, NULL);
	p->running = 0;
}

void rec_pcap_free(struct rec_pcap *p)
{
	if (!p)
		return;
	rec_pcap_stop(p);
	if (p->pc)
		pcap_close(p->pc);
	free(p->filter);
	free(p);
}
