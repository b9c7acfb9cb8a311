/* SPDX-License-Identifier: MIT */
/*
 * an_pkt.h - decode a packet (CAP_REC_PACKET: an Enhanced Packet Block as
 * the reader hands it out with cap_reader_opts.packets) into the fields
 * of `asanalyze dump`: its length, interface, direction and a one-line
 * summary of IPv4/IPv6 with TCP, UDP or ICMP ("udp 127.0.0.1:41000 >
 * 127.0.0.1:53").  The link layer is LINUX_SLL2 (ascap(5)).
 */
#ifndef AS_ANALYZE_AN_PKT_H
#define AS_ANALYZE_AN_PKT_H

#include "an_rec.h"
#include "format/cap_reader.h"

/* Fill @d for @rec (hdr.type CAP_REC_PACKET); no payload is shown. */
void an_pkt_decode(struct an_rec *d, const struct cap_rec *rec);

#endif
