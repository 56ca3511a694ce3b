// The day's health checks door to door (健康监测离线): the contacts followed up at home in an
// area, kept sealed on the phone; each check — temperature, symptoms — taken at the door,
// queued under an id made here and sent when the network is there, and kept once by the server
// however often sent.
import {
  actionId, fetchData, fieldState, keepSealed, kvDel, kvGet, kvPut, loadSealed, queue, runField, showDeviceState,
  showRefused, showStop, syncNow,
} from '/static/field-store.mjs';

const root = document.getElementById('checks');
const area = root?.dataset.area ?? '';
const csrf = root?.dataset.csrf ?? '';
const owner = root?.dataset.user ?? '';
const words = JSON.parse(document.getElementById('field-words')?.textContent || '{}');
const listKey = `checks:${area}`;
/// The checks taken on this phone today, by contact: a day's date in the key, so yesterday's
/// marks fall away on their own.
const today = () => new Date().toLocaleDateString('sv');
const doneKey = () => `checks-done:${area}:${today()}`;
const state = fieldState({ list: null });
/// How long the list is good for on the phone without a newer one.
const HOURS = 12;
/// Rows drawn at once.
const SHOWN = 200;

async function forgetList() {
  await kvDel('post-key');
  await kvDel(listKey);
  state.list = null;
}

async function refreshList() {
  const all = await fetchData(state, `/api/v1/contacts?active=true&area=${encodeURIComponent(area)}&limit=5000`, forgetList);
  if (!all) return;
  // Those at home: a contact in a central site is checked there.
  const list = all.filter((c) => !c.place && c.name);
  state.issuedAt = await keepSealed(listKey, owner, list, HOURS * 3600e3);
  state.list = list;
}

async function loadList() {
  const kept = await loadSealed(listKey, owner, forgetList);
  state.list = kept?.value ?? null;
  state.issuedAt = kept?.issuedAt ?? null;
}

async function record(contact, row) {
  const temperature = Number(row.querySelector('input[name=temperature]').value);
  const symptoms = [...row.querySelectorAll('input[name=symptom]:checked')].map((i) => i.value);
  const at = new Date().toISOString();
  const check = { id: actionId(`h${contact.id}`), contact_id: contact.id, temperature, symptoms, at };
  await queue(owner, '/api/v1/health-checks/offline', 'checks', check,
    { kind: 'check', at, name: `${contact.name} ${temperature}℃` });
  await kvPut(doneKey(), { ...((await kvGet(doneKey())) ?? {}), [contact.id]: temperature });
  await show();
  if (navigator.onLine) {
    await syncNow(state, owner, csrf);
    await show();
  }
}

function row(contact, done) {
  const d = document.createElement('div');
  d.className = 'who';
  d.dataset.contact = String(contact.id);
  const h = document.createElement('h3');
  h.textContent = `${contact.name} `;
  const where = document.createElement('span');
  where.className = 'muted';
  where.textContent = contact.address.slice(-2).join(' ');
  h.append(where);
  d.append(h);
  if (done !== undefined) {
    const p = document.createElement('p');
    p.className = 'ok';
    p.textContent = String(words.checked_today).replace('{t}', done);
    d.append(p);
    return d;
  }
  // One line a person: the temperature and the button; symptoms folded, opened when there are.
  const form = document.createElement('div');
  form.className = 'check';
  const input = document.createElement('input');
  input.name = 'temperature';
  input.type = 'number';
  input.step = '0.1';
  input.min = '34';
  input.max = '43';
  input.value = '36.5';
  input.inputMode = 'decimal';
  input.setAttribute('aria-label', words.temperature);
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = words.record;
  b.addEventListener('click', () => record(contact, d));
  form.append(input, ' ℃ ', b);
  const fold = document.createElement('details');
  const summary = document.createElement('summary');
  summary.textContent = words.symptoms_label;
  const symptoms = document.createElement('div');
  symptoms.className = 'symptoms';
  for (const [value, label] of Object.entries(words.symptoms)) {
    const l = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.name = 'symptom';
    box.value = value;
    l.append(box, ` ${label}`);
    symptoms.append(l);
  }
  fold.append(summary, symptoms);
  d.append(form, fold);
  return d;
}

async function show() {
  const { lost } = await showDeviceState(state, owner, words);
  await showStop(words, lost, !!state.list, listKey);
  const box = document.getElementById('contacts');
  if (!state.list) {
    box.replaceChildren();
    return;
  }
  const done = (await kvGet(doneKey())) ?? {};
  const left = state.list.filter((c) => done[c.id] === undefined);
  root.querySelector('.left').textContent = state.list.length === 0 ? words.none_here
    : left.length ? String(words.left).replace('{n}', left.length) : words.all_done;
  // Who is still to check first, a phone's worth of them (an office's wide area may hold
  // thousands: the count above says how many); who was checked today below, with what was taken.
  const checked = state.list.filter((c) => done[c.id] !== undefined).slice(0, SHOWN);
  box.replaceChildren(...left.slice(0, SHOWN).map((c) => row(c)), ...checked.map((c) => row(c, done[c.id])));
  await showRefused('check', (c) => `${c.name} — ${c.error}`);
}

if (root) {
  runField({
    state, owner, csrf, words, page: location.pathname + location.search,
    forget: forgetList, load: loadList, refresh: refreshList, show,
  });
}
