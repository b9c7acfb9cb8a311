/* SPDX-License-Identifier: MIT */
/*
 * t_llm_gemini.c - Gemini calls as Gemini CLI makes them: a non-streamed
 * generateContent with a JSON response schema and no tools is a side call
 * (the model router's classifier), a tool-carrying turn stays a turn,
 * countTokens is a count_tokens call with its total as input tokens, a
 * functionResponse names its function, thought parts are thinking.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/llm.h"
#include "tests/harness.h"
#include "tests/unit/llm_fixture.h"

#define CLASSIFIER_REQ                                                                   \
	"{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"write a file\"}]}],"  \
	"\"systemInstruction\":{\"role\":\"user\",\"parts\":[{\"text\":\"Score it\"}]}," \
	"\"generationConfig\":{\"responseMimeType\":\"application/json\","             \
	"\"responseJsonSchema\":{\"type\":\"OBJECT\"}}}"
#define ANSWER(parts)                                                                    \
	"{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[" parts "]},"       \
	"\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":10,"       \
	"\"candidatesTokenCount\":2,\"cachedContentTokenCount\":4}}"

TEST(side_call)
{
	struct llm_call *c;

	c = call("/v1beta/models/gemini-2.5-flash-lite:generateContent", CLASSIFIER_REQ,
		 ANSWER("{\"text\":\"{\\\"complexity_score\\\":10}\"}"));
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_STR(c->purpose, "side-call");
	CHECK_STR(c->model_req, "gemini-2.5-flash-lite");
	CHECK_STR(c->system, "Score it");
	CHECK_STR(llm_text(c), "{\"complexity_score\":10}");
	CHECK_EQ_U(c->in_tok, 6);
	CHECK_EQ_U(c->cache_read, 4);
	llm_call_free(c);
}

TEST(turn_with_tools)
{
	struct llm_call *c;

	c = call("/v1beta/models/gemini-2.5-pro:generateContent",
		 "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"go\"}]},"
		 "{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"run_shell_command\","
		 "\"args\":{\"command\":\"ls\"}}}]},{\"role\":\"user\",\"parts\":[{"
		 "\"functionResponse\":{\"name\":\"run_shell_command\",\"response\":"
		 "{\"output\":\"a.txt\"}}}]}],\"tools\":[{\"functionDeclarations\":[{\"name\":"
		 "\"run_shell_command\"}]}],\"generationConfig\":{\"responseMimeType\":"
		 "\"application/json\"}}",
		 ANSWER("{\"text\":\"mulling\",\"thought\":true},{\"text\":\"done\"}"));
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_STR(c->purpose, "turn");
	CHECK_EQ_U(c->ntools, 1);
	CHECK_EQ_U(c->nmsgs, 3);
	if (c->nmsgs == 3) {
		CHECK_STR(c->msgs[1].text, "[tool_call run_shell_command] {\"command\":\"ls\"}");
		CHECK_STR(c->msgs[2].text, "[tool_result run_shell_command] {\"output\":\"a.txt\"}");
	}
	CHECK_STR(llm_thinking(c), "mulling");
	CHECK_STR(llm_text(c), "done");
	CHECK_STR(c->finish, "STOP");
	llm_call_free(c);
}

TEST(count_tokens)
{
	struct llm_call *c;

	c = call("/v1beta/models/gemini-2.5-flash:countTokens",
		 "{\"generateContentRequest\":{\"model\":\"models/gemini-2.5-flash\","
		 "\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"how long?\"}]}]}}",
		 "{\"totalTokens\":42}");
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_STR(c->purpose, "count_tokens");
	CHECK_STR(c->api, "countTokens");
	CHECK_EQ_U(c->nmsgs, 1);
	CHECK_EQ_U(c->in_tok, 42);
	CHECK(!c->error);
	llm_call_free(c);
}

int main(void)
{
	RUN(side_call);
	RUN(turn_with_tools);
	RUN(count_tokens);
	return harness_done();
}
