/* SPDX-License-Identifier: MIT */
/*
 * an_cmds_conv.c - `asanalyze conversations`: every LLM call as a readable
 * transcript, or one JSON object per call (--json).
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/an_cli.h"
#include "analyze/an_cmds.h"
#include "analyze/an_cmds_priv.h"
#include "analyze/an_safeout.h"
#include "analyze/export_jsonl.h"

static const char conv_usage[] =
	"usage: asanalyze conversations [OPTIONS] FILE...\n"
	"\n"
	"Print every LLM API call found in the TLS plaintext (Anthropic, OpenAI chat\n"
	"and responses, Gemini, OpenAI-compatible): model, prompt, response text,\n"
	"thinking, tool calls, tokens, cost, time to first token, errors.\n"
	"Messages already shown for the same process are summarised unless --full.\n"
	"Each call says what it is for: turn, side-call, count_tokens or retry; other\n"
	"HTTP requests on the same connections get one line each (not in --json).\n"
	"\n"
	"  --json          one JSON object per call (all messages)\n"
	"  --full          repeat the whole message history of every call\n"
	"  --pricing FILE  cost table (MODEL IN OUT CACHE_READ CACHE_WRITE per Mtok)\n"
	"  --no-redact     show API keys, tokens and cookies as captured\n"
	"  -q, --quiet     no summary line on stderr\n";

static void field(const struct an_opts *o, const char *label, const char *s)
{
	char *r;

	if (!s || !*s)
		return;
	r = an_red(o, s);
	printf("%s", label);
	an_print_text(stdout, r, "  ");
	putchar('\n');
	free(r);
}

static void tok(const char *name, int64_t v)
{
	if (v >= 0)
		printf(" %s %lld", name, (long long)v);
}

static void print_usage_line(const struct llm_call *c)
{
	char d[32];

	printf("usage:");
	tok("in", c->in_tok);
	tok("out", c->out_tok);
	tok("cache_read", c->cache_read);
	tok("cache_write", c->cache_write);
	if (c->cost_known)
		printf("  cost $%.6f", c->cost);
	if (c->t_first_tok > c->t_req)
		printf("  ttft %s", an_dur(c->t_first_tok - c->t_req, d, sizeof(d)));
	printf("  duration %s", an_dur(c->t_end > c->t_req ? c->t_end - c->t_req : 0, d,
					sizeof(d)));
	if (llm_tokens_per_s(c) > 0)
		printf("  %.1f tok/s", llm_tokens_per_s(c));
	putchar('\n');
}

/* How many messages of @c the previous call of the same process showed. */
static size_t seen_before(const struct model *m, size_t i)
{
	const struct stream_conn *sc = m->calls[i]->ex->conn;
	size_t j;

	for (j = i; sc && j-- > 0;) {
		const struct stream_conn *o = m->calls[j]->ex->conn;

		if (o && o->pid == sc->pid && o->start_ns == sc->start_ns)
			return m->calls[j]->nmsgs <= m->calls[i]->nmsgs ? m->calls[j]->nmsgs : 0;
	}
	return 0;
}

