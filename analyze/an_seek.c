/* SPDX-License-Identifier: MIT */
/*
 * an_seek.c - zstd seekable-format seek table reader (see an_seek.h).
 * Layout (ascap(5)): u32 0x184D2A5E, u32 size, n * {u32 comp, u32 raw},
 * u32 n, u8 descriptor, u32 0x8F92EAB1 - the last bytes of the file.
 */
#include "an_seek.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/cap_cursor.h"

#include <zstd.h>

#define SKIPPABLE_MAGIC 0x184D2A5Eu
#define SEEKABLE_MAGIC 0x8F92EAB1u
#define MAX_FRAMES (1u << 27) /* zstd's ZSTD_SEEKABLE_MAXFRAMES */

static int pread_all(int fd, void *p, size_t n, uint64_t off)
{
	ssize_t k = pread(fd, p, n, (off_t)off);

	if (k < 0)
		return -errno;
	return (size_t)k == n ? 0 : -ENODATA;
}

static int load_entries(int fd, struct an_seek *s, uint32_t n, size_t esize)
{
	uint8_t *buf = malloc((size_t)n * esize + 1);
	uint64_t off = 0;
	uint32_t i;
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = pread_all(fd, buf, (size_t)n * esize, s->table_off + 8);
	s->f = rc ? NULL : calloc(n ? n : 1, sizeof(*s->f));
	if (!rc && !s->f)
		rc = -ENOMEM;
	for (i = 0; !rc && i < n; i++) {
		s->f[i].off = off;
		s->f[i].comp_len = le32_get(buf + (size_t)i * esize);
		s->f[i].raw_len = le32_get(buf + (size_t)i * esize + 4);
		off += s->f[i].comp_len;
	}
	free(buf);
	if (!rc && off != s->table_off)
		rc = -EBADMSG; /* frames must fill the file up to the table */
	if (!rc)
		s->n = n;
	return rc;
}

int an_seek_load(const char *path, struct an_seek *s)
{
	uint8_t tail[9], head[8];
	uint32_t n, size;
	struct stat st;
	size_t esize;
	int fd, rc;

	memset(s, 0, sizeof(*s));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = fstat(fd, &st) ? -errno : 0;
	s->file_size = rc ? 0 : (uint64_t)st.st_size;
	if (!rc)
		rc = s->file_size < 17 ? -ENOENT : pread_all(fd, tail, 9, s->file_size - 9);
	if (!rc && le32_get(tail + 5) != SEEKABLE_MAGIC)
		rc = -ENOENT;
	n = rc ? 0 : le32_get(tail);
	esize = !rc && (tail[4] & 0x80) ? 12 : 8; /* bit 7: per-frame checksums */
	if (!rc && (n > MAX_FRAMES || 17 + (uint64_t)n * esize > s->file_size))
		rc = -EBADMSG;
	if (!rc) {
		s->table_off = s->file_size - 17 - (uint64_t)n * esize;
		rc = pread_all(fd, head, 8, s->table_off);
	}
	size = rc ? 0 : le32_get(head + 4);
	if (!rc && (le32_get(head) != SKIPPABLE_MAGIC || size != n * esize + 9))
		rc = -EBADMSG;
	if (!rc)
		rc = load_entries(fd, s, n, esize);
	close(fd);
	if (rc)
		an_seek_free(s);
	return rc;
}

long an_seek_frame_at(const struct an_seek *s, uint64_t off)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (off < s->f[mid].off)
			hi = mid;
		else if (off >= s->f[mid].off + s->f[mid].comp_len)
			lo = mid + 1;
		else
			return (long)mid;
	}
	return -1;
}

uint64_t an_seek_frame_no(const struct an_seek *s, size_t idx)
{
	uint64_t no = 0;
	size_t i;

	for (i = 0; i < idx && i < s->n; i++)
		if (s->f[i].raw_len)
			no++;
	return no;
}

/* Size of the (zstd or skippable) frame at @off, 0 when it is incomplete. */
static int frame_size_at(int fd, uint64_t off, uint64_t fsize, uint64_t *size)
{
	size_t win = 1u << 20, n;
	uint8_t *buf = NULL;
	int rc = 0;

	for (;;) {
		uint8_t *nb = realloc(buf, win);
		ssize_t k;

		if (!nb) {
			rc = -ENOMEM;
			break;
		}
		buf = nb;
		n = fsize - off < win ? (size_t)(fsize - off) : win;
		k = pread(fd, buf, n, (off_t)off);
		if (k != (ssize_t)n) {
			rc = k < 0 ? -errno : -EIO;
			break;
		}
		*size = ZSTD_findFrameCompressedSize(buf, n);
		if (!ZSTD_isError(*size))
			break;
		/* maybe the window was too small; never grow past the file */
		if (n < win || win >= (64u << 20)) {
			*size = 0;
			break;
		}
		win *= 4;
	}
	free(buf);
	return rc;
}

int an_seek_complete_end(const char *path, uint64_t *end)
{
	uint64_t off = 0, size = 0;
	uint8_t magic[4];
	struct stat st;
	int fd, rc = 0;

	*end = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		rc = -errno;
	else if (pread(fd, magic, 4, 0) != 4 || le32_get(magic) != ZSTD_MAGICNUMBER)
		rc = -EPROTONOSUPPORT;
	while (!rc && off < (uint64_t)st.st_size) {
		rc = frame_size_at(fd, off, (uint64_t)st.st_size, &size);
		if (rc || !size)
			break;
		off += size;
	}
	close(fd);
	*end = off;
	return rc;
}

void an_seek_free(struct an_seek *s)
{
	free(s->f);
	s->f = NULL;
	s->n = 0;
}
