/* SPDX-License-Identifier: MIT */
/*
 * t_llm.c - the LLM layer without a capture: an OpenAI-compatible server is
 * found by path and body whatever its host, a non-LLM POST is skipped, an
 * invalid JSON body is an error on that call only, the pricing table
 * matches the longest prefix and rejects malformed lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/llm.h"
#include "tests/harness.h"

static struct http_msg *msg(int req, const char *target, const char *body)
{
	struct http_msg *m = calloc(1, sizeof(*m));

	m->is_req = req;
	if (req) {
		m->method = strdup("POST");
		m->target = strdup(target);
	} else {
		m->status = 200;
	}
	cap_buf_append(&m->body, body, strlen(body));
	m->complete = 1;
	return m;
}

static struct llm_call *call(const char *target, const char *req, const char *resp)
{
	struct conv_exchange ex;
	struct llm_call *c;

	memset(&ex, 0, sizeof(ex));
	ex.id = 1;
	ex.req = msg(1, target, req);
	ex.resp = msg(0, NULL, resp);
	c = llm_from_exchange(&ex, NULL);
	if (c)
		c->ex = NULL; /* ex lives on this stack frame only */
	http_msg_free(ex.req);
	http_msg_free(ex.resp);
	return c;
}

TEST(detection)
{
	struct llm_call *c;

	c = call("http://10.0.0.5:8000/v1/chat/completions?x=1",
		 "{\"model\":\"llama3\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
		 "{\"model\":\"llama3\",\"choices\":[{\"message\":{\"content\":\"yo\"},"
		 "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,"
		 "\"completion_tokens\":1}}");
	CHECK(c != NULL);
	if (c) {
		CHECK_STR(c->provider, "openai-compatible");
		CHECK_STR(c->path, "/v1/chat/completions");
		CHECK_STR(llm_text(c), "yo");
		CHECK_EQ_U(c->in_tok, 3);
		CHECK(!c->error);
		llm_call_free(c);
	}
	c = call("/upload", "{\"file\":\"x\"}", "{}");
	CHECK(c == NULL);
	c = call("/v1/messages", "{\"model\":\"claude\",\"messages\":[]}", "{\"content\": [");
	CHECK(c != NULL && c->error && strstr(c->error, "not valid JSON"));
	llm_call_free(c);
}

TEST(pricing)
{
	char path[] = "/tmp/t_llm_pricing.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct llm_pricing *pt = NULL;
	unsigned bad = 0;

	fputs("# comment\nclaude\t1\t2\t0.1\t1.25\nclaude-opus-4\t15\t75\t1.5\t18.75\n", f);
	fclose(f);
	CHECK_EQ_U(llm_pricing_load(path, &pt, &bad), 0);
	CHECK(pt && llm_pricing_find(pt, "claude-opus-4-1-20250805")->in == 15);
	CHECK(pt && llm_pricing_find(pt, "claude-3-haiku")->in == 1);
	CHECK(pt && !llm_pricing_find(pt, "gpt-4o"));
	llm_pricing_free(pt);
	f = fopen(path, "w");
	fputs("ok\t1\t2\t3\t4\nbroken\t1\tx\t3\t4\n", f);
	fclose(f);
	CHECK(llm_pricing_load(path, &pt, &bad) < 0);
	CHECK_EQ_U(bad, 2);
	unlink(path);
	/* the shipped table parses (tests run from the top of the tree) */
	CHECK_EQ_U(llm_pricing_load("analyze/pricing.tsv", &pt, &bad), 0);
	CHECK(pt && llm_pricing_find(pt, "claude-sonnet-4-20250514"));
	CHECK(pt && llm_pricing_find(pt, "gemini-2.5-flash")->out == 2.5);
	llm_pricing_free(pt);
}

int main(void)
{
	RUN(detection);
	RUN(pricing);
	return harness_done();
}
