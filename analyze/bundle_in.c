/* SPDX-License-Identifier: MIT */
/*
 * bundle_in.c - bundles as inputs (see bundle.h): argument expansion,
 * names of members in messages, manifest checks, the asreplay hook.
 */
#include "bundle.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze/autil.h"

#define FD_PREFIX "/proc/self/fd/"
#define MEMFD_PREFIX "/memfd:"
#define MEMFD_SUFFIX " (deleted)"

const char *bundle_name(const char *path, char *buf, size_t size)
{
	char link[512];
	size_t plen = strlen(MEMFD_PREFIX), slen = strlen(MEMFD_SUFFIX);
	ssize_t n;

	if (strncmp(path, FD_PREFIX, strlen(FD_PREFIX)) ||
	    strspn(path + strlen(FD_PREFIX), "0123456789") != strlen(path + strlen(FD_PREFIX)))
		return path;
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return path;
	link[n] = 0;
	if ((size_t)n <= plen + slen || strncmp(link, MEMFD_PREFIX, plen) ||
	    strcmp(link + n - slen, MEMFD_SUFFIX) || !strchr(link, ':'))
		return path;
	link[n - slen] = 0;
	snprintf(buf, size, "%s", link + plen);
	return buf;
}

void bundle_fix_text(char *s, size_t size)
{
	char path[64], name[512], *p = s;
	size_t digits, len, nlen;

	while ((p = strstr(p, FD_PREFIX))) {
		digits = strspn(p + strlen(FD_PREFIX), "0123456789");
		len = strlen(FD_PREFIX) + digits;
		if (!digits || len >= sizeof(path)) {
			p += strlen(FD_PREFIX);
			continue;
		}
		memcpy(path, p, len);
		path[len] = 0;
		if (bundle_name(path, name, sizeof(name)) == path) {
			p += len;
			continue;
		}
		nlen = strlen(name);
		if (strlen(s) - len + nlen >= size)
			return; /* no room: keep the fd path rather than cut */
		memmove(p + nlen, p + len, strlen(p + len) + 1);
		memcpy(p, name, nlen);
		p += nlen;
	}
}

static void report_f(void (*report)(void *, const char *), void *ctx, const char *fmt,
		     const char *a, const char *b, const char *c)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), fmt, a, b, c);
	report(ctx, msg);
}

static const struct bundle_member *find(const struct bundle *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (!strcmp(b->m[i].name, name))
			return &b->m[i];
	return NULL;
}

/* Each manifest entry against the member of that name. */
static size_t check_listed(const struct bundle *b, json_t *members,
			   void (*report)(void *, const char *), void *ctx)
{
	const struct bundle_member *m;
	size_t i, bad = 0;
	char hex[65];
	json_t *e;

	json_array_foreach(members, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *sha = json_string_value(json_object_get(e, "sha256"));

		if (!name || !sha) {
			report_f(report, ctx, "'%s': %s: manifest entry without name or sha256%s",
				 b->path, BUNDLE_MANIFEST, "");
			bad++;
			continue;
		}
		m = find(b, name);
		if (!m) {
			report_f(report, ctx, "'%s:%s': listed in %s but missing", b->path, name,
				 BUNDLE_MANIFEST);
			bad++;
			continue;
		}
		bundle_hex(m->sha, hex);
		if (strcmp(hex, sha)) {
			char what[200];

			snprintf(what, sizeof(what), "manifest %.64s, member %s", sha, hex);
			report_f(report, ctx, "'%s:%s': sha256 mismatch: %s", b->path, name, what);
			bad++;
		}
	}
	return bad;
}

size_t bundle_check(const struct bundle *b, void (*report)(void *ctx, const char *msg),
		    void *ctx)
{
	json_t *root, *members;
	json_error_t jerr;
	size_t i, j, bad;
	int listed;

	if (!b->manifest) {
		report_f(report, ctx, "'%s': no %s in the bundle%s", b->path, BUNDLE_MANIFEST, "");
		return 1;
	}
	root = json_loads(b->manifest, 0, &jerr);
	members = json_object_get(root, "members");
	if (!json_is_array(members)) {
		report_f(report, ctx, "'%s:%s': not a manifest (%s)", b->path, BUNDLE_MANIFEST,
			 root ? "no members array" : jerr.text);
		json_decref(root);
		return 1;
	}
	bad = check_listed(b, members, report, ctx);
	for (i = 0; i < b->n; i++) {
		const char *name = b->m[i].name;
		json_t *e;

		if (!strcmp(name, BUNDLE_MANIFEST) || !strcmp(name, BUNDLE_SUMS))
			continue;
		listed = 0;
		json_array_foreach(members, j, e)
			if (json_string_value(json_object_get(e, "name")) &&
			    !strcmp(json_string_value(json_object_get(e, "name")), name))
				listed = 1;
		if (!listed) {
			report_f(report, ctx, "'%s:%s': not listed in %s", b->path, name,
				 BUNDLE_MANIFEST);
			bad++;
		}
	}
	json_decref(root);
	return bad;
}

