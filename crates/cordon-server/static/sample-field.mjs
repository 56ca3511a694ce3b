// A sampler's buildings on the phone (离线采样): the people still to sample, kept sealed on the
// phone; a tube's barcode scanned (Code 128, by the browser's reader or the one shipped with
// the app) or typed, people added with a tap up to what their homes' pooling allows, the tube
// sealed and queued under an id made here, and sent when the network is there. The server keeps
// each tube once, however often it is sent; what it refuses is shown here.
import {
  actionId, fetchData, fieldState, keepSealed, kvDel, kvGet, kvPut, loadSealed, queue, runField, showDeviceState,
  showRefused, syncNow, waiting,
} from '/static/field-store.mjs';

const root = document.getElementById('sampling');
const round = Number(root?.dataset.round);
const csrf = root?.dataset.csrf ?? '';
const owner = root?.dataset.user ?? '';
const words = JSON.parse(document.getElementById('field-words')?.textContent || '{}');
const say = (text, vars) => Object.entries(vars).reduce((t, [k, v]) => t.replaceAll(`{${k}}`, v), String(text ?? ''));
const postKey = `sample-post:${round}`;
const doneKey = `sample-done:${round}`;
const usedKey = `sample-tubes:${round}`;
const state = fieldState({ post: null, tube: [], closed: false });

async function forgetPost() {
  await kvDel('post-key');
  await kvDel(postKey);
  state.post = null;
}

async function refreshPost() {
  // Signed out, the right taken away, or the round closed (409): the phone keeps nothing of it.
  const post = await fetchData(state, `/api/v1/rounds/${round}/samples/post`, async (status) => {
    state.closed = status === 409;
    await forgetPost();
  }, [404, 409]);
  if (!post) return;
  state.issuedAt = await keepSealed(postKey, owner, post, Date.parse(post.expires_at) - Date.parse(post.issued_at));
  state.post = post;
  // Who the server lists again was not landed yet; who it no longer lists, was.
  const listed = new Set(post.buildings.flatMap((b) => b.people.map((p) => p.person_id)));
  const done = (await kvGet(doneKey)) ?? [];
  const { waiting: n } = await waiting(owner);
  await kvPut(doneKey, n > 0 ? done : done.filter((d) => !listed.has(d)));
}

async function loadPost() {
  const kept = await loadSealed(postKey, owner, forgetPost);
  state.post = kept?.value ?? null;
  state.issuedAt = kept?.issuedAt ?? null;
}

/// The pooling a tube of these people keeps: the strictest of their homes' (as the server's
/// `check_tube`): past its size only one household's own tube, up to the dilution limit.
function fits(people) {
  const max = Math.min(...people.map((p) => Math.max(p.pool_max, 1)));
  if (people.length <= max) return { ok: true, max };
  const households = new Set(people.map((p) => p.household)).size;
  const household = people.every((p) => p.household_tube);
  return { ok: household && households <= 1 && people.length <= state.post.dilution_limit, max };
}

function tubeError(text) {
  const e = document.getElementById('tube-error');
  e.hidden = !text;
  e.textContent = text ?? '';
}

async function add(person) {
  const done = new Set((await kvGet(doneKey)) ?? []);
  if (done.has(person.person_id) || state.tube.some((p) => p.person_id === person.person_id)) return;
  const next = [...state.tube, person];
  const f = fits(next);
  if (!f.ok) {
    tubeError(say(words.tube_full, { max: Math.min(...next.map((p) => p.pool_max)) }));
    return;
  }
  tubeError(null);
  state.tube = next;
  await show();
}

async function sealTube() {
  const input = document.getElementById('tube-id');
  const tubeId = input.value.trim();
  if (!tubeId || state.tube.length === 0) {
    tubeError(words.tube_empty);
    return;
  }
  const used = new Set([...(state.post?.tubes ?? []), ...((await kvGet(usedKey)) ?? [])]);
  if (used.has(tubeId)) {
    tubeError(words.tube_used);
    return;
  }
  const listed = new Map(state.post.buildings.flatMap((b) => b.people.map((p) => [p.person_id, b.name])));
  const outside = state.tube.find((p) => !listed.has(p.person_id));
  if (outside) {
    tubeError(`${outside.name}: ${words.not_on_list}`);
    return;
  }
  const at = new Date().toISOString();
  const ids = state.tube.map((p) => p.person_id);
  const tube = { id: actionId(`t${round}`), tube_id: tubeId, person_ids: ids, at, site: listed.get(ids[0]) ?? '' };
  await queue(owner, `/api/v1/rounds/${round}/tubes/offline`, 'tubes', tube,
    { kind: 'tube', at, name: `${tubeId} · ${state.tube.map((p) => p.name).join('、')}` });
  await kvPut(usedKey, [...used].filter((t) => !(state.post?.tubes ?? []).includes(t)).concat(tubeId));
  await kvPut(doneKey, [...((await kvGet(doneKey)) ?? []), ...ids]);
  state.tube = [];
  input.value = '';
  tubeError(null);
  root.querySelector('.sealed').textContent = `${tubeId} · ${words.closed}`;
  await show();
  if (navigator.onLine) {
    await syncNow(state, owner, csrf);
    await show();
  }
}

