#!/usr/bin/env node
// The Node.js side of scripts/bench-validate.sh: what an EventGate-style
// validator does, as fast as Node allows. Compiles the schema once with ajv 8
// (formats asserted by ajv-formats), then reads the NDJSON file line by line
// in 1 MiB chunks, JSON.parse-s and validates each line, and counts.
//
// Usage: NODE_PATH=target/bench-node/node_modules node bench-validate-ajv.js SCHEMA.json FILE.ndjson
// Prints "<events> <valid> <invalid> <malformed>" on stdout, the rate on stderr.
'use strict';
const fs = require('fs');
const Ajv = require('ajv');
const addFormats = require('ajv-formats');

const [schemaPath, inputPath] = process.argv.slice(2);
if (!schemaPath || !inputPath) {
    console.error('usage: bench-validate-ajv.js SCHEMA.json FILE.ndjson');
    process.exit(2);
}
const start = process.hrtime.bigint();
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
// ajv knows the draft-07 meta-schema by its http:// id; Wikimedia schemas say https://.
if (typeof schema.$schema === 'string') schema.$schema = schema.$schema.replace(/^https:/, 'http:');
// allErrors as in EventGate (and as epc, which reports every error); strict
// off since Wikimedia schemas carry keywords (examples, ...) ajv's strict mode rejects.
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

let events = 0, valid = 0, invalid = 0, malformed = 0;
function check(line) {
    if (line.trim() === '') return;
    events++;
    let event;
    try {
        event = JSON.parse(line);
    } catch (e) {
        malformed++;
        return;
    }
    if (validate(event)) valid++; else invalid++;
}

const fd = fs.openSync(inputPath, 'r');
const buf = Buffer.allocUnsafe(1 << 20);
let carry = '';
for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    // Split on newlines at the byte level, so a multi-byte character cut by the chunk edge stays whole.
    let from = 0;
    let nl = buf.indexOf(10, from);
    if (nl === -1 || nl >= n) {
        carry += buf.toString('utf8', 0, n); // rare: a line longer than the buffer (carry is decoded per chunk)
        continue;
    }
    check(carry + buf.toString('utf8', 0, nl));
    carry = '';
    from = nl + 1;
    while ((nl = buf.indexOf(10, from)) !== -1 && nl < n) {
        check(buf.toString('utf8', from, nl));
        from = nl + 1;
    }
    carry = buf.toString('utf8', from, n);
}
if (carry !== '') check(carry);
fs.closeSync(fd);
const secs = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`${events} ${valid} ${invalid} ${malformed}`);
console.error(`ajv: ${events} events (${valid} valid, ${invalid} invalid, ${malformed} malformed) in ${secs.toFixed(3)} s: ${(events / secs).toFixed(0)} events/s`);
