/* SPDX-License-Identifier: MIT */
/* rec_tls.c - TLS target discovery and uprobe attachment (see rec_tls.h). */
#include "rec_tls.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "format/cap_buf.h"
#include "format/cap_meta.h"
#include "format/cap_record.h"
#include "bpf/probe.h"
#include "rec_bpf.h"
#include "rec_disc.h"
#include "rec_entry.h"
#include "rec_tlsfast.h"
#include "rec_tlshint.h"

struct tls_func {
	const char *name;
	const char *kind;
	uint32_t cookie; /* func | ASR_CK_READ | ASR_CK_EX */
};

static const struct tls_func funcs[] = {
	{ "SSL_write", "openssl", ASR_TLS_SSL_WRITE },
	{ "SSL_read", "openssl", ASR_TLS_SSL_READ | ASR_CK_READ },
	{ "SSL_write_ex", "openssl", ASR_TLS_SSL_WRITE_EX | ASR_CK_EX },
	{ "SSL_read_ex", "openssl", ASR_TLS_SSL_READ_EX | ASR_CK_READ | ASR_CK_EX },
	{ "gnutls_record_send", "gnutls", ASR_TLS_GNUTLS_SEND },
	{ "gnutls_record_recv", "gnutls", ASR_TLS_GNUTLS_RECV | ASR_CK_READ },
	{ "PR_Write", "nss", ASR_TLS_PR_WRITE },
	{ "PR_Read", "nss", ASR_TLS_PR_READ | ASR_CK_READ },
	{ "PR_Send", "nss", ASR_TLS_PR_SEND },
	{ "PR_Recv", "nss", ASR_TLS_PR_RECV | ASR_CK_READ },
};
#define NFUNCS (sizeof(funcs) / sizeof(funcs[0]))

struct file_id {
	uint64_t ino;
	uint32_t dev; /* kernel encoding: major << 20 | minor */
};

struct rec_tls {
	struct rec_bpf *bpf;
	rec_tls_emit_fn emit;
	void *ctx;
	struct file_id *seen;
	size_t nseen, capseen;
	unsigned index; /* next target index */
	unsigned attached, failed;
};

/* Remember (dev, ino); returns 1 if it was new. */
static int seen_add(struct rec_tls *t, uint32_t dev, uint64_t ino);

/*
 * The recorder's own binary is never a target: a command's child is still
 * running it before its exec, and it holds rec_tlshint's marker strings.
 */
static void skip_self(struct rec_tls *t)
{
	struct stat st;

	if (!stat("/proc/self/exe", &st))
		seen_add(t, (major(st.st_dev) << 20) | minor(st.st_dev), st.st_ino);
}

int rec_tls_new(struct rec_bpf *b, rec_tls_emit_fn emit, void *ctx, struct rec_tls **out)
{
	struct rec_tls *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return -ENOMEM;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		free(t);
		return -ENOTSUP;
	}
	t->bpf = b;
	t->emit = emit;
	t->ctx = ctx;
	skip_self(t);
	*out = t;
	return 0;
}

static int seen_add(struct rec_tls *t, uint32_t dev, uint64_t ino)
{
	size_t i;

	for (i = 0; i < t->nseen; i++)
		if (t->seen[i].ino == ino && t->seen[i].dev == dev)
			return 0;
	if (t->nseen == t->capseen) {
		size_t cap = t->capseen ? t->capseen * 2 : 256;
		struct file_id *n = realloc(t->seen, cap * sizeof(*n));

		if (!n)
			return 0;
		t->seen = n;
		t->capseen = cap;
	}
	t->seen[t->nseen].ino = ino;
	t->seen[t->nseen].dev = dev;
	t->nseen++;
	return 1;
}

/* indexes into funcs[] */
enum { F_SSL_WRITE, F_SSL_READ, F_SSL_WRITE_EX, F_SSL_READ_EX };

struct elf_info {
	uint64_t off[NFUNCS]; /* file offset, 0 = absent */
	char build_id[41];
	int has_write_ex2;    /* OpenSSL >= 3.2: internal signatures differ */
	int needs_nspr;       /* DT_NEEDED names libnspr4 (NSS's libssl3) */
	uint64_t fast_write;  /* rec_tlsfast: ssl_write_internal, 0 = not found */
	uint64_t fast_read;   /* ssl_read_internal */
	uint64_t *named;      /* offsets of every named function (rec_tlsfast) */
	size_t nnamed, capnamed;
};

static void note_named(struct elf_info *info, uint64_t off)
{
	if (info->nnamed == info->capnamed) {
		size_t cap = info->capnamed ? info->capnamed * 2 : 1024;
		uint64_t *p = realloc(info->named, cap * sizeof(*p));

		if (!p)
			return;
		info->named = p;
		info->capnamed = cap;
	}
	info->named[info->nnamed++] = off;
}

