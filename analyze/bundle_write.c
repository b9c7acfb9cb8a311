/* SPDX-License-Identifier: MIT */
/*
 * bundle_write.c - the tar writer of incident bundles (bundle_write.h).
 */
#include "bundle_write.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyze/bundle.h"

#ifndef ASIGHT_VERSION
#define ASIGHT_VERSION "unknown"
#endif

#define CHUNK (256u * 1024u)

int bundle_writer_open(struct bundle_writer *w, const char *path, char *msg, size_t msg_size)
{
	memset(w, 0, sizeof(*w));
	w->a = archive_write_new();
	if (!w->a) {
		snprintf(msg, msg_size, "out of memory");
		return -ENOMEM;
	}
	/* pax restricted: plain ustar headers unless a name needs more */
	if (archive_write_add_filter_zstd(w->a) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
	    archive_write_open_filename(w->a, path) != ARCHIVE_OK) {
		snprintf(msg, msg_size, "'%s': %s", path, archive_error_string(w->a));
		return -EIO;
	}
	return 0;
}

static struct bundle_wmember *new_member(struct bundle_writer *w, const char *name,
					 const char *role)
{
	struct bundle_wmember *nm = realloc(w->m, (w->n + 1) * sizeof(*w->m));

	if (!nm)
		return NULL;
	w->m = nm;
	nm = &w->m[w->n];
	memset(nm, 0, sizeof(*nm));
	nm->name = strdup(name);
	nm->role = role;
	if (!nm->name)
		return NULL;
	w->n++;
	return nm;
}

static int header(struct bundle_writer *w, const char *name, uint64_t size, int64_t mtime,
		  char *msg, size_t msg_size)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	if (!e) {
		snprintf(msg, msg_size, "out of memory");
		return -ENOMEM;
	}
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, mtime, 0);
	r = archive_write_header(w->a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK) {
		snprintf(msg, msg_size, "%s: %s", name, archive_error_string(w->a));
		return -EIO;
	}
	return 0;
}

static int data(struct bundle_writer *w, struct bundle_wmember *m, EVP_MD_CTX *h,
		const void *p, size_t n, char *msg, size_t msg_size)
{
	if (archive_write_data(w->a, p, n) != (la_ssize_t)n) {
		snprintf(msg, msg_size, "%s: %s", m->name, archive_error_string(w->a));
		return -EIO;
	}
	EVP_DigestUpdate(h, p, n);
	m->size += n;
	w->in_bytes += n;
	return 0;
}

int bundle_writer_add_fd(struct bundle_writer *w, const char *name, const char *role, int fd,
			 int64_t mtime, char *msg, size_t msg_size)
{
	struct bundle_wmember *m = new_member(w, name, role);
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	char *buf = malloc(CHUNK);
	off_t size = lseek(fd, 0, SEEK_END);
	ssize_t n = 0;
	uint64_t off = 0;
	int rc = -ENOMEM;

	if (!m || !h || !buf) {
		snprintf(msg, msg_size, "out of memory");
		goto out;
	}
	if (size < 0 || (rc = header(w, name, (uint64_t)size, mtime, msg, msg_size)))
		goto out;
	EVP_DigestInit_ex(h, EVP_sha256(), NULL);
	/* exactly the size announced: a file growing meanwhile is cut there */
	while (off < (uint64_t)size && (n = pread(fd, buf, CHUNK, (off_t)off)) > 0) {
		if ((uint64_t)n > (uint64_t)size - off)
			n = (ssize_t)((uint64_t)size - off);
		if ((rc = data(w, m, h, buf, (size_t)n, msg, msg_size)))
			goto out;
		off += (uint64_t)n;
		if (w->progress)
			w->progress(w->progress_ctx, off);
	}
	rc = 0;
	if (off != (uint64_t)size) {
		rc = n < 0 ? -errno : -EIO;
		snprintf(msg, msg_size, "%s: read failed at %llu: %s", name,
			 (unsigned long long)off, n < 0 ? strerror(errno) : "file shrank");
	}
	EVP_DigestFinal_ex(h, m->sha, NULL);
out:
	EVP_MD_CTX_free(h);
	free(buf);
	return rc;
}

