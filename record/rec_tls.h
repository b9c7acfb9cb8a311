/* SPDX-License-Identifier: MIT */
/*
 * rec_tls.h - find TLS libraries and binaries and attach the TLS uprobes.
 *
 * Targets come from /proc/PID/maps (executable file mappings) and the ELF
 * symbol tables (.dynsym, then .symtab) of those files: a file that defines
 * SSL_write/SSL_read/SSL_write_ex/SSL_read_ex (OpenSSL 1.1/3, and binaries
 * such as node that export them), gnutls_record_send/recv (GnuTLS) or
 * PR_Write/PR_Read/PR_Send/PR_Recv (NSPR/NSS) gets an entry and a return
 * uprobe per function, for every process (the kernel filter decides who is
 * traced).  No fixed paths, no external commands.  Each attached function
 * is described by a CAP_REC_TARGET record (path, build_id, symbol, offset,
 * kind, method, pid, index) handed to @emit; cap_tls.target is that index.
 * A file with none of these symbols goes to rec_disc (stripped static
 * binaries: BoringSSL in Bun, ...); what it finds is attached the same way
 * and its record also says "discovery": "cache" or "scan N s".
 *
 * Files are examined once, keyed by (device, inode).  Processes that map a
 * TLS library later are covered by the control records of the kernel side
 * (rec_tls_on_ctrl), which name a newly mapped executable file.
 */
#ifndef AS_RECORD_REC_TLS_H
#define AS_RECORD_REC_TLS_H

#include <stddef.h>
#include <stdint.h>

struct rec_bpf;
struct rec_tls;
struct asr_ctrl;

/* receives each CAP_REC_TARGET record built (copied by the callee) */
typedef void (*rec_tls_emit_fn)(void *ctx, const void *rec, size_t len);

int rec_tls_new(struct rec_bpf *b, rec_tls_emit_fn emit, void *ctx, struct rec_tls **out);

/* Examine every executable mapping of every process. */
void rec_tls_scan_all(struct rec_tls *t);

/* Examine the executable mappings of one process. */
void rec_tls_scan_pid(struct rec_tls *t, uint32_t pid);

/* Examine one file given by the user (--tls-lib); 0 if it had targets. */
int rec_tls_add_path(struct rec_tls *t, const char *path);

/* A control record from the kernel side: process @pid mapped a new file. */
void rec_tls_on_ctrl(struct rec_tls *t, uint32_t pid, const struct asr_ctrl *c);

/* Functions attached so far; failures so far. */
unsigned rec_tls_attached(const struct rec_tls *t);
unsigned rec_tls_failed(const struct rec_tls *t);

void rec_tls_free(struct rec_tls *t);

#endif
