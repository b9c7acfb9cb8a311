/* SPDX-License-Identifier: MIT */
/*
 * bundle.c - reading incident bundles (see bundle.h): detection by
 * content, members into memfds, manifest checks, names in messages.
 */
#include "bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define FD_PREFIX "/proc/self/fd/"
#define MEMFD_PREFIX "/memfd:"
#define MEMFD_SUFFIX " (deleted)"
#define MEMFD_NAME_MAX 249
#define TAR_BLOCK 512

/*
 * What one bundle may unpack to: members are copied into memory (captures,
 * the manifest) or at least hashed (the rest), so a bundle whose members
 * claim far more than its own size (a zstd bomb, a sparse member, a forged
 * size) is refused before the copy rather than filling memory or taking
 * minutes.  Captures are zstd already, so honest bundles stay near 1:1;
 * the SQLite export compresses some 5-10 times.
 */
#define LIMIT_RATIO 64
#define LIMIT_FLOOR (64ull << 20)

struct budget {
	uint64_t limit, used;  /* member bytes (and headers) so far */
	int from_env;
};

void bundle_hex(const uint8_t sha[32], char hex[65])
{
	static const char d[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		hex[2 * i] = d[sha[i] >> 4];
		hex[2 * i + 1] = d[sha[i] & 15];
	}
	hex[64] = 0;
}

/* "123", "64k", "512M", "2G" (powers of 1024); 0 on success. */
static int parse_size(const char *s, uint64_t *v)
{
	unsigned long long n;
	char *end;
	int shift = 0;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	if (*end == 'k' || *end == 'K')
		shift = 10;
	else if (*end == 'm' || *end == 'M')
		shift = 20;
	else if (*end == 'g' || *end == 'G')
		shift = 30;
	if (shift)
		end++;
	if (*end || (shift && n > (UINT64_MAX >> shift)))
		return -EINVAL;
	*v = (uint64_t)n << shift;
	return 0;
}

/* LIMIT_RATIO times the bundle's size, at least LIMIT_FLOOR; or
 * $ASIGHT_BUNDLE_MAX (bytes, 0: no limit). */
static int budget_init(struct budget *bg, const char *path, char *msg, size_t msg_size)
{
	const char *env = getenv(BUNDLE_LIMIT_ENV);
	struct stat st;

	memset(bg, 0, sizeof(*bg));
	if (env && *env) {
		if (parse_size(env, &bg->limit)) {
			snprintf(msg, msg_size, "%s: not a size: '%s'", BUNDLE_LIMIT_ENV, env);
			return -EINVAL;
		}
		if (!bg->limit)
			bg->limit = UINT64_MAX;
		bg->from_env = 1;
		return 0;
	}
	bg->limit = LIMIT_FLOOR;
	if (!stat(path, &st) && (uint64_t)st.st_size > LIMIT_FLOOR / LIMIT_RATIO)
		bg->limit = (uint64_t)st.st_size > UINT64_MAX / LIMIT_RATIO
				    ? UINT64_MAX : (uint64_t)st.st_size * LIMIT_RATIO;
	return 0;
}

/* Charge @n bytes of member @name (at tar offset @off; @size bytes, or at
 * least that when @more) against @bg; 0, or -EFBIG with @msg saying what. */
static int budget_take(struct budget *bg, const char *path, const char *name, int64_t off,
		       uint64_t n, uint64_t size, int more, char *msg, size_t msg_size)
{
	char lim[64];

	if (n <= bg->limit - bg->used) {
		bg->used += n;
		return 0;
	}
	if (bg->from_env)
		snprintf(lim, sizeof(lim), "%s=%llu", BUNDLE_LIMIT_ENV,
			 (unsigned long long)bg->limit);
	else
		snprintf(lim, sizeof(lim), "%d times its size, at least %llu MiB", LIMIT_RATIO,
			 (unsigned long long)(LIMIT_FLOOR >> 20));
	snprintf(msg, msg_size, "'%s:%s': tar offset %lld: member of %s%llu bytes is past the "
		 "bundle's unpack limit of %llu bytes (%s); %s raises it", path, name,
		 (long long)off, more ? "at least " : "", (unsigned long long)size,
		 (unsigned long long)bg->limit, lim, BUNDLE_LIMIT_ENV);
	return -EFBIG;
}

