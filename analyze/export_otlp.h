/* SPDX-License-Identifier: MIT */
/*
 * export_otlp.h - the model as OpenTelemetry traces: one OTLP/JSON
 * ExportTraceServiceRequest ({"resourceSpans":[...]}, the protobuf JSON
 * mapping with hex trace and span ids, integer enums and int64 values as
 * strings) following the GenAI semantic conventions.
 *
 * A session (one trace, one resourceSpans entry) is the subtree of an
 * outermost LLM-calling process: a process that made LLM calls and has no
 * ancestor that made any.  Its calls and those of its descendants (sub-
 * agents started as processes) are in the one trace:
 *
 *   invoke_agent {name}                     the session's process
 *     chat {model}                          one per LLM call
 *       execute_tool {tool}                 one per tool call it answered with
 *         exec {name}                       a process the tool call started
 *           exec {name}                     ... and its children
 *         events file_* / connect ...       done by that process (or the agent)
 *     chat {model}                          a sub-agent's call sits under the
 *                                           exec span of its process instead
 *
 * Kernel effects come from causal.h; effects of a response without tool
 * calls sit under its chat span.  Ids are hashes of stable identities
 * (host name, pid, task start, exchange), so two exports of one capture
 * are identical.  Timestamps are wall-clock ns when the capture holds the
 * clock offset, else the monotonic ns.
 *
 * Prompt and completion content is left out unless @content: then each
 * chat span gets a gen_ai.client.inference.operation.details event with
 * gen_ai.system_instructions, gen_ai.input.messages and
 * gen_ai.output.messages (JSON strings), and each execute_tool span a
 * gen_ai.tool.call.arguments attribute.  Every captured string is always
 * redacted (redact.h); there is no way to turn that off here.
 */
#ifndef AS_ANALYZE_EXPORT_OTLP_H
#define AS_ANALYZE_EXPORT_OTLP_H

#include <stddef.h>

#include "analyze/causal.h"
#include "analyze/model.h"

struct otlp_opts {
	int content;              /* prompt and completion text as span events */
};

struct otlp_counts {
	size_t traces, spans, llm, tools, procs, events;
};

/*
 * Build the request: *out gets a malloc'd NUL-terminated JSON text (one
 * line, with a final newline), *len its length.  0 or -ENOMEM.
 */
int otlp_build(const struct model *m, const struct causal *cz, const struct otlp_opts *o,
	       char **out, size_t *len, struct otlp_counts *cnt);

#endif
