/* SPDX-License-Identifier: MIT */
/*
 * cap_block.h - pcapng 1.0 block constants and encoders (little-endian).
 *
 * Blocks used in a capture (man/ascap.5 is the contract):
 *   SHB  0x0A0D0D0A  exactly one per file, first block of the first frame
 *   IDB  0x00000001  exactly one per section, link type LINKTYPE_LINUX_SLL2
 *   CB   0x00000BAD  copyable Custom Block: PEN (CAP_PEN), then one record
 *                    (struct cap_rec_hdr + fixed + data), zero-padded to 4;
 *                    no options
 *   ISB  0x00000005  interface statistics (drop counters), interface 0
 *   EPB  0x00000006  Enhanced Packet Block on interface 0 (asrecord -i):
 *                    one LINUX_SLL2 packet, timestamp in ns since the epoch
 * Every block: u32 type, u32 total_length, body, u32 total_length;
 * total_length is a multiple of 4 and at least 12.
 *
 * Encoders append to a cap_buf and return 0 or -ENOMEM.
 */
#ifndef AS_FORMAT_CAP_BLOCK_H
#define AS_FORMAT_CAP_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "cap_buf.h"

#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_ISB 0x00000005u
#define PCAPNG_EPB 0x00000006u
#define PCAPNG_CB_COPY 0x00000BADu
#define PCAPNG_CB_NOCOPY 0x40000BADu
#define PCAPNG_BOM 0x1A2B3C4Du
#define PCAPNG_MAX_BLOCK (16u * 1024u * 1024u) /* libpcap's cap */
#define LINKTYPE_LINUX_SLL2 276

/* option codes */
#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define SHB_HARDWARE 2
#define SHB_OS 3
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_TSRESOL 9
#define ISB_STARTTIME 2
#define ISB_ENDTIME 3
#define ISB_IFRECV 4
#define ISB_IFDROP 5
#define ISB_OSDROP 7
#define ISB_USRDELIV 8
#define EPB_FLAGS 2

/* SHB with the given options (NULL = absent); section length -1. */
int cap_block_shb(struct cap_buf *b, const char *hardware, const char *os,
		  const char *userappl);

/* The one IDB: LINUX_SLL2, snaplen 0, if_name "asight", if_tsresol 9 (ns). */
int cap_block_idb(struct cap_buf *b);

/*
 * Custom Block holding one record made of up to three parts (hdr, fixed,
 * data), concatenated and padded.  Any part may be NULL with length 0.
 */
int cap_block_custom(struct cap_buf *b, const void *p1, size_t n1,
		     const void *p2, size_t n2, const void *p3, size_t n3);

/* ISB for interface 0 at @ts_real_ns (epoch ns) with the given counters. */
int cap_block_isb(struct cap_buf *b, uint64_t ts_real_ns, uint64_t start_real_ns,
		  uint64_t recv, uint64_t drop, uint64_t osdrop, uint64_t delivered);

/*
 * EPB for interface 0: @caplen bytes of @data (a LINUX_SLL2 frame), the
 * original length @origlen and the timestamp @ts_real_ns (epoch ns, the
 * IDB's if_tsresol 9).  @epb_flags != 0 adds an epb_flags option.
 * -E2BIG when the block would pass PCAPNG_MAX_BLOCK.
 */
int cap_block_epb(struct cap_buf *b, uint64_t ts_real_ns, const void *data, uint32_t caplen,
		  uint32_t origlen, uint32_t epb_flags);

#endif