/* Append @s to the growing argument array. */
static int push(char ***v, int *n, int *cap, char *s)
{
	char **nv;

	if (*n + 1 >= *cap) {
		*cap = *cap ? *cap * 2 : 16;
		nv = realloc(*v, (size_t)*cap * sizeof(**v));
		if (!nv)
			return -ENOMEM;
		*v = nv;
	}
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
	return 0;
}

/* The capture members of bundle @path as strdup'd fd paths appended to @v. */
static int expand_one(const char *path, char ***v, int *n, int *cap, char *msg,
		      size_t msg_size)
{
	struct bundle *b;
	size_t i;
	int rc = bundle_read(path, &b, msg, msg_size);

	if (rc)
		return rc;
	if (!b->ncaptures) {
		snprintf(msg, msg_size, "'%s': no capture in the bundle (no %s* member)", path,
			 BUNDLE_CAPDIR);
		bundle_free(b, 0);
		return -ENOENT;
	}
	for (i = 0; i < b->n && !rc; i++) {
		char *s;

		if (b->m[i].fd < 0)
			continue;
		s = strdup(b->m[i].path);
		rc = s ? push(v, n, cap, s) : -ENOMEM;
	}
	bundle_free(b, 1);
	if (rc)
		snprintf(msg, msg_size, "'%s': out of memory", path);
	return rc;
}

/*
 * The expanded argument vectors (and the member paths in them) and
 * asreplay's cache path live as long as the process, as argv and the
 * members' memfds do.  They are held here, where leak checkers see them,
 * rather than freed by every verb on every return path.  Expansion
 * happens once per command, at start-up.
 */
static void *held[8];

static void hold(void *p)
{
	size_t i;

	for (i = 0; i < sizeof(held) / sizeof(held[0]); i++)
		if (!held[i]) {
			held[i] = p;
			return;
		}
}

int bundle_expand(int *argc, char ***argv, int first, char *msg, size_t msg_size)
{
	char **v = NULL;
	int n = 0, cap = 0, i, any = 0, rc = 0;

	for (i = first; i < *argc; i++)
		if (bundle_detect((*argv)[i]))
			any = 1;
	if (!any)
		return 0;
	for (i = 0; i < *argc && !rc; i++) {
		if (i >= first && bundle_detect((*argv)[i]))
			rc = expand_one((*argv)[i], &v, &n, &cap, msg, msg_size);
		else if (push(&v, &n, &cap, (*argv)[i]))
			rc = -ENOMEM;
	}
	if (rc) {
		if (rc == -ENOMEM && !msg[0])
			snprintf(msg, msg_size, "out of memory");
		free(v);
		return rc;
	}
	hold(v);
	*argv = v;
	*argc = n;
	return 0;
}

/* Where asreplay caches the analysis of bundle @path. */
static int replay_cache(const char *path, char *db, size_t size)
{
	return au_cache_path(&path, 1, db, size);
}

int bundle_replay_inputs(char ***files, int *nfiles, const char **db, char *msg,
			 size_t msg_size)
{
	char path[PATH_MAX], *dbp;
	int rc;

	msg[0] = 0;
	if (*nfiles != 1 || !bundle_detect((*files)[0]))
		return 0;
	if (!*db) {
		if (replay_cache((*files)[0], path, sizeof(path))) {
			snprintf(msg, msg_size, "'%s': path too long", (*files)[0]);
			return -ENAMETOOLONG;
		}
		dbp = strdup(path);
		if (!dbp) {
			snprintf(msg, msg_size, "out of memory");
			return -ENOMEM;
		}
		hold(dbp);
		*db = dbp;
	}
	rc = bundle_expand(nfiles, files, 0, msg, msg_size);
	return rc;
}

int bundle_manifest_capture(const struct bundle *b, const char *member, char hash[65],
			    uint64_t *frames)
{
	json_t *root = b->manifest ? json_loads(b->manifest, 0, NULL) : NULL, *e;
	size_t i;
	int rc = -ENOENT;

	json_array_foreach(json_object_get(root, "captures"), i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *h = json_string_value(json_object_get(e, "final_chain_hash"));

		if (!name || strcmp(name, member))
			continue;
		snprintf(hash, 65, "%s", h ? h : "");
		*frames = (uint64_t)json_integer_value(json_object_get(e, "frames"));
		rc = 0;
		break;
	}
	json_decref(root);
	return rc;
}
