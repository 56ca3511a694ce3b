// The tube barcode reader shipped with the app (static/code128.mjs), on labels drawn as a
// printer would: random tube ids, module widths that are no whole number of pixels, grey paper,
// uneven ink, upside down half the time. Its table is checked against the standard's own
// properties (every symbol 11 modules, an even count of bar modules, no two alike), so a typo
// in it cannot pass by decoding what the same typo encoded.
import assert from 'node:assert/strict';
import { PATTERNS, decodeImage, decodeRuns, widths } from '../../crates/cordon-server/static/code128.mjs';

assert.equal(PATTERNS.length, 107);
const seen = new Set();
PATTERNS.forEach((p, i) => {
  const modules = p.reduce((a, b) => a + b, 0);
  assert.equal(modules, i === 106 ? 13 : 11, `symbol ${i} is ${modules} modules`);
  const bars = p[0] + p[2] + p[4];
  assert.equal(bars % 2, 0, `symbol ${i}'s bars are ${bars} modules, not even`);
  assert.ok(!seen.has(p.join('')), `symbol ${i} repeats another`);
  seen.add(p.join(''));
});

let seed = 20261207;
const rnd = (n) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % n;
};

function label(text, mod, flip) {
  const w = widths(text);
  const quiet = 12;
  const W = Math.ceil((w.reduce((a, b) => a + b, 0) + 2 * quiet) * mod);
  const H = 12;
  const data = new Uint8ClampedArray(W * H * 4).fill(225);
  let pos = quiet * mod;
  let dark = true;
  for (const r of w) {
    const end = pos + r * mod;
    if (dark) {
      for (let x = Math.round(pos); x < Math.round(end); x++) {
        for (let y = 0; y < H; y++) {
          const o = (y * W + (flip ? W - 1 - x : x)) * 4;
          data[o] = data[o + 1] = data[o + 2] = 25 + rnd(30);
        }
      }
    }
    pos = end;
    dark = !dark;
  }
  return { data, W, H };
}

const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-';
let n = 0;
for (let k = 0; k < 1000; k++) {
  const text = k % 3 === 0
    ? String(rnd(1e9)).padStart(10, '0')
    : Array.from({ length: 4 + rnd(14) }, () => alpha[rnd(alpha.length)]).join('');
  // Two pixels a module or more: a label filling a third of a 720-pixel frame.
  const mod = 2 + rnd(250) / 100;
  const { data, W, H } = label(text, mod, k % 2 === 0);
  assert.equal(decodeImage(data, W, H), text, `${text} at ${mod} px a module`);
  n++;
}

// A label whose check symbol is wrong is not read, nor is a label cut short.
const w = widths('TUBE-0001');
const broken = [...w];
// The last data symbol, 1, read as 2: the check symbol still says 1.
broken.splice(6 * 9, 6, ...widths('TUBE-0002').slice(6 * 9, 6 * 10));
assert.equal(decodeRuns(broken), null, 'a wrong symbol passed the check');
assert.equal(decodeRuns(w.slice(0, w.length - 7)), null, 'a label without its stop was read');
assert.equal(decodeRuns(w), 'TUBE-0001');
console.log(`code128: ${n} labels read, table and checks hold`);
