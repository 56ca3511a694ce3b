// The gate in the field (离线可用): decides with the server while the network is there and on the
// phone when it is not, by the same rules (gate-rules.mjs), and sends what it decided offline
// once the network is back, each passage under an id made here so the server keeps it once.
//
// What the phone keeps, in IndexedDB, is sealed with AES-GCM under keys that never leave the
// browser (non-extractable): the gate's post (its people and passes) under one key, deleted on
// signing out, when the session is refused, or when the post is older than the profile allows;
// the passages waiting to be sent under another, deleted only once nothing waits.
import { judgeOffline } from '/static/gate-rules.mjs';
import {
  actionId, fetchT, fieldState, kvDel, kvGet, kvPut, queue, seal, showDeviceState, syncNow as syncShared, unseal,
  waiting, wireSignOut,
} from '/static/field-store.mjs';

const root = document.getElementById('field');
const gateId = root ? Number(root.dataset.gate) : NaN;
const csrf = root?.dataset.csrf ?? '';
const owner = root?.dataset.user ?? '';
const classic = root?.dataset.mode === 'classic';
const words = JSON.parse(document.getElementById('field-words')?.textContent || '{}');
const say = (text, n) => String(text ?? '').replace('{n}', n);

/// Forgets the post: its key first, so what is left of it cannot be read.
async function forgetPost() {
  await kvDel('post-key');
  await kvDel(`post:${gateId}`);
  await kvDel(`used:${gateId}`);
  state.post = null;
}

// ---- the network ----

const state = fieldState({ post: null, waiting: 0, log: [] });

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

// ---- what the page shows ----

async function showState() {
  if (classic) {
    state.waiting = (await waiting(owner)).waiting;
    return;
  }
  state.issuedAt = state.post ? Date.parse(state.post.issued_at) : null;
  const { waiting: n, lost } = await showDeviceState(state, owner, words);
  state.waiting = n;
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
  const list = ((await kvGet('conflicts')) ?? []).filter((c) => c.kind === 'gate');
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

async function decideOnline(input) {
  const r = await fetchT(`/api/v1/gates/${gateId}/decisions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
    body: JSON.stringify({ ...input, subject: input.subject || null, person: input.person || null, pass: input.pass || null }),
  });
  if (r.status >= 500) throw new Error(`server ${r.status}`);
  const body = await r.json();
  if (!r.ok) return { error: body.error?.message ?? String(r.status) };
  // The server's finding is worded here, in the page's language; its particulars and the
  // cadre's note are data, shown as they were stored.
  const found = body.finding ? [words.pass_notes[body.finding], body.finding_detail].filter(Boolean).join(': ') : '';
  const noteText = [found, body.note].filter(Boolean).join(' · ');
  return { outcome: body.outcome, rule: body.rule, subject: body.subject, name: body.person?.name, standing: body.person?.standing, note_text: noteText };
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
    id: actionId(`g${gateId}`), gate_id: gateId, at, direction: input.direction, subject: input.subject || null,
    person: input.person || null, pass: input.pass || null, confirmed: !!input.confirmed, note: input.note,
    outcome: d.outcome, rule: d.rule,
  };
  await queue(owner, '/api/v1/gates/passages/offline', 'passages', passage,
    { kind: 'gate', at, direction: input.direction, outcome: d.outcome, rule: d.rule });
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
  document.querySelector('#field-state .sync-now').addEventListener('click', () => syncNow().then(showState));
}

const syncNow = () => syncShared(state, owner, csrf);

async function start() {
  if (!root || !Number.isFinite(gateId)) return;
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
  }
  state.lastSync = (await kvGet('last-sync')) ?? null;
  wireSignOut(owner, csrf, words, forgetPost);
  if (!classic) wireFieldPage();
  state.post = await loadPost();
  await showState();
  if (navigator.onLine) {
    // This gate's page for the service worker to open with no network, then fresh data.
    caches.open('cordon-pages').then((c) => c.add(`/gates/${gateId}/field`)).catch(() => {});
    await syncNow();
    await refreshPost();
    await showState();
  }
  window.addEventListener('online', async () => {
    await syncNow();
    await refreshPost();
    await showState();
  });
  window.addEventListener('offline', () => { state.online = false; showState(); });
  // While the page is open: send what waits, keep the post fresh, keep the ages true.
  setInterval(async () => {
    if (navigator.onLine) {
      await syncNow();
      if (!state.post || Date.now() - Date.parse(state.post.issued_at) > 10 * 60000) await refreshPost();
    }
    await showState();
  }, 30000);
}

start();
