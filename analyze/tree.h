/* SPDX-License-Identifier: MIT */
/*
 * tree.h - the process model: one node per process, identified by
 * (pid, task_start_ns) so that pid reuse never merges two processes.
 *
 * Calling sequence:
 *   tree_new(&t);
 *   for each record in time order: tree_feed(t, &rec);   PROC FORK EXEC EXIT
 *   tree_finish(t);            link snapshot processes to their parents
 *   t->procs[0..t->n) in first-seen order; tree_get(), tree_at()
 *   tree_free(t);
 *
 * Threads are folded into their process (counted in nthreads).  A process
 * first seen through another record (a TLS write of a process that predates
 * the capture and the snapshot) gets a placeholder node via tree_ref().
 */
#ifndef AS_ANALYZE_TREE_H
#define AS_ANALYZE_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/autil.h"
#include "format/cap_reader.h"

struct tree_exec {
	uint64_t ts;
	char *filename;
	char **argv;       /* argc strings, owned */
	uint32_t argc;
	char *cwd;         /* may be NULL */
	int truncated;     /* argv was cut by the probe */
};

struct tree_proc {
	uint64_t id;               /* 1-based, in first-seen order */
	uint32_t pid;
	uint64_t start_ns;         /* task_start_ns: identity, not a time */
	uint32_t ppid;
	struct tree_proc *parent;  /* NULL: root (or parent unknown) */
	struct tree_proc *child, *last_child, *sibling;
	char comm[17];
	char *exe;
	char **argv;               /* current argv (after the last exec), owned */
	uint32_t argc;
	char *cwd;
	uint32_t uid;
	int uid_known;
	uint64_t t_start;          /* fork time, or first time seen */
	uint64_t t_end;            /* exit time; 0 while alive */
	int exited;
	int32_t exit_status;       /* raw wait status: code << 8 | signal */
	int from_snapshot;
	int placeholder;           /* only seen through other records */
	uint32_t nthreads;         /* threads created during the capture */
	struct tree_exec *execs;
	size_t nexecs, cexecs;
	/* retiring (tree_retire_start) only */
	uint32_t holds;            /* tree_hold()s not yet tree_unhold()n */
	uint8_t pinned;            /* never retired (tree_pin) */
	uint8_t graced;            /* exited at least the grace period ago */
	uint8_t retired;           /* given to on_retire, freed at the next sweep */
	uint8_t by_ppid;           /* linked by ppid before tree_finish (not by its fork) */
};

struct tree {
	struct tree_proc **procs;  /* by id (retiring: the ones kept, by id) */
	size_t n, cap;
	struct au_map by_key;      /* (pid, start) -> proc */
	struct au_map by_pid;      /* (pid) -> most recent proc with that pid */
	uint64_t first_ts, last_ts;
	uint64_t nids;             /* ids given: n unless processes were retired */
	/* retiring (tree_retire_start): exited processes in exit order, the
	 * retired ones not yet freed */
	void (*on_retire)(void *ctx, struct tree_proc *p);
	void *retire_ctx;
	uint64_t grace_ns, now;
	struct tree_proc **exitq;
	size_t qhead, qn, qcap;
	struct tree_proc **dead;
	size_t ndead, cdead;
};

int tree_new(struct tree **out);
void tree_free(struct tree *t);

/* Update the model from one record; other record types are ignored.
 * Returns 0 or -ENOMEM. */
int tree_feed(struct tree *t, const struct cap_rec *rec);

/* Resolve parents known only by ppid (snapshot, placeholders). */
void tree_finish(struct tree *t);

/* The process (pid, start) or NULL. */
struct tree_proc *tree_get(const struct tree *t, uint32_t pid, uint64_t start_ns);

/* The process (pid, start), created as a placeholder seen at @ts if new;
 * NULL only on -ENOMEM. */
struct tree_proc *tree_ref(struct tree *t, uint32_t pid, uint64_t start_ns, uint64_t ts);

/*
 * Retiring (the streaming export): a process that exited at least @grace_ns
 * of capture time ago (tree_advance), has no child left in the tree, is not
 * pinned and not held, and was linked to its parent by its fork, is final:
 * no later record changes it.  It is given to @on_retire (which writes its
 * rows), taken out of the tree and freed at a later sweep, so that the
 * table holds what is alive or still referred to, not the whole capture.
 * Its id is never given again; tree_get no longer finds it after the
 * sweep.  Kept for ever: snapshot processes (pid-only parent links),
 * placeholders and other processes without a parent, pinned ones (those
 * whose TLS connections and LLM calls name them to the end).
 */
void tree_retire_start(struct tree *t, uint64_t grace_ns,
		       void (*on_retire)(void *ctx, struct tree_proc *p), void *ctx);
/* The capture has been read up to @ts: processes exited before @ts -
 * grace may retire. */
void tree_advance(struct tree *t, uint64_t ts);
static inline void tree_pin(struct tree_proc *p)
{
	p->pinned = 1;
}
/* Somebody points to @p (a queued causal item, a buffered effect): it is
 * not retired until as many tree_unhold()s. */
static inline void tree_hold(struct tree_proc *p)
{
	p->holds++;
}
void tree_unhold(struct tree *t, struct tree_proc *p);
/* Free the retired processes now (t->procs then holds only kept ones). */
void tree_sweep(struct tree *t);
/* The process with id @id, NULL when it was retired (or never existed). */
struct tree_proc *tree_by_id(const struct tree *t, uint64_t id);

/* 1 when @p is @anc or one of its descendants. */
int tree_is_descendant(const struct tree_proc *p, const struct tree_proc *anc);

/* A short name: argv[0]'s base name, else comm, else the exe's base name. */
const char *tree_proc_name(const struct tree_proc *p);

/* Render a wait status: "0", "1", "SIGKILL", "?" (running); into @buf. */
const char *tree_status_str(const struct tree_proc *p, char *buf, size_t size);

/* Join argv into one shell-like line (words with spaces/quotes quoted). */
char *tree_argv_join(char *const *argv, uint32_t argc);

#endif
