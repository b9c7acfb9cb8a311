/* SPDX-License-Identifier: MIT */
/*
 * t_redact.c - secrets scrubbed from headers, raw plaintext, JSON bodies,
 * URLs and argv; ordinary text left alone.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/redact.h"
#include "tests/harness.h"

static void check_red(const char *in, const char *want)
{
	char *r = redact_str(in);

	CHECK_STR(r, want);
	/* the no-copy test agrees with the copy */
	CHECK(redact_clean(in, strlen(in)) == !strcmp(in, want));
	free(r);
}

TEST(headers)
{
	char *r = redact_header("Authorization", "Bearer sk-proj-abcdefghijklmnop1234");

	CHECK_STR(r, "Bearer [REDACTED]");
	free(r);
	r = redact_header("x-api-key", "sk-ant-api03-xyzxyzxyzxyz");
	CHECK_STR(r, "[REDACTED]");
	free(r);
	r = redact_header("Cookie", "a=b");
	CHECK_STR(r, "[REDACTED]");
	free(r);
	r = redact_header("Content-Type", "application/json");
	CHECK_STR(r, "application/json");
	free(r);
	CHECK(redact_header_name("X-Goog-Api-Key"));
}

TEST(text)
{
	check_red("POST /v1 HTTP/1.1\r\nx-api-key: sk-ant-api03-AAAAAAAAAAAAAAAA\r\nHost: a\r\n",
		  "POST /v1 HTTP/1.1\r\nx-api-key: [REDACTED]\r\nHost: a\r\n");
	check_red("export OPENAI_API_KEY=sk-proj-0123456789abcdefghij; ls",
		  "export OPENAI_API_KEY=sk-proj-[REDACTED]; ls");
	check_red("/v1beta/models/g:streamGenerateContent?key=AIzaSyAbCdEfGhIjKlMnOpQrSt&alt=sse",
		  "/v1beta/models/g:streamGenerateContent?key=[REDACTED]&alt=sse");
	check_red("{\"api_key\": \"hunter2\", \"model\": \"x\"}",
		  "{\"api_key\": \"[REDACTED]\", \"model\": \"x\"}");
	check_red("curl -H 'Authorization: Bearer abcdefghijklmnop' x",
		  "curl -H 'Authorization: Bearer [REDACTED]' x");
	check_red("task-list sk-short ordinary words, risk-free",
		  "task-list sk-short ordinary words, risk-free");
	check_red("ghp_0123456789abcdefghijABCDEFGHIJ", "ghp_[REDACTED]");
	check_red("", "");
	check_red("ls -la /tmp/work/file-17.txt", "ls -la /tmp/work/file-17.txt");
	check_red("a\nAuthorization: Basic QWxhZGRpbjpvcGVu\n", "a\nAuthorization: [REDACTED]\n");
	/* a clean prefix of a secret's text is clean */
	CHECK(redact_clean("x sk-ant-api03-AAAAAAAAAAAAAAAA", 4));
	CHECK(!redact_clean("x sk-ant-api03-AAAAAAAAAAAAAAAA", 31));
}

int main(void)
{
	RUN(headers);
	RUN(text);
	return harness_done();
}
