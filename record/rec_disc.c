/* SPDX-License-Identifier: MIT */
/*
 * rec_disc.c - the finder table and the discovery cache (see rec_disc.h).
 *
 * Cache entry: one text file per binary, named by its build-id (or
 * "sha256-" and the file's digest), in $ASIGHT_CACHE_DIR (default
 * /var/cache/asight/disc, created 0700):
 *
 *   asight-disc 1 FINDER,FINDER...
 *   size BYTES
 *   f OFF COOKIE HEAD NAME KIND METHOD...
 *   end N
 *
 * HEAD is the first 8 bytes at OFF in hex, checked against the file when
 * the entry is read, so an entry that does not describe this file (a
 * rebuilt binary with a reused build-id, a damaged or hand-edited entry)
 * is ignored and the finders run again.  An entry made with another
 * finder table, or another version of a finder, is redone too, so a finder added later gets its chance on
 * files that found nothing before.  Results with no function are cached as
 * well: most executables mapped by an agent hold no TLS library.
 * A directory that is not ours or that others may write is not used.
 */
#include "rec_disc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

/*
 * Finders in the order they are tried; the first that finds something
 * wins.  Bump a finder's version whenever what it finds changes: cache
 * entries name every finder and version, so older entries are redone.
 */
static const struct {
	const char *name;
	int version;
	rec_disc_finder_fn fn;
} finders[] = {
	{ "boringssl", 1, rec_disc_boringssl },
	{ "aws-lc", 2, rec_disc_awslc }, /* 2: EVP_AEAD_CTX_seal_scatter too */
};
#define NFINDERS (sizeof(finders) / sizeof(finders[0]))

#define DEFAULT_DIR "/var/cache/asight/disc"
#define HEAD_LEN 8

static const char *cache_dir(void)
{
	const char *d = getenv("ASIGHT_CACHE_DIR");

	return d && *d ? d : DEFAULT_DIR;
}

static void finder_names(char *out, size_t n)
{
	size_t i, len = 0;

	out[0] = 0;
	for (i = 0; i < NFINDERS && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s/%d", i ? "," : "", finders[i].name,
					finders[i].version);
}