// ---- the camera ----

let stream = null;

async function reader() {
  if ('BarcodeDetector' in window) {
    const formats = await window.BarcodeDetector.getSupportedFormats?.() ?? [];
    if (formats.includes('code_128')) {
      const d = new window.BarcodeDetector({ formats: ['code_128'] });
      return async (video) => (await d.detect(video))[0]?.rawValue ?? null;
    }
  }
  const { decodeImage } = await import('/static/code128.mjs');
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  return async (video) => {
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    if (!canvas.width) return null;
    ctx.drawImage(video, 0, 0);
    return decodeImage(ctx.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
  };
}

function stopCamera() {
  stream?.getTracks().forEach((t) => t.stop());
  stream = null;
  document.getElementById('camera').hidden = true;
  document.getElementById('scan').textContent = words.scan;
}

async function scan() {
  if (stream) return stopCamera();
  const video = document.getElementById('camera');
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
  } catch {
    return;
  }
  video.srcObject = stream;
  video.hidden = false;
  await video.play().catch(() => {});
  document.getElementById('scan').textContent = words.scan_stop;
  const read = await reader();
  const look = async () => {
    if (!stream) return;
    const text = await read(video).catch(() => null);
    if (text) {
      document.getElementById('tube-id').value = text;
      stopCamera();
      return;
    }
    setTimeout(look, 250);
  };
  look();
}

// ---- the page ----

function button(text, onClick, cls) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  if (cls) b.className = cls;
  b.addEventListener('click', onClick);
  return b;
}

async function show() {
  const { lost } = await showDeviceState(state, owner, words);
  const stop = document.getElementById('field-stop');
  const empty = state.post && state.post.buildings.length === 0;
  stop.hidden = !(lost || !state.post || empty);
  stop.textContent = lost ? words.storage_lost : empty ? words.no_buildings
    : (await kvGet(postKey)) || state.closed ? words.expired : words.no_data;
  const list = document.getElementById('buildings');
  document.getElementById('tube').hidden = !state.post || empty;
  if (!state.post) {
    list.replaceChildren();
    return;
  }
  document.querySelector('#sampling .where').textContent = state.post.round_name;
  const max = state.tube.length ? fits(state.tube).max : Math.max(...state.post.buildings.flatMap((b) => b.people.map((p) => p.pool_max)), 1);
  root.querySelector('.in-tube').textContent = say(words.in_tube, { n: state.tube.length, max });
  root.querySelector('.members').replaceChildren(...state.tube.map((p) => {
    const li = document.createElement('li');
    li.append(`${p.name} `, button('×', () => { state.tube = state.tube.filter((q) => q !== p); show(); }, 'secondary'));
    return li;
  }));
  const done = new Set((await kvGet(doneKey)) ?? []);
  const inTube = new Set(state.tube.map((p) => p.person_id));
  let left = 0;
  list.replaceChildren(...state.post.buildings.map((b) => {
    const section = document.createElement('div');
    section.className = 'building';
    const h = document.createElement('h2');
    h.textContent = b.name;
    section.append(h);
    const byDoor = new Map();
    for (const p of b.people.filter((q) => !done.has(q.person_id))) byDoor.set(p.household, [...(byDoor.get(p.household) ?? []), p]);
    for (const members of byDoor.values()) {
      const d = document.createElement('div');
      d.className = 'door';
      const dh = document.createElement('h3');
      dh.textContent = members[0].door;
      d.append(dh);
      for (const p of members) {
        left++;
        const row = document.createElement('span');
        row.className = 'who';
        row.dataset.person = p.person_id;
        // The name is the button: one tap puts the person in the tube.
        const add1 = button(p.name, () => add(p));
        add1.title = words.add;
        add1.disabled = inTube.has(p.person_id);
        row.append(add1);
        d.append(row);
      }
      section.append(d);
    }
    return section;
  }));
  root.querySelector('.left').textContent = left ? say(words.left, { n: left }) : words.all_done;
  await showRefused('tube', (c) => `${c.name} — ${words.refusals[c.reason] ?? c.error}`);
}

if (root && Number.isFinite(round)) {
  document.getElementById('seal').addEventListener('click', sealTube);
  document.getElementById('empty').addEventListener('click', () => { state.tube = []; tubeError(null); show(); });
  document.getElementById('scan').addEventListener('click', scan);
  runField({
    state, owner, csrf, words, page: location.pathname,
    forget: forgetPost, load: loadPost, refresh: refreshPost, show,
  });
}
