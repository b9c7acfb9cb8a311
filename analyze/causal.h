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

/* The shell command a tool call's arguments name ("command", "cmd",
 * "script", or an argv array), or NULL; caller frees. */
char *causal_tool_command(const char *args_json);

#endif
