/* SPDX-License-Identifier: MIT */
/*
 * export_pcapng.h - the decrypted HTTP conversations of a capture as a
 * plain pcapng file Wireshark and tshark dissect as HTTP.
 *
 * Every TLS connection that carried HTTP/1.x or HTTP/2 becomes a made-up
 * TCP stream (SYN, SYN-ACK, ACK, data segments of at most 1400 bytes with
 * consistent seq/ack, FIN) over raw IPv4 or IPv6 (LINKTYPE_RAW, one
 * interface for the file): the server address is the real one when the
 * socket's connect() was captured (model_conn_net), else a stable one
 * from 198.18.0.0/15 (fd00:a5::/64 for IPv6); the client is 10.P.P.P
 * (fd00:a5:1::P), P the traced process id, and the client port is made
 * from the connection number.  The
 * server port is always 80 so Wireshark's HTTP dissector (which also
 * recognises the HTTP/2 connection preface there) takes the plaintext;
 * the real endpoint is in the packet comments.
 *
 * The messages are re-framed from the analysis model, not copied from the
 * wire: HTTP/1.x bodies are decoded (no Content-Encoding, no chunking) and
 * carry a Content-Length; HTTP/2 header blocks are re-encoded with HPACK
 * literals (no Huffman, no dynamic table) and bodies sent as DATA frames.
 * SSE bodies are split at event boundaries with each event's capture time.
 * Header values, targets and bodies are redacted (redact.h) unless
 * @redact is 0.  WebSocket messages and TLS connections without HTTP are
 * left out.
 *
 * Each Enhanced Packet Block has an opt_comment with the process id and
 * comm; the first packet of a stream also names the real endpoint, SNI
 * and connection number.  Timestamps are the records' wall-clock times in
 * nanoseconds (if_tsresol 9).
 */
#ifndef AS_ANALYZE_EXPORT_PCAPNG_H
#define AS_ANALYZE_EXPORT_PCAPNG_H

#include <stdio.h>

#include "analyze/causal.h"
#include "analyze/model.h"

/* Synthetic server port: Wireshark dissects it as HTTP. */
#define EXPORT_PCAPNG_PORT 80

/* Write the file; returns packets written or -errno.  @cz is unused (the
 * signature matches the other exports). */
long export_pcapng_write(const struct model *m, const struct causal *cz, FILE *f, int redact);

#endif
