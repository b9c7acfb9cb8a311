/* SPDX-License-Identifier: MIT */
/*
 * rec_pcap.h - packet capture for `asrecord -i IFACE [-f FILTER]`.
 *
 * libpcap 1.10 offers LINUX_SLL2 (the capture's one link type) only on the
 * "any" device; a named device gives its own link type (lo and Ethernet:
 * EN10MB).  So every capture opens "any" with LINUX_SLL2, and a named
 * IFACE becomes the filter "ifindex N and (FILTER)": packets of any
 * interface fit the file's single IDB unconverted, each SLL2 header names
 * its interface.  The "any" device is never promiscuous.
 *
 * A thread polls the pcap fd (100 ms timeout, so stopping is prompt),
 * copies packets into queue chunks of kind REC_CHUNK_PACKETS (struct
 * rec_pkt + bytes each) and hands them to the writer thread with
 * rec_queue_trypush: it never waits for the writer, and a packet that
 * finds the queue full is counted in qdrops, never lost silently.
 *
 * Calling sequence:
 *   rec_pcap_open(&cfg, &p, err, len);    before tracing starts: bad IFACE
 *                                         or FILTER is reported here
 *   rec_pcap_start(p, q);                 once the writer runs
 *   rec_pcap_counts(p, &c);               any thread, any time
 *   rec_pcap_stop(p);                     before rec_queue_close(q)
 *   rec_pcap_free(p);
 */
#ifndef AS_RECORD_REC_PCAP_H
#define AS_RECORD_REC_PCAP_H

#include <stddef.h>
#include <stdint.h>

struct rec_queue;
struct rec_pcap;

/* packets are cut to at most this many bytes (tcpdump's default) */
#define REC_PCAP_SNAP_MAX 262144u

struct rec_pcap_cfg {
	const char *iface;     /* "any" or an interface name */
	const char *filter;    /* pcap filter expression, or NULL */
	uint32_t snaplen;      /* 1..REC_PCAP_SNAP_MAX */
};

/* One packet in a REC_CHUNK_PACKETS chunk; caplen bytes follow. */
struct rec_pkt {
	uint64_t ts_real_ns;   /* CLOCK_REALTIME ns (pcap's nanosecond stamp) */
	uint32_t caplen;
	uint32_t origlen;
	uint32_t epb_flags;    /* pcapng epb_flags: 1 inbound, 2 outbound */
	uint32_t pad;
};

struct rec_pcap_counts {
	uint64_t recv;         /* pcap ps_recv */
	uint64_t drops;        /* pcap ps_drop: kernel buffer full */
	uint64_t ifdrops;      /* pcap ps_ifdrop: dropped by the interface */
	uint64_t qdrops;       /* dropped here: the recorder's queue was full */
	uint64_t truncs;       /* packets cut by the snaplen */
	uint64_t seen;         /* packets handed out by libpcap */
};

/*
 * Open and activate the device, select LINUX_SLL2 and install the filter.
 * On failure @err holds a message such as "-f 'xx yy': syntax error".
 */
int rec_pcap_open(const struct rec_pcap_cfg *cfg, struct rec_pcap **out, char *err,
		  size_t len);

/* What is captured, for the capture's META ("lo (ifindex 1) on any"). */
const char *rec_pcap_desc(const struct rec_pcap *p);

/* The filter installed on the device (after the ifindex rewrite). */
const char *rec_pcap_filter(const struct rec_pcap *p);

int rec_pcap_start(struct rec_pcap *p, struct rec_queue *q);

void rec_pcap_counts(struct rec_pcap *p, struct rec_pcap_counts *c);

/* Stop the thread after handing over every packet libpcap still holds. */
void rec_pcap_stop(struct rec_pcap *p);

/* Accepts NULL; stops first when running. */
void rec_pcap_free(struct rec_pcap *p);

#endif
