// trace_model.cjs - read a Chrome / Perfetto trace with a real consumer of
// the Trace Event Format, TracerBench's @tracerbench/trace-model (npm): it
// sorts the events, builds processes and threads from the metadata and
// gives every complete event the parent that contains it.  Checks that the
// agent's processes come out named "COMM PID" with "LLM calls" and
// "tool calls" threads holding top-level "chat"/"tool" slices, that every
// exec slice's parent is its process lifetime slice, and that no slice
// sticks out of the parent the model gave it (a partial overlap would).
//
//   NODE_PATH=DIR/node_modules node trace_model.cjs TRACE.json
'use strict';
const fs = require('fs');
const { buildModel } = require('@tracerbench/trace-model');

const trace = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const model = buildModel(trace.traceEvents);
const errs = [];
let slices = 0, agents = 0;
for (const p of model.processes) {
  const names = p.threads.map((t) => t.name);
  for (const t of p.threads) {
    for (const e of t.events) {
      if (!e.isComplete()) continue;
      slices++;
      if (e.parent && (e.start < e.parent.start || e.end > e.parent.end))
        errs.push(`${p.name}/${t.name}: ${e.name} sticks out of ${e.parent.name}`);
      if (e.name.startsWith('exec ') && (!e.parent || !e.parent.hasCategory('process')))
        errs.push(`${p.name}: ${e.name} is not inside the process slice`);
      if ((e.name.startsWith('chat ') || e.name.startsWith('tool ')) && e.parent)
        errs.push(`${p.name}/${t.name}: ${e.name} nested in ${e.parent.name}`);
    }
  }
  if (names.includes('LLM calls')) {
    agents++;
    const llm = p.threads.find((t) => t.name === 'LLM calls');
    const pid = llm.events[0] && llm.events[0].pid;
    if (!/^\S+ \d+$/.test(p.name) || !p.name.endsWith(` ${pid}`))
      errs.push(`agent process named ${p.name}, pid ${pid}`);
    if (!llm.events.some((e) => e.isComplete() && e.name.startsWith('chat ')))
      errs.push(`${p.name}: no chat slice on its LLM calls thread`);
    if (!names.includes('tool calls'))
      errs.push(`${p.name}: no tool calls thread`);
  }
}
if (agents < 2) errs.push(`${agents} agent processes, expected 2`);
console.log(`trace_model: ${model.processes.length} processes, ${slices} slices, ${agents} agents`);
for (const e of errs.slice(0, 20)) console.log('error:', e);
process.exit(errs.length ? 1 : 0);
