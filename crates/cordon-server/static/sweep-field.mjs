// A building's sweep on the phone (扫楼离线): the round's list for the area, kept sealed on the
// phone; each door recorded with a tap, queued under an id made here and sent when the network
// is there — at once if it is, later if not — and kept once by the server however often sent.
import {
  actionId, fetchData, fieldState, keepSealed, kvDel, kvGet, kvPut, loadSealed, queue, runField, showDeviceState,
  showRefused, showStop, syncNow,
} from '/static/field-store.mjs';

const root = document.getElementById('sweep');
const round = Number(root?.dataset.round);
const area = root?.dataset.area ?? '';
const csrf = root?.dataset.csrf ?? '';
const owner = root?.dataset.user ?? '';
const words = JSON.parse(document.getElementById('field-words')?.textContent || '{}');
const say = (text, n) => String(text ?? '').replace('{n}', n);
const listKey = `sweep:${round}:${area}`;
const doneKey = `sweep-done:${round}`;
const state = fieldState({ list: null });
/// How long the list is good for on the phone without a newer one (the gates' offline hours).
const HOURS = 12;

async function forgetList() {
  await kvDel('post-key');
  await kvDel(listKey);
  state.list = null;
}

async function refreshList() {
  const list = await fetchData(state, `/api/v1/rounds/${round}/sweep?area=${encodeURIComponent(area)}&limit=5000`, forgetList);
  if (!list) return;
  state.issuedAt = await keepSealed(listKey, owner, list, HOURS * 3600e3);
  state.list = list;
  // What the server has now supersedes what this phone marked done before it.
  await kvPut(doneKey, ((await kvGet(doneKey)) ?? []).filter((d) => list.people.some((p) => p.person_id === d)));
}

async function loadList() {
  const kept = await loadSealed(listKey, owner, forgetList);
  state.list = kept?.value ?? null;
  state.issuedAt = kept?.issuedAt ?? null;
}

async function record(person, outcome) {
  let reason = null;
  if (outcome === 'refused' || outcome === 'moved_out') {
    reason = window.prompt(words.reason);
    if (!reason || !reason.trim()) return;
    reason = reason.trim();
  }
  const at = new Date().toISOString();
  const door = { id: actionId(`d${round}`), at, outcome, person_id: person.person_id, reason };
  await queue(owner, `/api/v1/rounds/${round}/sweep/offline`, 'doors', door,
    { kind: 'door', at, outcome, name: person.name });
  // Not at home keeps them on the list, with one more visit counted; the rest settle the door.
  if (outcome === 'not_home') person.not_home += 1;
  else await kvPut(doneKey, [...((await kvGet(doneKey)) ?? []), person.person_id]);
  await show();
  if (navigator.onLine) {
    await syncNow(state, owner, csrf);
    await show();
  }
}

function button(text, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.addEventListener('click', onClick);
  return b;
}

async function show() {
  const { lost } = await showDeviceState(state, owner, words);
  await showStop(words, lost, !!state.list, listKey);
  const doors = document.getElementById('doors');
  if (!state.list) {
    doors.replaceChildren();
    return;
  }
  document.querySelector('#sweep .where').textContent = `${state.list.round.name} · ${state.list.area_name}`;
  const done = new Set((await kvGet(doneKey)) ?? []);
  const people = state.list.people.filter((p) => !done.has(p.person_id));
  root.querySelector('.left').textContent = people.length ? say(words.left, people.length) : words.all_done;
  const byDoor = new Map();
  for (const p of people) byDoor.set(p.household, [...(byDoor.get(p.household) ?? []), p]);
  doors.replaceChildren(...[...byDoor.values()].map((members) => {
    const d = document.createElement('div');
    d.className = 'door';
    const h = document.createElement('h3');
    h.textContent = members[0].address.slice(-2).join(' ');
    d.append(h);
    for (const p of members) {
      const row = document.createElement('div');
      row.className = 'who';
      row.dataset.person = p.person_id;
      const name = document.createElement('b');
      name.textContent = p.name;
      const note = document.createElement('span');
      note.className = 'muted';
      note.textContent = [p.home_visit ? words.home_visit : '', p.not_home ? String(words.not_home_n).replace('{}', p.not_home) : '']
        .filter(Boolean).join(' · ');
      const choices = document.createElement('div');
      choices.className = 'choices';
      for (const [outcome, label] of words.choices) {
        choices.append(button(label, () => record(p, outcome)));
      }
      row.append(name, ' ', note, choices);
      d.append(row);
    }
    return d;
  }));
  await showRefused('door', (c) => `${c.name} · ${words.outcomes[c.outcome] ?? c.outcome} — ${c.error}`);
}

if (root && Number.isFinite(round)) {
  runField({
    state, owner, csrf, words, page: location.pathname + location.search,
    forget: forgetList, load: loadList, refresh: refreshList, show,
  });
}
