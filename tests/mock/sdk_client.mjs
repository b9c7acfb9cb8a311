// SPDX-License-Identifier: MIT
// sdk_client.mjs PORT - the official Node SDKs (openai, @anthropic-ai/sdk)
// against llm_mock.py: Anthropic non-streamed with a tool and streamed, OpenAI
// chat non-streamed and streamed with usage.  NODE_EXTRA_CA_CERTS must name
// the mock's certificate.  Run from a directory whose node_modules holds both
// SDKs (tests/e2e/t_analyze_llm_record.sh copies it there).
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';

const base = `https://127.0.0.1:${process.argv[2]}`;
const a = new Anthropic({ apiKey: 'sk-ant-api03-NODEFAKEKEY0123456789abcdef', baseURL: base });
await a.messages.create({
	model: 'claude-sonnet-4-20250514', max_tokens: 64,
	messages: [{ role: 'user', content: 'hi from node' }],
	tools: [{ name: 'Bash', input_schema: { type: 'object' } }],
});
const s = await a.messages.create({
	model: 'claude-sonnet-4-20250514', max_tokens: 64, stream: true,
	messages: [{ role: 'user', content: 'stream from node' }],
});
for await (const ev of s) { void ev; }
const o = new OpenAI({ apiKey: 'sk-proj-NODEFAKEKEY0123456789abcdef', baseURL: base + '/v1' });
await o.chat.completions.create({
	model: 'gpt-4o', messages: [{ role: 'user', content: 'hi openai node' }],
});
const st = await o.chat.completions.create({
	model: 'gpt-4o', stream: true, stream_options: { include_usage: true },
	messages: [{ role: 'user', content: 'stream openai node' }],
});
for await (const ch of st) { void ch; }
console.log('done');