/* The first 512 bytes (one tar header) of @path, decompressed when it is
 * zstd; returns the count. */
static size_t first_block(const char *path, uint8_t out[512])
{
	uint8_t in[4096];
	ssize_t n;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ZSTD_DStream *z;

	if (fd < 0)
		return 0;
	n = read(fd, in, sizeof(in));
	if (n < 4 || in[0] != 0x28 || in[1] != 0xb5 || in[2] != 0x2f || in[3] != 0xfd) {
		got = n > 0 ? ((size_t)n < 512 ? (size_t)n : 512) : 0;
		memcpy(out, in, got);
		close(fd);
		return got;
	}
	z = ZSTD_createDStream();
	while (z && n > 0 && got < 512) {
		ZSTD_inBuffer ib = { in, (size_t)n, 0 };

		while (ib.pos < ib.size && got < 512) {
			ZSTD_outBuffer ob = { out, 512, got };

			/* zstd progresses while it has output room */
			if (ZSTD_isError(ZSTD_decompressStream(z, &ob, &ib)))
				goto out;
			got = ob.pos;
		}
		n = read(fd, in, sizeof(in));
	}
out:
	ZSTD_freeDStream(z);
	close(fd);
	return got;
}

int bundle_detect(const char *path)
{
	uint8_t b[512];
	struct stat st;

	size_t n, len = strlen(path);

	/* a pcapng SHB never has the ustar magic at 257; a tar always does */
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	n = first_block(path, b);
	if (n == 512)
		return !memcmp(b + 257, "ustar", 5);
	/* too short to tell (a bundle cut inside its first zstd block): go by
	 * the name, so that the reader says what is wrong with the bundle */
	return len > 8 && !strcmp(path + len - 8, ".tar.zst");
}

