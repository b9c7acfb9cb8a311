/* SPDX-License-Identifier: MIT */
/*
 * model_live.h - the streaming side of model.c (model_opts.sink): rows
 * handed to the sink as soon as they are final, LLM calls put in request
 * order through a buffer that holds only the calls some open exchange was
 * requested before, loss detection from a bounded window of sequence
 * numbers, and tool effects from causal_live.
 *
 * model.c calls these with m->sink set; each is a no-op cost otherwise.
 */
#ifndef AS_ANALYZE_MODEL_LIVE_H
#define AS_ANALYZE_MODEL_LIVE_H

#include "analyze/model.h"

/* Sequence numbers kept waiting for the ones before them: a hole still
 * open after this many later records is taken as lost.  Past this many
 * calls, an equal request is no longer looked for (llm_mark_retries), and
 * past this many answers with a response id, no longer linked
 * (llm_link_previous). */
#define MODEL_SEQ_WINDOW 65536
#define MODEL_RETRY_HISTORY 256
#define MODEL_PREV_HISTORY 16
/* A process is retired (its rows written, then freed: tree.h) once it
 * exited this long ago in capture time: more than twice the reader's
 * reorder window (cap_reader.h), so that no record of it read late finds
 * it gone. */
#define MODEL_RETIRE_GRACE_NS 5000000000ull

int model_live_new(struct model *m);
void model_live_free(struct model *m);
/* A kernel record's sequence number. */
void model_live_seq(struct model *m, uint64_t seq, uint64_t ts);
/* Processes the tree made since the last call go to causal_live. */
int model_live_procs(struct model *m);
int model_live_file(struct model *m, const struct model_file *f);
int model_live_net(struct model *m, const struct model_net *n);
void model_live_tls(struct model *m, const struct model_tls *t);
/* A complete exchange (conv_set's callback in streaming mode). */
void model_live_exchange(struct model *m, struct conv_exchange *ex);
/* Give what is final: calls in request order, effects. */
void model_live_pump(struct model *m);
/* After conv_finish: everything left, the loss markers. */
void model_live_finish(struct model *m);

#endif