int bundle_writer_add_mem(struct bundle_writer *w, const char *name, const char *role,
			  const void *p, size_t n, int64_t mtime, char *msg, size_t msg_size)
{
	struct bundle_wmember *m = new_member(w, name, role);
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	int rc = -ENOMEM;

	if (!m || !h)
		snprintf(msg, msg_size, "out of memory");
	else if (!(rc = header(w, name, n, mtime, msg, msg_size))) {
		EVP_DigestInit_ex(h, EVP_sha256(), NULL);
		rc = n ? data(w, m, h, p, n, msg, msg_size) : 0;
		EVP_DigestFinal_ex(h, m->sha, NULL);
	}
	EVP_MD_CTX_free(h);
	return rc;
}

static json_t *capinfo_json(const struct bundle_capinfo *c)
{
	char hex[65];
	json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:b, s:b, s:b}",
			      "name", c->member, "source", c->source,
			      "frames", (json_int_t)c->frames, "chain_blocks_ok",
			      (json_int_t)c->chain_ok, "chain_blocks_bad", (json_int_t)c->chain_bad,
			      "records", (json_int_t)c->records, "sections",
			      (json_int_t)c->sections, "footer", c->has_footer, "seek_table",
			      c->has_seek_table, "truncated", c->truncated);

	if (o && c->footer_seen) {
		bundle_hex(c->final_hash, hex);
		json_object_set_new(o, "final_chain_hash", json_string(hex));
		json_object_set_new(o, "footer_frames", json_integer((json_int_t)c->footer_frames));
		json_object_set_new(o, "footer_records",
				    json_integer((json_int_t)c->footer_records));
	}
	if (o && c->error[0])
		json_object_set_new(o, "read_error", json_string(c->error));
	return o;
}

static char *manifest_text(const struct bundle_writer *w, const struct bundle_capinfo *caps,
			   size_t ncaps)
{
	json_t *root = json_object(), *mem = json_array(), *cap = json_array();
	char hex[65], when[32];
	time_t now = time(NULL);
	struct tm tm;
	char *s = NULL;
	size_t i;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (i = 0; root && mem && i < w->n; i++) {
		bundle_hex(w->m[i].sha, hex);
		json_array_append_new(mem, json_pack("{s:s, s:s, s:I, s:s}", "name", w->m[i].name,
						     "role", w->m[i].role, "size",
						     (json_int_t)w->m[i].size, "sha256", hex));
	}
	for (i = 0; cap && i < ncaps; i++)
		json_array_append_new(cap, capinfo_json(&caps[i]));
	if (root && mem && cap) {
		json_object_set_new(root, "format", json_string("asight-bundle"));
		json_object_set_new(root, "version", json_integer(1));
		json_object_set_new(root, "created", json_string(when));
		json_object_set_new(root, "tool", json_string("asanalyze " ASIGHT_VERSION));
		json_object_set(root, "members", mem);
		json_object_set(root, "captures", cap);
		s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	}
	json_decref(mem);
	json_decref(cap);
	json_decref(root);
	return s;
}

int bundle_writer_finish(struct bundle_writer *w, const struct bundle_capinfo *caps,
			 size_t ncaps, char *msg, size_t msg_size)
{
	char *man = manifest_text(w, caps, ncaps), *sums = NULL, hex[65];
	size_t len = 0, i;
	FILE *f;
	int rc;

	if (!man) {
		snprintf(msg, msg_size, "out of memory");
		return -ENOMEM;
	}
	rc = bundle_writer_add_mem(w, BUNDLE_MANIFEST, "manifest", man, strlen(man),
				   time(NULL), msg, msg_size);
	free(man);
	if (rc)
		return rc;
	/* sha256sum -c format; the manifest is in it too */
	f = open_memstream(&sums, &len);
	if (!f) {
		snprintf(msg, msg_size, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < w->n; i++) {
		bundle_hex(w->m[i].sha, hex);
		fprintf(f, "%s  %s\n", hex, w->m[i].name);
	}
	fclose(f);
	rc = bundle_writer_add_mem(w, BUNDLE_SUMS, "manifest", sums, len, time(NULL), msg,
				   msg_size);
	free(sums);
	if (rc)
		return rc;
	if (archive_write_close(w->a) != ARCHIVE_OK) {
		snprintf(msg, msg_size, "%s", archive_error_string(w->a));
		return -EIO;
	}
	return 0;
}

void bundle_writer_close(struct bundle_writer *w)
{
	size_t i;

	if (w->a)
		archive_write_free(w->a);
	for (i = 0; i < w->n; i++)
		free(w->m[i].name);
	free(w->m);
	memset(w, 0, sizeof(*w));
}