/* A memfd named "BUNDLE:MEMBER" (the tail when too long). */
static int member_memfd(const char *bundle, const char *member)
{
	char name[1024];
	size_t len;

	snprintf(name, sizeof(name), "%s:%s", bundle, member);
	len = strlen(name);
	return memfd_create(len > MEMFD_NAME_MAX ? name + len - MEMFD_NAME_MAX : name,
			    MFD_CLOEXEC);
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n) {
		w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int is_capture_member(const char *name)
{
	return !strncmp(name, BUNDLE_CAPDIR, strlen(BUNDLE_CAPDIR)) &&
	       name[strlen(BUNDLE_CAPDIR)] && !strchr(name + strlen(BUNDLE_CAPDIR), '/');
}

/* Copy the current entry's data: hashed, into a memfd for captures, into
 * memory for the manifest. */
static int read_member(struct archive *a, struct bundle *b, struct bundle_member *m,
		       struct budget *bg, int64_t off, char *msg, size_t msg_size)
{
	static const size_t chunk = 256 * 1024;
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	FILE *mf = NULL;
	size_t mlen = 0;
	char *buf = malloc(chunk);
	la_ssize_t n;
	int rc = 0;

	if (!strcmp(m->name, BUNDLE_MANIFEST))
		mf = open_memstream(&b->manifest, &mlen);
	if (!h || !buf || (!strcmp(m->name, BUNDLE_MANIFEST) && !mf)) {
		rc = -ENOMEM;
		snprintf(msg, msg_size, "'%s': out of memory", b->path);
		goto out;
	}
	EVP_DigestInit_ex(h, EVP_sha256(), NULL);
	while ((n = archive_read_data(a, buf, chunk)) > 0) {
		/* the size was checked before; this stops a reader that lies */
		if ((rc = budget_take(bg, b->path, m->name, off, (uint64_t)n,
				      m->size + (uint64_t)n, 1, msg, msg_size)))
			goto out;
		EVP_DigestUpdate(h, buf, (size_t)n);
		m->size += (uint64_t)n;
		if (m->fd >= 0 && (rc = write_all(m->fd, buf, (size_t)n))) {
			snprintf(msg, msg_size, "'%s:%s': cannot copy to memory: %s", b->path,
				 m->name, strerror(-rc));
			goto out;
		}
		if (mf && fwrite(buf, 1, (size_t)n, mf) != (size_t)n)
			rc = -ENOMEM;
	}
	if (n < 0) {
		rc = -EBADMSG;
		snprintf(msg, msg_size, "'%s:%s': %s", b->path, m->name, archive_error_string(a));
	}
	EVP_DigestFinal_ex(h, m->sha, NULL);
out:
	if (mf)
		fclose(mf);
	EVP_MD_CTX_free(h);
	free(buf);
	return rc;
}

static int add_member(struct bundle *b, struct archive *a, struct archive_entry *e,
		      struct budget *bg, char *msg, size_t msg_size)
{
	int64_t off = archive_read_header_position(a), size = archive_entry_size(e);
	struct bundle_member *m, *nm;
	struct timespec ts[2];
	int rc;

	nm = realloc(b->m, (b->n + 1) * sizeof(*b->m));
	if (!nm)
		return -ENOMEM;
	b->m = nm;
	m = &b->m[b->n];
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->name = strdup(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
	if (!m->name)
		return -ENOMEM;
	b->n++;
	m->mtime = archive_entry_mtime(e);
	/* the header's own bytes count too: no end of empty members either */
	if ((rc = budget_take(bg, b->path, m->name, off, TAR_BLOCK, TAR_BLOCK, 1, msg, msg_size)))
		return rc;
	if (archive_entry_filetype(e) != AE_IFREG)
		return 0;
	/* refused before a byte is copied; charged as it is read */
	if (archive_entry_size_is_set(e) && size > 0 && (uint64_t)size > bg->limit - bg->used)
		return budget_take(bg, b->path, m->name, off, (uint64_t)size, (uint64_t)size, 0,
				   msg, msg_size);
	if (is_capture_member(m->name)) {
		m->fd = member_memfd(b->path, m->name);
		if (m->fd < 0) {
			snprintf(msg, msg_size, "'%s:%s': memfd_create: %s", b->path, m->name,
				 strerror(errno));
			return -errno;
		}
		snprintf(m->path, sizeof(m->path), FD_PREFIX "%d", m->fd);
		b->ncaptures++;
	}
	if ((rc = read_member(a, b, m, bg, off, msg, msg_size)))
		return rc == -EFBIG ? rc : -EBADMSG;
	if (m->fd >= 0) {
		/* the member's time, so a cache stamped with it stays fresh */
		ts[0].tv_sec = ts[1].tv_sec = m->mtime;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		futimens(m->fd, ts);
	}
	return 0;
}

int bundle_read(const char *path, struct bundle **out, char *msg, size_t msg_size)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct bundle *b = calloc(1, sizeof(*b));
	struct budget bg;
	int rc = 0, r;

	*out = NULL;
	if (!a || !b || !(b->path = strdup(path))) {
		snprintf(msg, msg_size, "'%s': out of memory", path);
		rc = -ENOMEM;
		goto fail;
	}
	if ((rc = budget_init(&bg, path, msg, msg_size)))
		goto fail;
	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 256 * 1024) != ARCHIVE_OK) {
		snprintf(msg, msg_size, "'%s': %s", path, archive_error_string(a));
		rc = -EIO;
		goto fail;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		msg[0] = 0;
		rc = add_member(b, a, e, &bg, msg, msg_size);
		if (rc) {
			if (!msg[0])
				snprintf(msg, msg_size, "'%s': %s", path, strerror(-rc));
			goto fail;
		}
	}
	if (r != ARCHIVE_EOF) {
		snprintf(msg, msg_size, "'%s': %s%s%s", path,
			 b->n ? "after member " : "", b->n ? b->m[b->n - 1].name : "",
			 b->n ? ": bad archive" : archive_error_string(a));
		if (b->n && archive_error_string(a))
			snprintf(msg + strlen(msg), msg_size - strlen(msg), " (%s)",
				 archive_error_string(a));
		rc = -EBADMSG;
		goto fail;
	}
	archive_read_free(a);
	*out = b;
	return 0;
fail:
	archive_read_free(a);
	bundle_free(b, 0);
	return rc;
}

void bundle_free(struct bundle *b, int keep_fds)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->n; i++) {
		if (b->m[i].fd >= 0 && !keep_fds)
			close(b->m[i].fd);
		free(b->m[i].name);
	}
	free(b->m);
	free(b->manifest);
	free(b->path);
	free(b);
}
