/* SPDX-License-Identifier: MIT */
/*
 * t_llm.c - the LLM layer without a capture: an OpenAI-compatible server is
 * found by path and body whatever its host, a non-LLM POST is skipped, an
 * invalid JSON body is an error on that call only, the pricing table
 * matches the longest prefix and rejects malformed lines; each call gets its
 * purpose (turn, side-call, count_tokens, retry).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/llm.h"
#include "tests/harness.h"
#include "tests/unit/llm_fixture.h"

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

/* An Anthropic exchange of process @pid from a client with User-Agent @ua. */
static struct conv_exchange *anth_ex(struct stream_conn *sc, const char *ua, const char *target,
				     const char *req, int status, const char *resp)
{
	struct conv_exchange *ex = calloc(1, sizeof(*ex));

	ex->conn = sc;
	ex->req = msg(1, target, req);
	ex->resp = msg(0, NULL, resp);
	ex->resp->status = status;
	if (ua) {
		ex->req->hdrs = calloc(1, sizeof(*ex->req->hdrs));
		ex->req->hdrs[0].name = strdup("User-Agent");
		ex->req->hdrs[0].value = strdup(ua);
		ex->req->nhdrs = ex->req->chdrs = 1;
	}
	return ex;
}

static void ex_free(struct conv_exchange *ex)
{
	http_msg_free(ex->req);
	http_msg_free(ex->resp);
	free(ex);
}

TEST(purpose)
{
	static const char turn[] = "{\"model\":\"claude-opus-4-8\",\"messages\":[{\"role\":"
		"\"user\",\"content\":\"hi\"}],\"tools\":[{\"name\":\"Bash\"}]}";
	static const char side[] = "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":32,"
		"\"messages\":[{\"role\":\"user\",\"content\":\"title?\"}]}";
	static const char ok[] = "{\"content\":[{\"type\":\"text\",\"text\":\"x\"}]}";
	static const char err[] = "{\"type\":\"error\",\"error\":{\"type\":"
		"\"overloaded_error\",\"message\":\"Overloaded\"}}";
	struct stream_conn sc = { .id = 1, .pid = 42 };
	struct conv_exchange *ex[6];
	struct llm_call *c[6];
	size_t i;

	ex[0] = anth_ex(&sc, "claude-cli/2.1.197 (external, sdk-cli)", "/v1/messages?beta=true",
			turn, 200, ok);
	ex[1] = anth_ex(&sc, "claude-cli/2.1.197 (external, sdk-cli)", "/v1/messages?beta=true",
			side, 200, ok);
	ex[2] = anth_ex(&sc, "claude-cli/2.1.197", "/v1/messages/count_tokens", side, 200,
			"{\"input_tokens\":12}");
	/* the same request again after an error: a retry, and then again after
	 * a success: a new turn */
	ex[3] = anth_ex(&sc, "claude-cli/2.1.197", "/v1/messages?beta=true", turn, 529, err);
	ex[4] = anth_ex(&sc, "claude-cli/2.1.197", "/v1/messages?beta=true", turn, 200, ok);
	/* no tools from another client: a plain turn */
	ex[5] = anth_ex(&sc, "python-httpx/0.27", "/v1/messages", side, 200, ok);
	for (i = 0; i < 6; i++)
		c[i] = llm_from_exchange(ex[i], NULL);
	for (i = 0; i < 6; i++)
		if (!c[i])
			break;
	CHECK_EQ_U(i, 6);
	if (i == 6) {
		llm_mark_retries(c, 6);
		CHECK_STR(c[0]->purpose, "turn");
		CHECK_STR(c[1]->purpose, "side-call");
		CHECK_STR(c[2]->purpose, "count_tokens");
		CHECK_STR(c[3]->purpose, "turn");
		CHECK_STR(c[4]->purpose, "retry");
		CHECK_STR(c[5]->purpose, "turn");
	}
	for (i = 0; i < 6; i++) {
		llm_call_free(c[i]);
		ex_free(ex[i]);
	}
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
	RUN(purpose);
	RUN(pricing);
	return harness_done();
}
