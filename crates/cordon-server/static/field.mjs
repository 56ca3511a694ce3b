// The gate in the field (离线可用): decides with the server while the network is there and on the
// phone when it is not, by the same rules (gate-rules.mjs), and sends what it decided offline
// once the network is back, each passage under an id made here so the server keeps it once.
//
// What the phone keeps, in IndexedDB, is sealed with AES-GCM under keys that never leave the
// browser (non-extractable): the gate's post (its people and passes) under one key, deleted on
// signing out, when the session is refused, or when the post is older than the profile allows;
// the passages waiting to be sent under another, deleted only once nothing waits.
import { judgeOffline } from '/static/gate-rules.mjs';

const root = document.getElementById('field');
const gateId = root ? Number(root.dataset.gate) : NaN;
const csrf = root?.dataset.csrf ?? '';
const owner = root?.dataset.user ?? '';
const classic = root?.dataset.mode === 'classic';
const words = JSON.parse(document.getElementById('field-words')?.textContent || '{}');
const say = (text, n) => String(text ?? '').replace('{n}', n);

// ---- the phone's storage ----

function idb() {
  return new Promise((ok, fail) => {
    const r = indexedDB.open('cordon-field', 1);
    r.onupgradeneeded = () => {
      r.result.createObjectStore('kv');
      r.result.createObjectStore('queue', { keyPath: 'id' });
    };
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
}

async function tx(store, mode, fn) {
  const db = await idb();
  return new Promise((ok, fail) => {
    const t = db.transaction(store, mode);
    const req = fn(t.objectStore(store));
    t.oncomplete = () => { db.close(); ok(req ? req.result : undefined); };
    t.onerror = () => { db.close(); fail(t.error); };
    t.onabort = () => { db.close(); fail(t.error ?? new Error('aborted')); };
  });
}
const kvGet = (k) => tx('kv', 'readonly', (s) => s.get(k));
const kvPut = (k, v) => tx('kv', 'readwrite', (s) => s.put(v, k));
const kvDel = (k) => tx('kv', 'readwrite', (s) => s.delete(k));
const queued = () => tx('queue', 'readonly', (s) => s.getAll());
const count = () => tx('queue', 'readonly', (s) => s.count());
const remember = async () => localStorage.setItem('cordon-field-waiting', String(await count()));
const enqueue = async (item) => { await tx('queue', 'readwrite', (s) => s.put(item)); await remember(); };
const dequeue = async (ids) => { await tx('queue', 'readwrite', (s) => { ids.forEach((id) => s.delete(id)); }); await remember(); };

async function keyOf(name, create) {
  let k = await kvGet(name);
  if (!k && create) {
    k = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    await kvPut(name, k);
  }
  return k ?? null;
}

async function seal(name, value) {
  const key = await keyOf(name, true);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(JSON.stringify(value)));
  return { iv, data };
}

async function unseal(name, box) {
  const key = await keyOf(name, false);
  if (!key || !box) return null;
  try {
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: box.iv }, key, box.data);
    return JSON.parse(new TextDecoder().decode(plain));
  } catch {
    return null;
  }
}

/// Forgets the post: its key first, so what is left of it cannot be read.
async function forgetPost() {
  await kvDel('post-key');
  await kvDel(`post:${gateId}`);
  await kvDel(`used:${gateId}`);
  state.post = null;
}

// ---- the network ----

async function fetchT(url, opts = {}, ms = 6000) {
  const c = new AbortController();
  const t = setTimeout(() => c.abort(), ms);
  try {
    return await fetch(url, { ...opts, signal: c.signal, credentials: 'same-origin' });
  } finally {
    clearTimeout(t);
  }
}

const state = { post: null, online: navigator.onLine, lastSync: null, waiting: 0, log: [] };