static int is_named(void *ctx, uint64_t off)
{
	const struct elf_info *info = ctx;

	for (size_t i = 0; i < info->nnamed; i++)
		if (info->named[i] == off)
			return 1;
	return 0;
}

/* vaddr -> file offset through the executable PT_LOAD segment holding it */
static uint64_t vaddr_to_off(Elf *e, uint64_t va)
{
	size_t n, i;
	GElf_Phdr ph;

	if (elf_getphdrnum(e, &n))
		return 0;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (va >= ph.p_vaddr && va < ph.p_vaddr + ph.p_memsz)
			return va - ph.p_vaddr + ph.p_offset;
	}
	return 0;
}

static void scan_symbols(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, struct elf_info *info)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t i, n, k;
	GElf_Sym s;

	if (!d || !sh->sh_entsize)
		return;
	n = sh->sh_size / sh->sh_entsize;
	for (i = 0; i < n; i++) {
		const char *name;

		if (!gelf_getsym(d, (int)i, &s) || s.st_shndx == SHN_UNDEF || !s.st_value ||
		    GELF_ST_TYPE(s.st_info) != STT_FUNC)
			continue;
		name = elf_strptr(e, sh->sh_link, s.st_name);
		if (!name)
			continue;
		note_named(info, vaddr_to_off(e, s.st_value));
		if (!strcmp(name, "ssl_write_internal"))
			info->fast_write = vaddr_to_off(e, s.st_value);
		else if (!strcmp(name, "ssl_read_internal"))
			info->fast_read = vaddr_to_off(e, s.st_value);
		if (name[0] != 'S' && name[0] != 'g' && name[0] != 'P')
			continue;
		if (!strcmp(name, "SSL_write_ex2"))
			info->has_write_ex2 = 1;
		for (k = 0; k < NFUNCS; k++)
			if (!info->off[k] && !strcmp(name, funcs[k].name))
				info->off[k] = vaddr_to_off(e, s.st_value);
	}
}

static void read_build_id(Elf_Scn *scn, struct elf_info *info)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t off = 0, name_off, desc_off, i;
	GElf_Nhdr nh;

	while (d && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
		    memcmp((char *)d->d_buf + name_off, "GNU", 4))
			continue;
		for (i = 0; i < nh.n_descsz && i < 20; i++)
			snprintf(info->build_id + 2 * i, 3, "%02x",
				 ((unsigned char *)d->d_buf)[desc_off + i]);
		return;
	}
}

/* Does the dynamic section name NSPR as a needed library? */
static void read_needed(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, struct elf_info *info)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t i, n;
	GElf_Dyn dyn;

	if (!d || !sh->sh_entsize)
		return;
	n = sh->sh_size / sh->sh_entsize;
	for (i = 0; i < n && gelf_getdyn(d, (int)i, &dyn); i++) {
		const char *name;

		if (dyn.d_tag != DT_NEEDED)
			continue;
		name = elf_strptr(e, sh->sh_link, dyn.d_un.d_val);
		if (name && !strncmp(name, "libnspr4.", 9))
			info->needs_nspr = 1;
	}
}

