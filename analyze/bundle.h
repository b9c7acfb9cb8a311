/* SPDX-License-Identifier: MIT */
/*
 * bundle.h - incident bundles: a pax/ustar tar, zstd-compressed, holding
 * capture files (captures/NAME, byte-exact), the SQLite export
 * (analysis.db), a text summary (SUMMARY.txt) and a manifest
 * (MANIFEST.json, SHA256SUMS) with the SHA-256 of every member and each
 * capture's chain hashes.  See asanalyze(1), verb bundle.
 *
 * Reading never unpacks to disk: capture members are copied through
 * libarchive into memfds, and the readers are handed /proc/self/fd/N
 * paths.  Each memfd is named after "BUNDLE:MEMBER" so messages can name
 * the bundle and member again (bundle_name, bundle_fix_text) without any
 * table kept on the side.
 *
 * Calling sequence (verbs that take capture FILEs):
 *   bundle_expand(&argc, &argv, optind, msg, sizeof(msg));
 *   ... paths in argv[optind..] are now plain captures ...
 * The memfds stay open until the process exits.
 */
#ifndef AS_ANALYZE_BUNDLE_H
#define AS_ANALYZE_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#define BUNDLE_CAPDIR "captures/"
#define BUNDLE_DB "analysis.db"
#define BUNDLE_SUMMARY "SUMMARY.txt"
#define BUNDLE_MANIFEST "MANIFEST.json"
#define BUNDLE_SUMS "SHA256SUMS"
/* Bytes a bundle may unpack to (members and their headers): by default 64
 * times the bundle's size, at least 64 MiB; this variable (bytes, or with
 * k, M, G; 0: no limit) replaces it.  See bundle_read. */
#define BUNDLE_LIMIT_ENV "ASIGHT_BUNDLE_MAX"

struct bundle_member {
	char *name;            /* member path in the archive */
	uint64_t size;
	int64_t mtime;
	uint8_t sha[32];       /* SHA-256 of its bytes as read */
	int fd;                /* memfd holding a capture member, or -1 */
	char path[32];         /* "/proc/self/fd/N" when fd >= 0 */
};

struct bundle {
	char *path;
	struct bundle_member *m;
	size_t n;
	char *manifest;        /* MANIFEST.json text, NUL-terminated, or NULL */
	size_t ncaptures;
};

/* 1 when @path is a tar (zstd-compressed or plain) rather than a capture;
 * 0 otherwise, including when it cannot be read (the caller's own open
 * reports that). */
int bundle_detect(const char *path);

/*
 * Read every member of bundle @path: capture members into memfds, the
 * manifest into memory, every member hashed.  0, or -errno with @msg
 * naming the bundle (and member); -EFBIG when the members would unpack
 * past the limit (BUNDLE_LIMIT_ENV), refused before they are copied.
 */
int bundle_read(const char *path, struct bundle **out, char *msg, size_t msg_size);

/* Closes the memfds too unless @keep_fds.  Accepts NULL. */
void bundle_free(struct bundle *b, int keep_fds);

/*
 * Check every member against MANIFEST.json and each manifest entry against
 * the members; @report gets one message per problem ("'B:M': sha256
 * mismatch: ..."), naming the member.  Returns the number of problems.
 */
size_t bundle_check(const struct bundle *b, void (*report)(void *ctx, const char *msg),
		    void *ctx);

/*
 * Replace each bundle among (*argv)[first..*argc) by the /proc/self/fd
 * paths of its capture members (in archive order).  *argv becomes a new
 * array (owned by the process from then on) when anything changed.
 * 0, or -errno with @msg set.
 */
int bundle_expand(int *argc, char ***argv, int first, char *msg, size_t msg_size);

/* "BUNDLE:MEMBER" for the /proc/self/fd path of a bundle member, else
 * @path itself.  Returns @buf or @path. */
const char *bundle_name(const char *path, char *buf, size_t size);

/* Rewrite every /proc/self/fd/N of a bundle member in @s (NUL-terminated,
 * @size bytes available) into its "BUNDLE:MEMBER" name. */
void bundle_fix_text(char *s, size_t size);

/*
 * asreplay: when its only input is a bundle, replace it by the capture
 * members and, unless *db is set, cache the analysis in BUNDLE.db (or
 * under $XDG_CACHE_HOME/asight when the bundle's directory is read-only).
 * The memfds get the members' mtimes, so the cache stays fresh.
 * 0 (also when nothing was a bundle), or -errno with @msg.
 */
int bundle_replay_inputs(char ***files, int *nfiles, const char **db, char *msg,
			 size_t msg_size);

/* The manifest's record of capture @member: final chain hash (hex, "" when
 * the capture had no footer) and frame count.  0, or -ENOENT. */
int bundle_manifest_capture(const struct bundle *b, const char *member, char hash[65],
			    uint64_t *frames);

/* Lower-case hex of a SHA-256 into @hex (65 bytes). */
void bundle_hex(const uint8_t sha[32], char hex[65]);

#endif
