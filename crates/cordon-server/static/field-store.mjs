// The field pages' storage on the phone (离线可用): what a worker's phone keeps and what waits
// to be sent, in IndexedDB, sealed with AES-GCM under keys that never leave the browser
// (non-extractable). A page's data (a gate's post, a building's sweep list) is sealed under one
// key, deleted on signing out, when the session is refused or when the data is past its time;
// what waits to be sent under another, deleted only once nothing waits. Each waiting action
// carries the id the phone made for it: the server keeps it once however often it is sent.

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
export const kvGet = (k) => tx('kv', 'readonly', (s) => s.get(k));
export const kvPut = (k, v) => tx('kv', 'readwrite', (s) => s.put(v, k));
export const kvDel = (k) => tx('kv', 'readwrite', (s) => s.delete(k));
export const queued = () => tx('queue', 'readonly', (s) => s.getAll());
export const count = () => tx('queue', 'readonly', (s) => s.count());
const remember = async () => localStorage.setItem('cordon-field-waiting', String(await count()));
export const enqueue = async (item) => { await tx('queue', 'readwrite', (s) => s.put(item)); await remember(); };
export const dequeue = async (ids) => { await tx('queue', 'readwrite', (s) => { ids.forEach((id) => s.delete(id)); }); await remember(); };

async function keyOf(name, create) {
  let k = await kvGet(name);
  if (!k && create) {
    k = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    await kvPut(name, k);
  }
  return k ?? null;
}

export async function seal(name, value) {
  const key = await keyOf(name, true);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(JSON.stringify(value)));
  return { iv, data };
}

export async function unseal(name, box) {
  const key = await keyOf(name, false);
  if (!key || !box) return null;
  try {
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: box.iv }, key, box.data);
    return JSON.parse(new TextDecoder().decode(plain));
  } catch {
    return null;
  }
}

// ---- the network ----

export async function fetchT(url, opts = {}, ms = 6000) {
  const c = new AbortController();
  const t = setTimeout(() => c.abort(), ms);
  try {
    return await fetch(url, { ...opts, signal: c.signal, credentials: 'same-origin' });
  } finally {
    clearTimeout(t);
  }
}

