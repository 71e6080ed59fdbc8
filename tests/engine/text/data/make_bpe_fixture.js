// Builds the BPE parity fixture from a folder of documents and encodes each document with the npm
// package gpt-3-encoder (GPT-2's tokenizer in JavaScript). No tokenizer code here: it only calls the
// package. Usage: node make_bpe_fixture.js DOCS_DIR ENCODER_MODULE_DIR OUT_TEXT.jsonl OUT_IDS.jsonl
// Each document becomes one Pile-format line {"text", "meta": {"pile_set_name"}}; the ids file has one
// JSON array of ids per document, in the same order.
'use strict';
const fs = require('fs');
const path = require('path');

const [docsDir, encoderDir, outText, outIds] = process.argv.slice(2);
const { encode, decode } = require(encoderDir);

const names = fs.readdirSync(docsDir).filter((n) => n.endsWith('.txt')).sort();
const textLines = [];
const idLines = [];
let bytes = 0;
let tokens = 0;
for (const name of names) {
  const text = fs.readFileSync(path.join(docsDir, name), 'utf8');
  // The file name is "NNN_set_title.txt": the set name is its second part.
  const set = name.split('_')[1];
  const ids = encode(text);
  if (ids.some((id) => id === undefined)) throw new Error(name + ': gpt-3-encoder produced an unknown token');
  if (decode(ids) !== text) throw new Error(name + ': gpt-3-encoder does not round-trip this document');
  textLines.push(JSON.stringify({ text, meta: { pile_set_name: set, title: name } }));
  idLines.push(JSON.stringify(ids));
  bytes += Buffer.byteLength(text, 'utf8');
  tokens += ids.length;
}
fs.writeFileSync(outText, textLines.join('\n') + '\n');
fs.writeFileSync(outIds, idLines.join('\n') + '\n');
console.log(`${names.length} documents, ${bytes} bytes, ${tokens} tokens`);
