/* SPDX-License-Identifier: MIT */
#include "cap_block.h"

#include <errno.h>
#include <string.h>

#include "cap_cursor.h"
#include "cap_record.h"

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Start a block: reserve room, write the type, return its offset. */
static int block_begin(struct cap_buf *b, uint32_t type, size_t body_max, size_t *start)
{
	uint8_t *p;

	if (cap_buf_reserve(b, 12 + body_max))
		return -ENOMEM;
	*start = b->len;
	p = cap_buf_grow(b, 8);
	le32_put(p, type);
	return 0;
}

/* Write both length fields once the body is complete. */
static void block_end(struct cap_buf *b, size_t start)
{
	uint32_t total = (uint32_t)(b->len - start + 4);
	uint8_t *p = cap_buf_grow(b, 4);

	le32_put(p, total);
	le32_put(b->p + start + 4, total);
}

/* Append one option TLV (value padded to 4). Room was reserved. */
static void opt_put(struct cap_buf *b, uint16_t code, const void *v, size_t n)
{
	uint8_t *p = cap_buf_grow(b, 4 + pad4(n));

	le16_put(p, code);
	le16_put(p + 2, (uint16_t)n);
	if (n)
		memcpy(p + 4, v, n);
}

static size_t opt_size(const char *s)
{
	return s ? 4 + pad4(strlen(s)) : 0;
}

static void opt_str(struct cap_buf *b, uint16_t code, const char *s)
{
	if (s)
		opt_put(b, code, s, strlen(s) > 65535 ? 65535 : strlen(s));
}

int cap_block_shb(struct cap_buf *b, const char *hardware, const char *os,
		  const char *userappl)
{
	size_t start, body = 16 + opt_size(hardware) + opt_size(os) + opt_size(userappl) + 4;
	uint8_t *p;

	if (block_begin(b, PCAPNG_SHB, body, &start))
		return -ENOMEM;
	p = cap_buf_grow(b, 16);
	le32_put(p, PCAPNG_BOM);
	le16_put(p + 4, 1); /* major */
	le16_put(p + 6, 0); /* minor */
	le64_put(p + 8, UINT64_MAX); /* section length: not specified */
	opt_str(b, SHB_HARDWARE, hardware);
	opt_str(b, SHB_OS, os);
	opt_str(b, SHB_USERAPPL, userappl);
	opt_put(b, OPT_ENDOFOPT, NULL, 0);
	block_end(b, start);
	return 0;
}

int cap_block_idb(struct cap_buf *b)
{
	static const char name[] = "asight";
	const uint8_t tsresol = 9;
	size_t start;
	uint8_t *p;

	if (block_begin(b, PCAPNG_IDB, 8 + 12 + 8 + 4, &start))
		return -ENOMEM;
	p = cap_buf_grow(b, 8);
	le16_put(p, LINKTYPE_LINUX_SLL2);
	le16_put(p + 2, 0);
	le32_put(p + 4, 0); /* snaplen: no limit */
	opt_put(b, IF_NAME, name, sizeof(name) - 1);
	opt_put(b, IF_TSRESOL, &tsresol, 1);
	opt_put(b, OPT_ENDOFOPT, NULL, 0);
	block_end(b, start);
	return 0;
}

int cap_block_custom(struct cap_buf *b, const void *p1, size_t n1,
		     const void *p2, size_t n2, const void *p3, size_t n3)
{
	size_t start, n = n1 + n2 + n3;
	uint8_t *p;

	if (n > PCAPNG_MAX_BLOCK - 64)
		return -E2BIG;
	if (block_begin(b, PCAPNG_CB_COPY, 4 + pad4(n), &start))
		return -ENOMEM;
	/* grow without the memset of cap_buf_grow: this is the hot path */
	p = b->p + b->len;
	le32_put(p, CAP_PEN);
	p += 4;
	if (n1)
		memcpy(p, p1, n1);
	if (n2)
		memcpy(p + n1, p2, n2);
	if (n3)
		memcpy(p + n1 + n2, p3, n3);
	memset(p + n, 0, pad4(n) - n);
	b->len += 4 + pad4(n);
	block_end(b, start);
	return 0;
}

static void opt_u64(struct cap_buf *b, uint16_t code, uint64_t v)
{
	uint8_t tmp[8];

	le64_put(tmp, v);
	opt_put(b, code, tmp, 8);
}

/* pcapng timestamps are split into high and low 32-bit halves. */
static void opt_ts(struct cap_buf *b, uint16_t code, uint64_t ts)
{
	uint8_t tmp[8];

	le32_put(tmp, (uint32_t)(ts >> 32));
	le32_put(tmp + 4, (uint32_t)ts);
	opt_put(b, code, tmp, 8);
}

int cap_block_isb(struct cap_buf *b, uint64_t ts_real_ns, uint64_t start_real_ns,
		  uint64_t recv, uint64_t drop, uint64_t osdrop, uint64_t delivered)
{
	size_t start;
	uint8_t *p;

	if (block_begin(b, PCAPNG_ISB, 12 + 6 * 12 + 4, &start))
		return -ENOMEM;
	p = cap_buf_grow(b, 12);
	le32_put(p, 0); /* interface id */
	le32_put(p + 4, (uint32_t)(ts_real_ns >> 32));
	le32_put(p + 8, (uint32_t)ts_real_ns);
	opt_ts(b, ISB_STARTTIME, start_real_ns);
	opt_ts(b, ISB_ENDTIME, ts_real_ns);
	opt_u64(b, ISB_IFRECV, recv);
	opt_u64(b, ISB_IFDROP, drop);
	opt_u64(b, ISB_OSDROP, osdrop);
	opt_u64(b, ISB_USRDELIV, delivered);
	opt_put(b, OPT_ENDOFOPT, NULL, 0);
	block_end(b, start);
	return 0;
}

int cap_block_epb(struct cap_buf *b, uint64_t ts_real_ns, const void *data, uint32_t caplen,
		  uint32_t origlen, uint32_t epb_flags)
{
	size_t start, body = 20 + pad4(caplen) + (epb_flags ? 12 : 0);
	uint8_t *p, tmp[4];

	if (caplen > PCAPNG_MAX_BLOCK - 64)
		return -E2BIG;
	if (block_begin(b, PCAPNG_EPB, body, &start))
		return -ENOMEM;
	p = cap_buf_grow(b, 20 + pad4(caplen));
	le32_put(p, 0); /* interface id */
	le32_put(p + 4, (uint32_t)(ts_real_ns >> 32));
	le32_put(p + 8, (uint32_t)ts_real_ns);
	le32_put(p + 12, caplen);
	le32_put(p + 16, origlen);
	if (caplen)
		memcpy(p + 20, data, caplen);
	if (epb_flags) {
		le32_put(tmp, epb_flags);
		opt_put(b, EPB_FLAGS, tmp, 4);
		opt_put(b, OPT_ENDOFOPT, NULL, 0);
	}
	block_end(b, start);
	return 0;
}
