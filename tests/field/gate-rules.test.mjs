// The gate device's rules (static/gate-rules.mjs) against the corpus the Rust side writes from
// `gates::decide` (crates/cordon-domain/tests/gate_corpus.rs): every passage, the same outcome
// and the same rule.
//
//   node tests/field/gate-rules.test.mjs
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decide } from '../../crates/cordon-server/static/gate-rules.mjs';

const root = resolve(import.meta.dirname, '../..');
const corpus = JSON.parse(readFileSync(join(root, 'tests/field/gate-corpus.json'), 'utf8'));
if (corpus.length < 500) throw new Error(`the corpus holds ${corpus.length} passages, fewer than 500`);
const wrong = [];
for (const c of corpus) {
  const d = decide(c.passage);
  if (d.outcome !== c.outcome || d.rule !== c.rule) wrong.push({ ...c, device: d });
}
for (const w of wrong.slice(0, 10)) console.log('DIFFERS', JSON.stringify(w));
console.log(`${corpus.length - wrong.length}/${corpus.length} passages decided as the server decides`);
process.exit(wrong.length === 0 ? 0 : 1);
