// SPDX-License-Identifier: MIT
// decode.js - read an OTLP/JSON trace export with the OpenTelemetry
// protobuf definitions (the protobufjs root generated from
// opentelemetry-proto that @opentelemetry/otlp-transformer ships):
// ExportTraceServiceRequest.fromObject, encode to the binary protobuf,
// decode it again and print what the decoder saw, as OTLP/JSON.  Fails
// when an id is not hex of the right length, when the message does not
// verify, or when the decoded message differs from the input (a key the
// schema does not know, a value of the wrong type).
//
//   node decode.js ROOT.js OUT.json >DECODED.json
'use strict';
const fs = require('fs');
const root = require(process.argv[2]);
const Req = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const input = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const IDS = { traceId: 16, spanId: 8, parentSpanId: 8 };

function die(msg) {
	process.stderr.write('decode.js: ' + msg + '\n');
	process.exit(1);
}

// OTLP/JSON carries ids as hex, the protobuf JSON mapping as base64
function walk(v, f) {
	if (Array.isArray(v))
		return v.map((x) => walk(x, f));
	if (v && typeof v === 'object') {
		const o = {};
		for (const k of Object.keys(v))
			o[k] = k in IDS ? f(k, v[k]) : walk(v[k], f);
		return o;
	}
	return v;
}

const bin = walk(input, (k, s) => {
	if (typeof s !== 'string' || !new RegExp('^[0-9a-f]{' + 2 * IDS[k] + '}$').test(s))
		die(k + ' is not ' + IDS[k] + ' bytes of hex: ' + JSON.stringify(s));
	return Buffer.from(s, 'hex');
});
const msg = Req.fromObject(bin);
const err = Req.verify(msg);
if (err)
	die('does not verify: ' + err);
const wire = Req.encode(msg).finish();
const back = Req.toObject(Req.decode(wire), { longs: String, enums: Number, bytes: Array });
const out = walk(back, (k, a) => Buffer.from(a).toString('hex'));

// drop what the protobuf JSON mapping leaves out anyway: empty, zero
function norm(v) {
	if (Array.isArray(v))
		return v.map(norm);
	if (v && typeof v === 'object') {
		const o = {};
		for (const k of Object.keys(v).sort()) {
			const x = norm(v[k]);
			if (x === 0 || x === '0' || x === '' ||
			    (Array.isArray(x) && !x.length) ||
			    (x && typeof x === 'object' && !Array.isArray(x) && !Object.keys(x).length))
				continue;
			o[k] = x;
		}
		return o;
	}
	return v;
}

function diff(a, b, path) {
	if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b))
		return path + ': ' + JSON.stringify(a) + ' != ' + JSON.stringify(b);
	if (a && typeof a === 'object') {
		const ka = Object.keys(a), kb = Object.keys(b);
		for (const k of new Set([...ka, ...kb])) {
			if (!(k in b))
				return path + '.' + k + ': not in the schema (lost in decoding)';
			if (!(k in a))
				return path + '.' + k + ': appeared in decoding';
			const d = diff(a[k], b[k], path + '.' + k);
			if (d)
				return d;
		}
		return null;
	}
	return a === b ? null : path + ': ' + JSON.stringify(a) + ' != ' + JSON.stringify(b);
}

const d = diff(norm(input), norm(out), '$');
if (d)
	die('decoded message differs from the input: ' + d);
process.stderr.write('decode.js: ' + wire.length + ' protobuf bytes, ' +
	(out.resourceSpans || []).length + ' resourceSpans\n');
process.stdout.write(JSON.stringify(out) + '\n');