static int elf_examine(const char *path, struct elf_info *info)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), found = 0;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t k;
	Elf *e;

	memset(info, 0, sizeof(*info));
	if (fd < 0)
		return -errno;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		elf_end(e);
		close(fd);
		return -ENOEXEC;
	}
	/* .dynsym first: it is what the dynamic linker binds to */
	while ((scn = elf_nextscn(e, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_DYNSYM)
			scan_symbols(e, scn, &sh, info);
	while ((scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB)
			scan_symbols(e, scn, &sh, info);
		else if (sh.sh_type == SHT_NOTE)
			read_build_id(scn, info);
		else if (sh.sh_type == SHT_DYNAMIC)
			read_needed(e, scn, &sh, info);
	}
	elf_end(e);
	if (info->has_write_ex2 || getenv("ASIGHT_TLS_NO_FAST")) {
		info->fast_write = info->fast_read = 0;
	} else {
		info->fast_write = rec_tlsfast_callee(fd, info->off[F_SSL_WRITE],
						      info->off[F_SSL_WRITE_EX], info->fast_write,
						      is_named, info);
		info->fast_read = rec_tlsfast_callee(fd, info->off[F_SSL_READ],
						     info->off[F_SSL_READ_EX], info->fast_read,
						     is_named, info);
	}
	free(info->named);
	info->named = NULL;
	close(fd);
	for (k = 0; k < NFUNCS; k++)
		found += info->off[k] != 0;
	return found;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* @disc: how a discovered function was found ("cache", "scan 0.31 s"), or NULL */
/* emit_target's @rc for a file with TLS code but no function found */
#define NOTHING_TO_PROBE (-ENOENT)

/* @at: where the probes sit, when not at @off (rec_entry.h), else 0 */
static void emit_target(struct rec_tls *t, const char *path, const struct elf_info *info,
			const struct tls_func *fn, uint64_t off, uint64_t at, const char *method,
			const char *disc, uint32_t pid, int rc)
{
	struct cap_rec_hdr h = { 0 };
	struct cap_buf kv = { 0 }, rec = { 0 };
	char num[32];

	snprintf(num, sizeof(num), "0x%" PRIx64, off);
	cap_meta_put(&kv, "path", path);
	cap_meta_put(&kv, "build_id", info->build_id);
	cap_meta_put(&kv, "symbol", fn->name);
	cap_meta_put(&kv, "offset", num);
	if (at && at != off) {
		snprintf(num, sizeof(num), "0x%" PRIx64, at);
		cap_meta_put(&kv, "attach_offset", num);
	}
	cap_meta_put(&kv, "kind", fn->kind);
	cap_meta_put(&kv, "method", method);
	if (disc)
		cap_meta_put(&kv, "discovery", disc);
	snprintf(num, sizeof(num), "%u", pid);
	cap_meta_put(&kv, "pid", num);
	snprintf(num, sizeof(num), "%u", t->index);
	cap_meta_put(&kv, "index", num);
	snprintf(num, sizeof(num), "%u", (unsigned)ASR_CK_FUNC(fn->cookie));
	cap_meta_put(&kv, "func", num);
	cap_meta_put(&kv, "attached", !rc ? "yes" : rc == NOTHING_TO_PROBE ? "no" : strerror(-rc));
	h.type = CAP_REC_TARGET;
	h.hdr_len = sizeof(h);
	h.ts_ns = mono_ns();
	h.pid = h.tid = pid;
	h.orig_len = h.cap_len = (uint32_t)kv.len;
	if (!cap_buf_append(&rec, &h, sizeof(h)) && !cap_buf_append(&rec, kv.p, kv.len))
		t->emit(t->ctx, rec.p, rec.len);
	cap_buf_release(&kv);
	cap_buf_release(&rec);
}

/* where to probe the function at file offset @off of @path (rec_entry.h) */
static uint64_t probe_off(const char *path, uint64_t off)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t at = off;

	if (fd >= 0) {
		at = rec_entry_probe_off(fd, off);
		close(fd);
	}
	return at;
}

/* Attach entry and return probes for one function; emit its target record. */
static int attach_one(struct rec_tls *t, const char *path, const struct elf_info *info,
		      const struct tls_func *fn, uint64_t off, const char *method,
		      const char *disc, uint32_t pid)
{
	uint64_t ck = fn->cookie | (uint64_t)(t->index & 0xffff) << 16;
	uint64_t at = probe_off(path, off);
	int rc = rec_bpf_uprobe(t->bpf, path, at, 0, ck);

	if (!rc)
		rc = rec_bpf_uprobe(t->bpf, path, at, 1, ck);
	if (rc)
		t->failed++;
	else
		t->attached++;
	emit_target(t, path, info, fn, off, at, method, disc, pid, rc);
	t->index++;
	return 1;
}

/* the internal functions have the *_ex signature (see rec_tlsfast.h) */
static const struct tls_func fast_write = { "ssl_write_internal", "openssl",
					    ASR_TLS_SSL_WRITE_EX | ASR_CK_EX };
static const struct tls_func fast_read = { "ssl_read_internal", "openssl",
					   ASR_TLS_SSL_READ_EX | ASR_CK_READ | ASR_CK_EX };

/*
 * A file without TLS symbols: let rec_disc find the functions (a stripped
 * static binary such as Bun's claude.exe) and attach them.
 */
/*
 * A file with a TLS implementation in it but nothing to probe: the user
 * must hear that this program's TLS traffic will be missing, and the
 * capture must say so too (a TARGET record with attached=no).
 */
static void warn_unprobed(struct rec_tls *t, const char *path, const struct elf_info *info,
			  uint32_t pid)
{
	char what[128], comm[32] = "?", p[64];
	struct tls_func fn = { "", what, 0 };
	FILE *f;

	if (rec_tlshint(path, what, sizeof(what)) <= 0)
		return;
	/*
	 * NSS's libssl3 is an NSPR I/O layer: its plaintext goes through
	 * PR_Write, PR_Read, PR_Send and PR_Recv of the libnspr4 it needs,
	 * which are probed there, so nothing is missing.
	 */
	if (info->needs_nspr && !strcmp(what, "NSS"))
		return;
	snprintf(p, sizeof(p), "/proc/%u/comm", pid);
	if ((f = fopen(p, "re"))) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	/* the recorder's own program prints here: rec_tls is not a library */
	fprintf(stderr,
		"asrecord: warning: '%s' (pid %u, %s) contains TLS code (%s) but no function to "
		"probe was found in it: its TLS plaintext will not be recorded\n",
		path, pid, comm, what);
	emit_target(t, path, info, &fn, 0, 0, "TLS implementation markers, no function located",
		    NULL, pid, NOTHING_TO_PROBE);
}

static int attach_discovered(struct rec_tls *t, const char *path, const struct elf_info *info,
			     uint32_t pid)
{
	struct rec_disc_result r;
	char disc[48];
	uint64_t t0 = mono_ns();
	int i, n = rec_disc_find(path, info->build_id, &r);

	if (n <= 0) {
		warn_unprobed(t, path, info, pid);
		return 0;
	}
	if (r.cached)
		snprintf(disc, sizeof(disc), "cache");
	else
		snprintf(disc, sizeof(disc), "scan %.2f s", (double)(mono_ns() - t0) / 1e9);
	for (i = 0; i < r.n; i++) {
		struct tls_func fn = { r.f[i].name, r.f[i].kind, r.f[i].cookie };

		attach_one(t, path, info, &fn, r.f[i].off, r.f[i].method, disc, pid);
	}
	return r.n;
}

/* Examine @path (known as dev/ino, seen in @pid) and attach what it defines. */
static int examine(struct rec_tls *t, const char *path, uint32_t dev, uint64_t ino, uint32_t pid)
{
	struct elf_info info;
	size_t k;
	int n = 0, syms;

	if (!seen_add(t, dev, ino))
		return 0;
	syms = elf_examine(path, &info);
	if (syms < 0)
		return 0;
	if (!syms)
		return attach_discovered(t, path, &info, pid);
	if (info.fast_write)
		n += attach_one(t, path, &info, &fast_write, info.fast_write,
				"call-target of SSL_write and SSL_write_ex", NULL, pid);
	if (info.fast_read)
		n += attach_one(t, path, &info, &fast_read, info.fast_read,
				"call-target of SSL_read and SSL_read_ex", NULL, pid);
	for (k = 0; k < NFUNCS; k++) {
		if (!info.off[k])
			continue;
		/* covered by the internal function: probing both doubles records */
		if (info.fast_write && (k == F_SSL_WRITE || k == F_SSL_WRITE_EX))
			continue;
		if (info.fast_read && (k == F_SSL_READ || k == F_SSL_READ_EX))
			continue;
		n += attach_one(t, path, &info, &funcs[k], info.off[k], "symbol", NULL, pid);
	}
	return n;
}

/*
 * Walk /proc/PID/maps; examine executable file mappings, or only the one
 * with inode @ino when it is not 0.  Returns 1 when @ino was found.
 */
static int scan_maps(struct rec_tls *t, uint32_t pid, uint64_t want_ino)
{
	char path[64], line[4352], file[4096], perms[8];
	unsigned maj, min;
	unsigned long long ino;
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		file[0] = 0;
		if (sscanf(line, "%*x-%*x %7s %*x %x:%x %llu %4095[^\n]", perms, &maj, &min, &ino,
			   file) != 5 || file[0] != '/' || !ino)
			continue;
		if (want_ino ? ino != want_ino : perms[2] != 'x')
			continue;
		examine(t, file, (maj << 20) | min, ino, pid);
		found = 1;
		if (want_ino)
			break;
	}
	fclose(f);
	return found;
}

