/* SPDX-License-Identifier: MIT */
/* an_pkt.c - one-line packet summaries for `asanalyze dump` (an_pkt.h). */
#include "an_pkt.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SLL2_LEN 20

/* packet headers are big-endian */
static unsigned be16_get(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void sym(struct an_rec *d, const char *name, int flags, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A decoder-made string in the pool, as an AN_F_SYM field. */
static void sym(struct an_rec *d, const char *name, int flags, const char *fmt, ...)
{
	size_t room = sizeof(d->pool) - d->pool_used;
	char *p = d->pool + d->pool_used;
	struct an_field *f;
	va_list ap;
	int n;

	if (room < 2 || d->n >= AN_REC_MAX_FIELDS)
		return;
	va_start(ap, fmt);
	n = vsnprintf(p, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= room)
		n = (int)room - 1;
	d->pool_used += (size_t)n + 1;
	f = &d->f[d->n++];
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->type = AN_F_SYM;
	f->flags = (unsigned char)flags;
	f->p = (const uint8_t *)p;
	f->len = (size_t)n;
}

static void uint_field(struct an_rec *d, const char *name, uint64_t v)
{
	struct an_field *f;

	if (d->n >= AN_REC_MAX_FIELDS)
		return;
	f = &d->f[d->n++];
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->type = AN_F_UINT;
	f->u = v;
}

static void tcp_flags(const uint8_t *t, char *out, size_t len)
{
	static const char names[] = "FSRPAUEC";
	size_t i, n = 0;

	for (i = 0; i < 8 && n + 1 < len; i++)
		if (t[13] & (1u << i))
			out[n++] = names[i];
	out[n] = 0;
}

/* Transport header at @t (@n bytes) between two printed addresses. */
static void l4(struct an_rec *d, unsigned proto, const uint8_t *t, size_t n, const char *src,
	       const char *dst)
{
	char fl[12];

	if ((proto == 6 && n >= 14) || (proto == 17 && n >= 4)) {
		if (proto == 6)
			tcp_flags(t, fl, sizeof(fl));
		sym(d, "summary", AN_FF_BARE, "%s %s:%u > %s:%u%s%s%s", proto == 6 ? "tcp" : "udp",
		    src, be16_get(t), dst, be16_get(t + 2), proto == 6 ? " [" : "",
		    proto == 6 ? fl : "", proto == 6 ? "]" : "");
	} else if (proto == 1 || proto == 58) {
		sym(d, "summary", AN_FF_BARE, "icmp%s %s > %s type %u", proto == 58 ? "6" : "",
		    src, dst, n ? t[0] : 0);
	} else {
		sym(d, "summary", AN_FF_BARE, "ip proto %u %s > %s", proto, src, dst);
	}
}

static void ip(struct an_rec *d, unsigned etype, const uint8_t *p, size_t n)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	size_t hl;

	if (etype == 0x0800 && n >= 20 && (p[0] >> 4) == 4 && (hl = (p[0] & 15u) * 4u) >= 20 &&
	    hl <= n) {
		inet_ntop(AF_INET, p + 12, src, sizeof(src));
		inet_ntop(AF_INET, p + 16, dst, sizeof(dst));
		/* a later fragment has no transport header */
		if (be16_get(p + 6) & 0x1fff)
			sym(d, "summary", AN_FF_BARE, "ip fragment %s > %s", src, dst);
		else
			l4(d, p[9], p + hl, n - hl, src, dst);
	} else if (etype == 0x86dd && n >= 40) {
		inet_ntop(AF_INET6, p + 8, src, sizeof(src));
		inet_ntop(AF_INET6, p + 24, dst, sizeof(dst));
		l4(d, p[6], p + 40, n - 40, src, dst);
	} else {
		sym(d, "summary", AN_FF_BARE, "ethertype %#06x", etype);
	}
}

void an_pkt_decode(struct an_rec *d, const struct cap_rec *rec)
{
	const uint8_t *p = rec->data;
	size_t n = rec->data_len;

	d->n = 0;
	d->pool_used = 0;
	d->payload = NULL;
	d->payload_len = 0;
	d->type_name = "packet";
	sym(d, "bytes", AN_FF_BARE, "%u bytes", rec->hdr.orig_len);
	uint_field(d, "caplen", rec->hdr.cap_len);
	if (n < SLL2_LEN)
		return;
	uint_field(d, "ifindex", be32_get(p + 4));
	sym(d, "dir", 0, "%s", p[10] == 4 ? "out" : "in");
	ip(d, be16_get(p), p + SLL2_LEN, n - SLL2_LEN);
}