/* mkdir -p, the last component 0700 (it holds what we learnt of binaries) */
static int make_dir(const char *dir)
{
	char p[4096];
	size_t i, n = strlen(dir);

	if (n >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, dir, n + 1);
	for (i = 1; i < n; i++) {
		if (p[i] != '/')
			continue;
		p[i] = 0;
		if (mkdir(p, 0755) && errno != EEXIST)
			return -errno;
		p[i] = '/';
	}
	if (mkdir(p, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * What the cache says decides where uprobes go in every process that maps
 * a file: use only a directory of our own that nobody else can write.
 */
static int dir_safe(const char *dir)
{
	struct stat st;

	return !lstat(dir, &st) && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
	       !(st.st_mode & (S_IWGRP | S_IWOTH));
}

static int file_sha256(int fd, char *hex, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, i;
	struct stat st;
	void *m;
	int ok;

	if (fstat(fd, &st) || !st.st_size)
		return -EINVAL;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	ok = EVP_Digest(m, (size_t)st.st_size, md, &mdlen, EVP_sha256(), NULL);
	munmap(m, (size_t)st.st_size);
	if (!ok || n < 8 + 2 * (size_t)mdlen)
		return -EIO;
	strcpy(hex, "sha256-");
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 7 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static void head_hex(int fd, uint64_t off, char out[2 * HEAD_LEN + 1])
{
	unsigned char b[HEAD_LEN] = { 0 };
	int i;

	if (pread(fd, b, sizeof(b), (off_t)off) != (ssize_t)sizeof(b))
		memset(b, 0, sizeof(b));
	for (i = 0; i < HEAD_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* One "f ..." line into @f; 0 or -EBADMSG. */
static int parse_func(char *line, int fd, uint64_t size, struct rec_disc_func *f)
{
	char head[2 * HEAD_LEN + 1], want[2 * HEAD_LEN + 1];
	unsigned cookie;
	int used = 0;

	memset(f, 0, sizeof(*f));
	if (sscanf(line, "f %" SCNx64 " %x %16s %47s %15s %n", &f->off, &cookie, head, f->name,
		   f->kind, &used) != 5 || !used || !f->off || f->off >= size)
		return -EBADMSG;
	f->cookie = cookie;
	snprintf(f->method, sizeof(f->method), "%s", line + used);
	f->method[strcspn(f->method, "\n")] = 0;
	head_hex(fd, f->off, want);
	return strcmp(head, want) ? -EBADMSG : 0;
}

static int cache_read(const char *file, int fd, struct rec_disc_result *out)
{
	char line[512], names[256], want[256];
	struct stat st;
	uint64_t size = 0;
	int n = -1, rc = -EBADMSG;
	FILE *f = fopen(file, "re");

	if (!f)
		return -errno;
	finder_names(want, sizeof(want));
	memset(out, 0, sizeof(*out));
	if (fstat(fd, &st) || !fgets(line, sizeof(line), f) ||
	    sscanf(line, "asight-disc 1 %255s", names) != 1 || strcmp(names, want) ||
	    !fgets(line, sizeof(line), f) || sscanf(line, "size %" SCNu64, &size) != 1 ||
	    size != (uint64_t)st.st_size)
		goto out;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "end %d", &n) == 1)
			break;
		if (out->n == REC_DISC_MAX || parse_func(line, fd, size, &out->f[out->n]))
			goto out;
		out->n++;
	}
	if (n == out->n)
		rc = 0;
out:
	fclose(f);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

static void cache_write(const char *file, int fd, const struct rec_disc_result *r)
{
	char tmp[4200], names[256], head[2 * HEAD_LEN + 1];
	struct stat st;
	FILE *f;
	int i, ok;

	if (fstat(fd, &st) || snprintf(tmp, sizeof(tmp), "%s.%d.tmp", file, (int)getpid()) >=
	    (int)sizeof(tmp))
		return;
	f = fopen(tmp, "wxe");
	if (!f)
		return;
	finder_names(names, sizeof(names));
	fprintf(f, "asight-disc 1 %s\nsize %" PRIu64 "\n", names, (uint64_t)st.st_size);
	for (i = 0; i < r->n; i++) {
		head_hex(fd, r->f[i].off, head);
		fprintf(f, "f %" PRIx64 " %x %s %s %s %s\n", r->f[i].off, r->f[i].cookie, head,
			r->f[i].name, r->f[i].kind, r->f[i].method);
	}
	fprintf(f, "end %d\n", r->n);
	ok = !ferror(f);
	if (fclose(f) || !ok || rename(tmp, file))
		unlink(tmp);
}

/* Names with spaces would break the line format. */
static void sanitize(struct rec_disc_result *r)
{
	int i;

	for (i = 0; i < r->n; i++) {
		char *p;

		for (p = r->f[i].name; *p; p++)
			if (*p <= ' ')
				*p = '_';
		for (p = r->f[i].kind; *p; p++)
			if (*p <= ' ')
				*p = '_';
		for (p = r->f[i].method; *p; p++)
			if (*p == '\n')
				*p = ' ';
	}
}

static int run_finders(int fd, const char *path, struct rec_disc_result *out)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < NFINDERS; i++) {
		memset(out, 0, sizeof(*out));
		rc = finders[i].fn(fd, path, out);
		if (rc > 0)
			break;
	}
	if (rc <= 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

int rec_disc_find(const char *path, const char *build_id, struct rec_disc_result *out)
{
	char key[80], file[4200];
	const char *dir = cache_dir();
	int fd, rc, have_key = 0;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (make_dir(dir) || !dir_safe(dir))
		have_key = 0;
	else if (build_id && *build_id &&
		 strspn(build_id, "0123456789abcdef") == strlen(build_id) &&
		 strlen(build_id) < sizeof(key))
		have_key = snprintf(key, sizeof(key), "%s", build_id) > 0;
	else
		have_key = !file_sha256(fd, key, sizeof(key));
	if (have_key && snprintf(file, sizeof(file), "%s/%s", dir, key) < (int)sizeof(file)) {
		if (!cache_read(file, fd, out)) {
			out->cached = 1;
			close(fd);
			return out->n;
		}
	} else {
		have_key = 0;
	}
	rc = run_finders(fd, path, out);
	sanitize(out);
	if (rc >= 0 && have_key)
		cache_write(file, fd, out);
	close(fd);
	return rc < 0 ? rc : out->n;
}