void rec_tls_scan_all(struct rec_tls *t)
{
	struct dirent *de;
	DIR *d = opendir("/proc");

	while (d && (de = readdir(d))) {
		uint32_t pid = (uint32_t)strtoul(de->d_name, NULL, 10);

		if (pid)
			scan_maps(t, pid, 0);
	}
	if (d)
		closedir(d);
}

void rec_tls_scan_pid(struct rec_tls *t, uint32_t pid)
{
	scan_maps(t, pid, 0);
}

int rec_tls_add_path(struct rec_tls *t, const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	return examine(t, path, (major(st.st_dev) << 20) | minor(st.st_dev), st.st_ino, 0) > 0
		       ? 0
		       : -ENOENT;
}

void rec_tls_on_ctrl(struct rec_tls *t, uint32_t pid, const struct asr_ctrl *c)
{
	if (!scan_maps(t, pid, c->ino))
		/* the process is gone: let the next mapping of the file report it */
		rec_bpf_forget_file(t->bpf, c->ino, c->dev);
}

unsigned rec_tls_attached(const struct rec_tls *t)
{
	return t->attached;
}

unsigned rec_tls_failed(const struct rec_tls *t)
{
	return t->failed;
}

void rec_tls_free(struct rec_tls *t)
{
	if (!t)
		return;
	free(t->seen);
	free(t);
}