async function refreshPost() {
  let r;
  try {
    r = await fetchT(`/api/v1/gates/${gateId}/post`, {}, 15000);
  } catch {
    state.online = false;
    return;
  }
  state.online = true;
  if (r.status === 401 || r.status === 403) {
    await forgetPost(); // the session is over or refused: the phone keeps nothing readable
    return;
  }
  if (!r.ok) return;
  const post = await r.json();
  await kvPut(`post:${gateId}`, { box: await seal('post-key', post), owner, issued_at: post.issued_at, expires_at: post.expires_at });
  await kvPut(`used:${gateId}`, []);
  state.post = post;
}

async function loadPost() {
  const kept = await kvGet(`post:${gateId}`);
  if (!kept) return null;
  if (kept.owner !== owner || Date.parse(kept.expires_at) <= Date.now()) {
    await forgetPost();
    return null;
  }
  return unseal('post-key', kept.box);
}

async function sync() {
  const run = async () => {
    const mine = (await queued()).filter((i) => i.owner === owner && i.state === 'waiting');
    for (let at = 0; at < mine.length; at += 200) {
      const chunk = mine.slice(at, at + 200);
      const passages = [];
      for (const i of chunk) {
        const p = await unseal('queue-key', i.box);
        if (p) passages.push({ ...p, sent_at: new Date().toISOString() });
      }
      let r;
      try {
        r = await fetchT('/api/v1/gates/passages/offline', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
          body: JSON.stringify({ passages }),
        }, 20000);
      } catch {
        state.online = false;
        return;
      }
      state.online = true;
      if (!r.ok) return;
      const results = await r.json();
      const done = [];
      const conflicts = (await kvGet('conflicts')) ?? [];
      for (const res of results) {
        const item = chunk.find((i) => i.id === res.id);
        if (!item) continue;
        if (res.state === 'refused') {
          await enqueue({ ...item, state: 'refused', error: res.error });
          conflicts.push({ ...item.brief, id: res.id, error: res.error });
          continue;
        }
        done.push(res.id);
        if (res.conflict) conflicts.push({ ...item.brief, id: res.id, conflict: res.conflict, passage: res.passage_id });
      }
      await kvPut('conflicts', conflicts.slice(-50));
      await dequeue(done);
    }
    state.lastSync = Date.now();
    await kvPut('last-sync', state.lastSync);
    if ((await queued()).length === 0) await kvDel('queue-key');
  };
  // Two tabs, or a retry while a sync runs: one at a time.
  if (navigator.locks) await navigator.locks.request('cordon-field-sync', run);
  else await run();
}

// ---- what the page shows ----

const $ = (sel) => root.querySelector(sel);

async function showState() {
  const all = (await queued()).filter((i) => i.owner === owner);
  state.waiting = all.filter((i) => i.state === 'waiting').length;
  // A count kept apart from IndexedDB: when storage is cleared under us, the worker is told.
  const lost = Number(localStorage.getItem('cordon-field-waiting') ?? 0) > (await count());
  if (classic) return;
  const box = document.getElementById('field-state');
  box.classList.toggle('offline', !state.online);
  box.querySelector('.net').textContent = state.online ? words.online : words.offline;
  box.querySelector('.waiting').textContent = say(words.waiting, state.waiting);
  const mins = (t) => Math.max(0, Math.round((Date.now() - t) / 60000));
  const age = [state.lastSync ? say(words.synced_ago, mins(state.lastSync)) : words.never_synced];
  if (state.post) age.push(say(words.data_age, mins(Date.parse(state.post.issued_at))));
  box.querySelector('.age').textContent = age.join(' · ');
  box.querySelector('.sync-now').hidden = state.waiting === 0;
  const stop = document.getElementById('field-stop');
  const kept = await kvGet(`post:${gateId}`);
  stop.hidden = true;
  if (lost) {
    stop.textContent = words.storage_lost;
    stop.hidden = false;
  } else if (!state.online && !state.post) {
    stop.textContent = kept ? words.expired : words.no_data;
    stop.hidden = false;
  }
  await showConflicts();
}