/// An id for an action made on this phone: unique without the server.
export function actionId(prefix) {
  const rnd = [...crypto.getRandomValues(new Uint8Array(6))].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${prefix}-${Date.now().toString(36)}-${rnd}`;
}

/// Queues an action to send to `endpoint` as one of the list `key` ({passages: […]}, {doors: […]}).
export async function queue(owner, endpoint, key, payload, brief) {
  await enqueue({ id: payload.id, owner, state: 'waiting', endpoint, key, box: await seal('queue-key', payload), brief });
}

/// Sends what waits, in batches of 200 per endpoint, each answered kept, already or refused (and
/// perhaps with a conflict): kept and already leave the queue; refused stays, marked; a refusal
/// or a conflict goes to the list the worker is shown. Returns false when the network or the
/// session failed it.
export async function sync(owner, csrf) {
  const run = async () => {
    const mine = (await queued()).filter((i) => i.owner === owner && i.state === 'waiting');
    const groups = new Map();
    for (const i of mine) groups.set(i.endpoint, [...(groups.get(i.endpoint) ?? []), i]);
    for (const [endpoint, items] of groups) {
      for (let at = 0; at < items.length; at += 200) {
        const chunk = items.slice(at, at + 200);
        const list = [];
        for (const i of chunk) {
          const p = await unseal('queue-key', i.box);
          if (p) list.push({ ...p, sent_at: new Date().toISOString() });
        }
        let r;
        try {
          r = await fetchT(endpoint, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
            body: JSON.stringify({ [chunk[0].key]: list }),
          }, 20000);
        } catch {
          return false;
        }
        if (!r.ok) return false;
        const results = await r.json();
        const done = [];
        const conflicts = (await kvGet('conflicts')) ?? [];
        for (const res of results) {
          const item = chunk.find((i) => i.id === res.id);
          if (!item) continue;
          if (res.state === 'refused') {
            await enqueue({ ...item, state: 'refused', error: res.error });
            conflicts.push({ ...item.brief, id: res.id, error: res.error, reason: res.reason });
            continue;
          }
          done.push(res.id);
          if (res.conflict) conflicts.push({ ...item.brief, id: res.id, conflict: res.conflict });
        }
        await kvPut('conflicts', conflicts.slice(-50));
        await dequeue(done);
      }
    }
    await kvPut('last-sync', Date.now());
    if ((await count()) === 0) await kvDel('queue-key');
    return true;
  };
  // Two tabs, or a retry while a sync runs: one at a time.
  if (navigator.locks) return navigator.locks.request('cordon-field-sync', run);
  return run();
}

/// How many of `owner`'s actions wait, and whether storage was cleared under them (a count
/// kept apart from IndexedDB says more waited than IndexedDB holds).
export async function waiting(owner) {
  const all = (await queued()).filter((i) => i.owner === owner);
  const lost = Number(localStorage.getItem('cordon-field-waiting') ?? 0) > (await count());
  return { waiting: all.filter((i) => i.state === 'waiting').length, lost };
}

/// Signing out: what waits is sent first if it can be; `forget` then deletes the page's data.
export function wireSignOut(owner, csrf, words, forget) {
  for (const form of document.querySelectorAll('form[action="/logout"]')) {
    form.addEventListener('submit', async (e) => {
      if (form.dataset.ready) return;
      e.preventDefault();
      await sync(owner, csrf).catch(() => {});
      const { waiting: n } = await waiting(owner);
      if (n > 0 && !window.confirm(String(words.unsynced_sign_out).replace('{n}', n))) return;
      await forget();
      form.dataset.ready = '1';
      form.requestSubmit();
    });
  }
}

// ---- a field page's life ----

const say = (text, n) => String(text ?? '').replace('{n}', n);

/// What every field page keeps of itself: whether the network answered last, the last sync
/// that went through, when the data it holds was issued.
export function fieldState(extra = {}) {
  return { online: navigator.onLine, lastSync: null, issuedAt: null, ...extra };
}

/// Sends what waits; the page is online when it went through, and synced now.
export async function syncNow(state, owner, csrf) {
  if (await sync(owner, csrf).catch(() => false)) {
    state.online = true;
    state.lastSync = Date.now();
  }
}

/// The device-state line (`#field-state`): online or not, what waits, the last sync, the data's
/// age. Returns what waits and whether storage was cleared under it.
export async function showDeviceState(state, owner, words) {
  const { waiting: n, lost } = await waiting(owner);
  const box = document.getElementById('field-state');
  box.classList.toggle('offline', !state.online);
  box.querySelector('.net').textContent = state.online ? words.online : words.offline;
  box.querySelector('.waiting').textContent = say(words.waiting, n);
  const mins = (t) => Math.max(0, Math.round((Date.now() - t) / 60000));
  const age = [state.lastSync ? say(words.synced_ago, mins(state.lastSync)) : words.never_synced];
  if (state.issuedAt) age.push(say(words.data_age, mins(state.issuedAt)));
  box.querySelector('.age').textContent = age.join(' · ');
  box.querySelector('.sync-now').hidden = n === 0;
  return { waiting: n, lost };
}

/// Why the phone stopped (`#field-stop`), if it did: its storage cleared under it, its data
/// (kept under `key`) past its time, or no data yet; `has` is whether the page holds its data.
export async function showStop(words, lost, has, key) {
  const stop = document.getElementById('field-stop');
  stop.hidden = !(lost || !has);
  stop.textContent = lost ? words.storage_lost : (await kvGet(key)) ? words.expired : words.no_data;
}

/// Reads a page's data from the server: the parsed answer, or null when the network failed (the
/// page is then offline) or the server refused. A refused session or right (401, 403, and any
/// of `forgetOn`) calls `forget` first: the phone keeps nothing it may no longer read.
export async function fetchData(state, url, forget, forgetOn = []) {
  let r;
  try {
    r = await fetchT(url, {}, 20000);
  } catch {
    state.online = false;
    return null;
  }
  state.online = true;
  if ([401, 403, ...forgetOn].includes(r.status)) {
    await forget(r.status);
    return null;
  }
  return r.ok ? r.json() : null;
}

/// The actions of `kind` the server did not keep, newest first, in `#conflicts`, each worded by
/// `line`.
export async function showRefused(kind, line) {
  const refused = ((await kvGet('conflicts')) ?? []).filter((c) => c.kind === kind);
  const box = document.getElementById('conflicts');
  box.hidden = refused.length === 0;
  box.querySelector('ul').replaceChildren(...refused.slice().reverse().map((c) => {
    const li = document.createElement('li');
    li.className = 'refused';
    li.textContent = line(c);
    return li;
  }));
}

/// Keeps a page's data sealed under the post key, for `owner`, good for `lifeMs` from now.
export async function keepSealed(key, owner, value, lifeMs) {
  const now = Date.now();
  await kvPut(key, { box: await seal('post-key', value), owner, issued_at: now, expires_at: now + lifeMs });
  return now;
}

/// A page's data kept on this phone, if it is `owner`'s and not past its time (else forgotten
/// with `forget`): `{ value, issuedAt }` or null.
export async function loadSealed(key, owner, forget) {
  const kept = await kvGet(key);
  if (!kept) return null;
  if (kept.owner !== owner || kept.expires_at <= Date.now()) {
    await forget();
    return null;
  }
  const value = await unseal('post-key', kept.box);
  return value ? { value, issuedAt: kept.issued_at } : null;
}

/// Runs a field page: its service worker and sign-out; what the phone kept shown at once; then,
/// whenever the network is there (now, each time it returns, every half minute), what waits sent
/// and the data read again. `load` reads what the phone kept, `refresh` what the server has now,
/// `show` draws the page; `page` is the address the service worker opens with no network.
export async function runField({ state, owner, csrf, words, page, forget, load, refresh, show }) {
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
  state.lastSync = (await kvGet('last-sync')) ?? null;
  wireSignOut(owner, csrf, words, forget);
  document.querySelector('#field-state .sync-now').addEventListener('click', () => syncNow(state, owner, csrf).then(show));
  await load();
  await show();
  const online = async () => {
    await syncNow(state, owner, csrf);
    await refresh();
    await show();
  };
  if (navigator.onLine) {
    caches.open('cordon-pages').then((c) => c.add(page)).catch(() => {});
    await online();
  }
  window.addEventListener('online', online);
  window.addEventListener('offline', () => { state.online = false; show(); });
  setInterval(async () => {
    if (navigator.onLine) await syncNow(state, owner, csrf);
    await show();
  }, 30000);
}
