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

	/* a pcapng SHB never has the ustar magic at 257; a tar always does */
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	return first_block(path, b) == 512 && !memcmp(b + 257, "ustar", 5);
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
		       char *msg, size_t msg_size)
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

static int add_member(struct bundle *b, struct archive *a, struct archive_entry *e, char *msg,
		      size_t msg_size)
{
	struct bundle_member *m, *nm;
	struct timespec ts[2];

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
	if (archive_entry_filetype(e) != AE_IFREG)
		return 0;
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
	if (read_member(a, b, m, msg, msg_size))
		return -EBADMSG;
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
	int rc = 0, r;

	*out = NULL;
	if (!a || !b || !(b->path = strdup(path))) {
		snprintf(msg, msg_size, "'%s': out of memory", path);
		rc = -ENOMEM;
		goto fail;
	}
	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 256 * 1024) != ARCHIVE_OK) {
		snprintf(msg, msg_size, "'%s': %s", path, archive_error_string(a));
		rc = -EIO;
		goto fail;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		msg[0] = 0;
		rc = add_member(b, a, e, msg, msg_size);
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
