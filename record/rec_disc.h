/* SPDX-License-Identifier: MIT */
/*
 * rec_disc.h - find TLS plaintext functions in binaries without symbols.
 *
 * rec_tls first looks for exported or local symbols (SSL_write, ...).  A
 * file that has none (a stripped static binary: Bun's claude.exe with
 * BoringSSL, codex with rustls on aws-lc) goes through the finders here,
 * which locate the functions from what a build cannot strip: error-site
 * strings and reason codes, .eh_frame_hdr function bounds, call patterns.
 * No finder depends on one build's offsets.
 *
 * Results are cached by build-id (or SHA-256 of the file when it has no
 * build-id) in $ASIGHT_CACHE_DIR, default /var/cache/asight/disc, so a
 * second run on the same binary starts at once.
 */
#ifndef AS_RECORD_REC_DISC_H
#define AS_RECORD_REC_DISC_H

#include <stdint.h>

#define REC_DISC_MAX 8

/* One function found. */
struct rec_disc_func {
	uint64_t off;      /* file offset of the probed instruction */
	uint32_t cookie;   /* ASR_TLS_* | ASR_CK_* flags (bpf/probe.h) */
	char name[48];     /* what it is, e.g. "SSL_write" */
	char kind[16];     /* library, e.g. "boringssl", "aws-lc" */
	char method[128];  /* how it was found, for the TARGET record */
};

struct rec_disc_result {
	struct rec_disc_func f[REC_DISC_MAX];
	int n;
	int cached;        /* 1 when the result came from the cache */
};

/*
 * Run the finders on @path (an ELF file whose build-id is @build_id, ""
 * when it has none).  Returns the number of functions found (0 when the
 * file holds no TLS library this knows), or a negative errno.
 */
int rec_disc_find(const char *path, const char *build_id, struct rec_disc_result *out);

/* A finder: fills @out from the open file @fd; returns count or -errno. */
typedef int (*rec_disc_finder_fn)(int fd, const char *path, struct rec_disc_result *out);

int rec_disc_boringssl(int fd, const char *path, struct rec_disc_result *out);
int rec_disc_awslc(int fd, const char *path, struct rec_disc_result *out);

#endif