static void print_call(const struct an_opts *o, const struct model *m, size_t i)
{
	const struct llm_call *c = m->calls[i];
	const struct stream_conn *sc = c->ex->conn;
	struct tree_proc *p = sc ? model_conn_proc(m, sc) : NULL;
	size_t k, from = o->full ? 0 : seen_before(m, i);
	char t[64], *path = an_red(o, c->path);

	printf("=== call %zu  %s  %s %s  %s %s%s  %s,%u  %s\n", i + 1, c->purpose, c->provider,
	       c->api, c->ex->ws ? "WS" : "POST", c->host, path ? path : "",
	       p ? tree_proc_name(p) : "?", sc ? sc->pid : 0, model_time(m, c->t_req, t, sizeof(t)));
	free(path);
	if (c->prev_resp_id) /* incremental input: say where the rest comes from */
		printf("previous_response_id: %s (%zu messages from earlier calls)\n",
		       c->prev_resp_id, c->ninherited);
	printf("model: %s", c->model_resp ? c->model_resp : c->model_req ? c->model_req : "?");
	if (c->model_req && c->model_resp && strcmp(c->model_req, c->model_resp))
		printf(" (requested %s)", c->model_req);
	printf("  %s  status %d\n", c->stream ? "streamed" : "not streamed", c->status);
	if (!from)
		field(o, "system: ", c->system);
	if (c->ntools) {
		printf("tools:");
		for (k = 0; k < c->ntools; k++)
			printf(" %s", c->tools[k]);
		putchar('\n');
	}
	if (from)
		printf("(%zu earlier messages)\n", from);
	for (k = from; k < c->nmsgs; k++) {
		printf("[%s] ", c->msgs[k].role);
		field(o, "", c->msgs[k].text);
	}
	printf("--- response%s%s%s\n", c->finish ? " (" : "", c->finish ? c->finish : "",
	       c->finish ? ")" : "");
	field(o, "thinking: ", llm_thinking(c));
	field(o, "", llm_text(c));
	for (k = 0; k < c->ncalls; k++) {
		printf("tool_call %s id=%s ", c->calls[k].name ? c->calls[k].name : "?",
		       c->calls[k].id ? c->calls[k].id : "-");
		field(o, "", c->calls[k].args ? c->calls[k].args : "");
	}
	print_usage_line(c);
	if (c->err_type || c->err_msg)
		printf("api error: %s: %s\n", c->err_type ? c->err_type : "?",
		       c->err_msg ? c->err_msg : "");
	field(o, "error: ", c->error);
	putchar('\n');
}

/*
 * HTTP requests on the same connections that are not LLM calls (Claude
 * Code's HEAD / pre-connect, config fetches), one line each, in time
 * order before the call at @before (UINT64_MAX: the rest).  *@next is the
 * first exchange not yet considered.
 */
static void print_plain(const struct an_opts *o, const struct model *m, uint64_t before,
			size_t *next)
{
	char t[64], *target;

	for (; *next < m->convs->nex; (*next)++) {
		const struct conv_exchange *ex = m->convs->ex[*next];
		const struct stream_conn *sc = ex->conn;
		struct tree_proc *p = sc ? model_conn_proc(m, sc) : NULL;

		if (ex->user || ex->ws || !ex->req || !ex->req->method)
			continue;
		if (ex->req->t_first >= before)
			break;
		target = an_red(o, ex->req->target ? ex->req->target : "");
		printf("=== http  %s %s -> %d  %s,%u  %s  (not an LLM call)\n\n", ex->req->method,
		       target ? target : "", ex->resp ? ex->resp->status : 0,
		       p ? tree_proc_name(p) : "?", sc ? sc->pid : 0,
		       model_time(m, ex->req->t_first, t, sizeof(t)));
		free(target);
	}
}

void an_conv_print(const struct an_opts *o, const struct model *m)
{
	size_t i, plain = 0;

	for (i = 0; i < m->ncalls; i++) {
		if (o->json) {
			json_t *j = exj_call(m, i, !o->no_redact);

			json_dumpf(j, stdout, JSON_COMPACT | JSON_REAL_PRECISION(9));
			putchar('\n');
			json_decref(j);
		} else {
			print_plain(o, m, m->calls[i]->t_req, &plain);
			print_call(o, m, i);
		}
	}
	if (!o->json)
		print_plain(o, m, UINT64_MAX, &plain);
}

int an_cmd_conversations(int argc, char **argv)
{
	struct an_opts o;
	struct model *m;
	double cost = 0;
	size_t i, errs = 0;
	int rc = an_opts_parse(&o, argc, argv, conv_usage);

	if (rc >= 0)
		return rc;
	/* the transcript is captured bytes; --json escapes what JSON must */
	if (!o.json)
		an_safeout_stdout();
	m = an_load(&o);
	if (!m)
		return AN_EXIT_DATA;
	an_conv_print(&o, m);
	for (i = 0; i < m->ncalls; i++) {
		cost += m->calls[i]->cost;
		errs += m->calls[i]->error != NULL;
	}
	if (!o.quiet)
		an_err("%zu LLM calls (%zu with problems) in %zu HTTP exchanges on %zu TLS "
		       "connections, cost $%.4f", m->ncalls, errs, m->convs->nex, m->streams->n,
		       cost);
	model_free(m);
	return AN_EXIT_OK;
}
