/* SPDX-License-Identifier: MIT */
/*
 * cap_parse.h - I/O-free checks of pcapng blocks and asight records, shared
 * by the streaming reader (cap_reader.c) and the seek code (cap_seek.c).
 *
 * Check order follows libpcap's sf-pcapng.c: minimum length, multiple of 4,
 * maximum (PCAPNG_MAX_BLOCK) before anything is allocated, trailer equal to
 * header, then fields through le*_get on bytes, never struct casts.
 *
 * Every function that can fail writes a lower-case reason without a full
 * stop into @why (always NUL-terminated) and returns a negative code:
 * -EBADMSG corrupt, -E2BIG over a limit, -EPROTONOSUPPORT unsupported.
 */
#ifndef AS_FORMAT_CAP_PARSE_H
#define AS_FORMAT_CAP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "cap_buf.h"
#include "cap_reader.h"

#define CAP_PARSE_WHY 160

/*
 * Look at the block starting at @p with @avail bytes present.
 * Returns 1 when the whole block is present and sane (*type, *len set),
 * 0 when more bytes are needed (*need = bytes the block needs in total,
 * never more than PCAPNG_MAX_BLOCK), < 0 when the block is corrupt.
 */
int cap_parse_block(const uint8_t *p, size_t avail, uint32_t *type, uint32_t *len,
		    size_t *need, char *why);

/*
 * Check a whole Section Header Block (@len bytes at @p) and append its
 * string options to @meta as "shb_hardware=...\0" etc. (@meta may be NULL).
 * Returns 0, -EPROTONOSUPPORT (version) or -EBADMSG.
 */
int cap_parse_shb(const uint8_t *p, uint32_t len, struct cap_buf *meta, char *why);

/*
 * Decode the Custom Block (@len bytes at @p) into @rec (hdr, fixed, data,
 * raw; the position fields are left alone).  Returns 1 for an asight record,
 * 0 for a custom block of another enterprise number, < 0 when corrupt.
 */
int cap_parse_record(const uint8_t *p, uint32_t len, struct cap_rec *rec, char *why);

/*
 * Decode the Enhanced Packet Block (@len bytes at @p) into @rec as a
 * CAP_REC_PACKET record: hdr.ts_ns = the block's timestamp as stored (ns
 * since the epoch for asight's IDB), orig_len and cap_len from the block,
 * CAP_RF_TRUNC when cut, data = the packet, raw = the whole block, cpu =
 * the interface id.  Returns 0 or -EBADMSG.
 */
int cap_parse_epb(const uint8_t *p, uint32_t len, struct cap_rec *rec, char *why);

/* The META clock anchor clock_real_ns - clock_mono_ns from a "key=value\0"
 * list: 1 found, -1 absent.  cap_parse_to_mono applies it (floor 0). */
int cap_parse_anchor(const uint8_t *meta, size_t len, int64_t *real_minus_mono);
uint64_t cap_parse_to_mono(uint64_t real_ns, int64_t real_minus_mono);

/* Append the "key=value\0" list @data to @meta, NUL-terminating the last
 * entry if the writer did not.  Returns 0 or -ENOMEM. */
int cap_parse_meta_add(struct cap_buf *meta, const uint8_t *data, size_t len);

#endif