async function showConflicts() {
  const list = (await kvGet('conflicts')) ?? [];
  const box = document.getElementById('conflicts');
  box.hidden = list.length === 0;
  const ul = box.querySelector('ul');
  ul.replaceChildren(...list.slice().reverse().map((c) => {
    const li = document.createElement('li');
    li.className = 'refused';
    const mine = `${clock(c.at)} ${words.directions?.[c.direction] ?? ''} · ${words.outcomes?.[c.outcome] ?? ''}`;
    let theirs;
    if (c.error) theirs = `${words.not_kept}: ${c.error}`;
    else {
      const parts = [];
      if (c.conflict.server_outcome) {
        parts.push(`${words.server_said}: ${words.outcomes[c.conflict.server_outcome]} · ${words.reasons[c.conflict.server_rule] ?? ''}`);
      }
      if (c.conflict.clock_ahead_minutes) parts.push(say(words.clock_ahead, c.conflict.clock_ahead_minutes));
      theirs = parts.join(' · ');
    }
    li.textContent = `${mine} — ${theirs}`;
    return li;
  }));
}

function clock(iso) {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

function render(d, how, input) {
  const v = document.getElementById('verdict');
  v.className = `verdict ${d.outcome}`;
  v.hidden = false;
  v.querySelector('.outcome').textContent = words.outcomes[d.outcome];
  v.querySelector('.why').textContent = d.note_text ? `${words.reasons[d.rule]} · ${d.note_text}` : words.reasons[d.rule];
  const who = [words.directions[input.direction], words.subjects[d.subject ?? 'resident']];
  if (d.name) who.push(d.name);
  if (d.standing) who.push(words.standings[d.standing]);
  v.querySelector('.who').textContent = who.join(' · ');
  v.querySelector('.how').textContent = how;
  v.querySelector('.confirm').hidden = d.outcome !== 'ask_confirmation';
  document.getElementById('field-form').hidden = true;
  v.querySelector(d.outcome === 'ask_confirmation' ? '.confirm' : '.next').focus();
  state.log.unshift({ at: new Date().toISOString(), outcome: d.outcome, text: `${words.directions[input.direction]} · ${words.outcomes[d.outcome]} · ${words.reasons[d.rule]}${d.name ? ` · ${d.name}` : ''}` });
  const log = document.getElementById('field-log');
  log.hidden = false;
  log.querySelector('ul').replaceChildren(...state.log.slice(0, 8).map((e) => {
    const li = document.createElement('li');
    li.className = e.outcome;
    li.textContent = `${clock(e.at)} ${e.text}`;
    return li;
  }));
}

// ---- deciding ----

function actionId() {
  const rnd = [...crypto.getRandomValues(new Uint8Array(6))].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `g${gateId}-${Date.now().toString(36)}-${rnd}`;
}

async function decideOnline(input) {
  const r = await fetchT(`/api/v1/gates/${gateId}/decisions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
    body: JSON.stringify({ ...input, subject: input.subject || null, person: input.person || null, pass: input.pass || null }),
  });
  if (r.status >= 500) throw new Error(`server ${r.status}`);
  const body = await r.json();
  if (!r.ok) return { error: body.message ?? body.error ?? String(r.status) };
  return { outcome: body.outcome, rule: body.rule, subject: body.subject, name: body.person?.name, standing: body.person?.standing, note_text: body.note };
}

async function decideOffline(input) {
  if (!state.post) state.post = await loadPost();
  const post = state.post;
  if (!post) return { stop: true };
  const used = (await kvGet(`used:${gateId}`)) ?? [];
  const j = await judgeOffline(post, input, Date.now(), used);
  const note = j.pass?.note ? words.pass_notes[j.pass.note] : j.rule === 'unknown_person' ? words.not_in_post : '';
  const d = { outcome: j.outcome, rule: j.rule, subject: j.subject, name: j.person?.name, standing: j.person?.standing, note_text: note };
  if (d.outcome === 'ask_confirmation') return d;
  const at = new Date().toISOString();
  const passage = {
    id: actionId(), gate_id: gateId, at, direction: input.direction, subject: input.subject || null,
    person: input.person || null, pass: input.pass || null, confirmed: !!input.confirmed, note: input.note,
    outcome: d.outcome, rule: d.rule,
  };
  await enqueue({
    id: passage.id, owner, state: 'waiting', box: await seal('queue-key', passage),
    brief: { at, direction: input.direction, outcome: d.outcome, rule: d.rule },
  });
  if (d.outcome === 'allowed' && j.pass?.claims?.o) await kvPut(`used:${gateId}`, [...used, j.pass.claims.i]);
  return d;
}

let pending = null;

async function decide(input) {
  let d = null;
  if (navigator.onLine) {
    try {
      d = await decideOnline(input);
      state.online = true;
    } catch {
      state.online = false;
    }
  } else {
    state.online = false;
  }
  let how = words.decided_online;
  if (d === null) {
    d = await decideOffline(input);
    how = words.decided_offline;
    if (d.stop) {
      await showState();
      document.getElementById('field-stop').scrollIntoView();
      return;
    }
  }
  if (d.error) {
    const stop = document.getElementById('field-stop');
    stop.textContent = d.error;
    stop.hidden = false;
    return;
  }
  pending = d.outcome === 'ask_confirmation' ? input : null;
  render(d, how, input);
  await showState();
}

function wireFieldPage() {
  const form = document.getElementById('field-form');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const input = {
      direction: f.get('direction'), subject: f.get('subject') || '', person: String(f.get('person') ?? '').trim(),
      pass: String(f.get('pass') ?? '').trim(), confirmed: false, note: String(f.get('note') ?? '').trim(),
    };
    decide(input);
  });
  const v = document.getElementById('verdict');
  v.querySelector('.confirm').addEventListener('click', () => {
    if (pending) decide({ ...pending, confirmed: true });
  });
  v.querySelector('.next').addEventListener('click', () => {
    v.hidden = true;
    form.reset();
    form.hidden = false;
    form.querySelector('input[name=person]').focus();
  });
  document.querySelector('#field-state .sync-now').addEventListener('click', () => sync().then(showState));
}

// Signing out: what waits is sent first if it can be; the post is forgotten either way.
function wireSignOut() {
  for (const form of document.querySelectorAll('form[action="/logout"]')) {
    form.addEventListener('submit', async (e) => {
      if (form.dataset.ready) return;
      e.preventDefault();
      await sync().catch(() => {});
      const waiting = (await queued()).filter((i) => i.owner === owner && i.state === 'waiting').length;
      if (waiting > 0 && !window.confirm(say(words.unsynced_sign_out, waiting))) return;
      await forgetPost();
      form.dataset.ready = '1';
      form.requestSubmit();
    });
  }
}

async function start() {
  if (!root || !Number.isFinite(gateId)) return;
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
  }
  state.lastSync = (await kvGet('last-sync')) ?? null;
  wireSignOut();
  if (!classic) wireFieldPage();
  state.post = await loadPost();
  await showState();
  if (navigator.onLine) {
    // This gate's page for the service worker to open with no network, then fresh data.
    caches.open('cordon-pages').then((c) => c.add(`/gates/${gateId}/field`)).catch(() => {});
    await sync().catch(() => {});
    await refreshPost();
    await showState();
  }
  window.addEventListener('online', async () => {
    await sync().catch(() => {});
    await refreshPost();
    await showState();
  });
  window.addEventListener('offline', () => { state.online = false; showState(); });
  // While the page is open: send what waits, keep the post fresh, keep the ages true.
  setInterval(async () => {
    if (navigator.onLine) {
      await sync().catch(() => {});
      if (!state.post || Date.now() - Date.parse(state.post.issued_at) > 10 * 60000) await refreshPost();
    }
    await showState();
  }, 30000);
}

start();
