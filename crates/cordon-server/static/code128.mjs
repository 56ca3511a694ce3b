// Code 128 (the barcode on sampling tubes), read from a camera frame where the browser has no
// BarcodeDetector (Debian's Chromium, many phones). Each of a few rows across the frame is cut
// into runs of dark and light; a run of six that reads as a start symbol begins a try, each
// symbol is the pattern nearest its six widths (scaled by the symbol's own width, so a tilted or
// near label reads too), and a read counts only if it ends on the stop symbol and its check
// symbol (modulo 103) agrees. Read both ways: a tube may be held upside down.
// The widths of each symbol (bar, space, bar, space, bar, space), in modules; 106 is the stop
// (with its final bar of 2). Written from the standard's table (ISO/IEC 15417).

export const PATTERNS = (
  '212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212 112232 ' +
  '122132 122231 113222 123122 123221 223211 221132 221231 213212 223112 312131 311222 321122 ' +
  '321221 312212 322112 322211 212123 212321 232121 111323 131123 131321 112313 132113 132311 ' +
  '211313 231113 231311 112133 112331 132131 113123 113321 133121 313121 211331 231131 213113 ' +
  '213311 213131 311123 311321 331121 312113 312311 332111 314111 221411 431111 111224 111422 ' +
  '121124 121421 141122 141221 112214 112412 122114 122411 142112 142211 241211 221114 413111 ' +
  '241112 134111 111242 121142 121241 114212 124112 124211 411212 421112 421211 212141 214121 ' +
  '412121 111143 111341 131141 114113 114311 411113 411311 113141 114131 311141 411131 211412 ' +
  '211214 211232 2331112'
).split(' ').map((p) => [...p].map(Number));

export const START_A = 103;
export const START_B = 104;
export const START_C = 105;
export const STOP = 106;
const CODE_C = 99;
const CODE_B = 100;
const CODE_A = 101;
const SHIFT = 98;
const FNC1 = 102;

/// The symbol whose pattern is nearest `runs` (six widths; the stop by its first six), or -1
/// when none is near enough.
function nearest(runs) {
  const total = runs.reduce((a, b) => a + b, 0);
  const unit = total / 11;
  let best = -1;
  let bestErr = Infinity;
  for (let s = 0; s <= STOP; s++) {
    const p = PATTERNS[s];
    let err = 0;
    for (let i = 0; i < 6; i++) err += Math.abs(runs[i] / unit - p[i]);
    if (err < bestErr) {
      bestErr = err;
      best = s;
    }
  }
  // Six widths each off by more than half a module on average is not a symbol.
  return bestErr <= 2.4 ? best : -1;
}

/// The text of the symbols' values (start, data, no check, no stop), or null.
function text(values) {
  let set = values[0] === START_A ? 'A' : values[0] === START_B ? 'B' : 'C';
  let out = '';
  for (let i = 1; i < values.length; i++) {
    const v = values[i];
    if (v === FNC1) continue;
    if (set === 'C') {
      if (v < 100) out += String(v).padStart(2, '0');
      else if (v === CODE_B) set = 'B';
      else if (v === CODE_A) set = 'A';
      else return null;
      continue;
    }
    if (v === SHIFT && i + 1 < values.length) {
      const next = values[++i];
      out += set === 'A' ? String.fromCharCode(next + 32) : next < 64 ? String.fromCharCode(next + 32) : String.fromCharCode(next - 64);
      continue;
    }
    if (v === CODE_C) set = 'C';
    else if (set === 'A' && v === CODE_B) set = 'B';
    else if (set === 'B' && v === CODE_A) set = 'A';
    else if (v < 64) out += String.fromCharCode(v + 32);
    else if (v < 96) out += set === 'A' ? String.fromCharCode(v - 64) : String.fromCharCode(v + 32);
    else if (v > 95) continue; // FNC2–4: nothing a tube's label carries
  }
  return out;
}

/// Reads a barcode from runs of alternating widths that begin with a dark run.
export function decodeRuns(runs) {
  for (let at = 0; at + 6 <= runs.length; at += 2) {
    const first = nearest(runs.slice(at, at + 6));
    if (first < START_A || first > START_C) continue;
    const values = [first];
    let i = at + 6;
    let ok = false;
    while (i + 6 <= runs.length) {
      const v = nearest(runs.slice(i, i + 6));
      if (v === STOP) {
        ok = true;
        break;
      }
      if (v < 0 || v >= START_A) break;
      values.push(v);
      i += 6;
    }
    if (!ok || values.length < 3) continue;
    const check = values.pop();
    const sum = values.reduce((acc, v, k) => acc + (k === 0 ? v : v * k), 0);
    if (sum % 103 !== check) continue;
    const t = text(values);
    if (t) return t;
  }
  return null;
}

/// The runs of one row of luminance, dark first (light before the first dark run dropped).
function runsOf(row) {
  let lo = 255;
  let hi = 0;
  for (const v of row) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (hi - lo < 40) return [];
  const mid = (lo + hi) / 2;
  const runs = [];
  let dark = row[0] < mid;
  let n = 0;
  for (const v of row) {
    const d = v < mid;
    if (d === dark) n++;
    else {
      runs.push(n);
      dark = d;
      n = 1;
    }
  }
  runs.push(n);
  // Begin with a dark run.
  return row[0] < mid ? runs : runs.slice(1);
}

/// Reads a tube's barcode from RGBA pixels (a canvas's ImageData), trying rows across the
/// middle of the frame, each both ways. Returns its text or null.
export function decodeImage(data, width, height) {
  const rows = 15;
  for (let k = 0; k < rows; k++) {
    const y = Math.floor(height * (0.2 + (0.6 * k) / (rows - 1)));
    const row = new Array(width);
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      row[x] = 0.299 * data[o] + 0.587 * data[o + 1] + 0.114 * data[o + 2];
    }
    const runs = runsOf(row);
    const read = decodeRuns(runs) ?? decodeRuns(runsOf(row.reverse()));
    if (read) return read;
  }
  return null;
}

/// The symbols of `text` (start, data, check, stop): Code C for an even run of digits, else
/// Code B. For the tests and for printing labels.
export function encode(textIn) {
  const digits = /^(\d\d)+$/.test(textIn);
  const values = [digits ? START_C : START_B];
  if (digits) for (let i = 0; i < textIn.length; i += 2) values.push(Number(textIn.slice(i, i + 2)));
  else {
    for (const ch of textIn) {
      const c = ch.charCodeAt(0);
      if (c < 32 || c > 127) throw new Error(`Code 128 B cannot hold ${JSON.stringify(ch)}`);
      values.push(c - 32);
    }
  }
  values.push(values.reduce((acc, v, k) => acc + (k === 0 ? v : v * k), 0) % 103);
  values.push(STOP);
  return values;
}

/// The widths of `text`'s symbols, in modules, dark first.
export function widths(textIn) {
  return encode(textIn).flatMap((v) => PATTERNS[v]);
}
