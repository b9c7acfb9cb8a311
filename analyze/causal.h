/* SPDX-License-Identifier: MIT */
/*
 * causal.h - link each LLM response's tool calls to what the agent's
 * process subtree did afterwards: processes spawned, files read and
 * written, connections made, between the end of that response and the
 * agent's next LLM request (or the end of the capture).  Side calls and
 * count_tokens calls (llm_call.purpose) neither own effects nor end the
 * window of the turn before them.
 *
 * Calling sequence:
 *   causal_build(m, &cz);     after model_build
 *   cz->eff[0..cz->n) sorted by (call, time)
 *   causal_free(cz);
 *
 * Attribution inside one window, strongest first: an exec whose argv holds
 * the command a tool call named ("command"), a file whose path a tool call
 * named ("path"), anything done by a process already attributed or its
 * descendants ("subtree"), else the response's first tool call ("window"),
 * or no tool call when the response had none.  Dynamic-loader and
 * /proc /sys /dev noise is left out.  A sub-agent (a descendant process
 * that makes LLM calls of its own) is started by its parent's tool call,
 * but what it and its children do after its first request belongs to its
 * own calls only.
 */
#ifndef AS_ANALYZE_CAUSAL_H
#define AS_ANALYZE_CAUSAL_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/model.h"

struct causal_effect {
	size_t call;               /* index into m->calls */
	int tool;                  /* index into that call's tool calls, or -1 */
	/* exec file_read file_write unlink rename mkdir chmod truncate connect */
	const char *kind;
	const char *how;           /* command path subtree window */
	uint64_t ts;
	struct tree_proc *proc;    /* who did it (for exec: the new process) */
	const struct model_file *file;
	const struct model_net *net;
};

struct causal {
	struct causal_effect *eff;
	size_t n, cap;
	uint64_t *win_end;         /* per call: end of its window */
};

int causal_build(const struct model *m, struct causal **out);
void causal_free(struct causal *cz);

/* The tool call (index into @cmds, a command or NULL per tool call) whose
 * command process @p runs in any of its execs, or -1 (the rule that ties
 * a process to the tool call that spawned it; causal.c and causal_live.c). */
int causal_match_command(char *const *cmds, size_t ntools, const struct tree_proc *p);

/*
 * The same rules applied while the capture is read (streaming model, see
 * model_sink): processes, file and connect rows and LLM calls (in request
 * order) are fed in capture order; an effect is given to @emit once every
 * call requested before it is known (@horizon: no call still to come was
 * requested before it) and, for an exec, once the process has exited (its
 * final argv decides the tool call), or when more than CAUSAL_LIVE_MAX
 * events wait (then with the argv it has).  Memory: the events waiting,
 * and per agent the tool calls of its open window with the processes and
 * files attributed in it.
 */
#define CAUSAL_LIVE_MAX 65536
struct causal_live;
int causal_live_new(void (*emit)(void *ctx, const struct model_effect *e), void *ctx,
		    struct causal_live **out);
int causal_live_proc(struct causal_live *cl, struct tree_proc *p);
int causal_live_file(struct causal_live *cl, const struct model_file *f, uint64_t row);
int causal_live_net(struct causal_live *cl, const struct model_net *n, uint64_t row);
/* @cmds: causal_tool_command of each tool call, taken (freed here) */
int causal_live_call(struct causal_live *cl, const struct model *m, const struct llm_call *c,
		     size_t idx, uint64_t tool_row, char **cmds);
/* Resolve what can be; @horizon UINT64_MAX and @final at the end. */
void causal_live_pump(struct causal_live *cl, uint64_t horizon, int final);
void causal_live_free(struct causal_live *cl);
/* @t retires processes (tree_retire_start): hold those the queued items
 * and buffered effects point to until they are done with. */
void causal_live_hold(struct causal_live *cl, struct tree *t);

/* causal.c's rules, for causal_live.c */
int causal_noise_path(const char *path);
const char *causal_file_kind(const struct model_file *f);
int causal_aside(const struct llm_call *c);

/* The shell command a tool call's arguments name ("command", "cmd",
 * "script", or an argv array), or NULL; caller frees. */
char *causal_tool_command(const char *args_json);

#endif
