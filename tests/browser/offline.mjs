// The gate works offline (离线判定), in a real browser on a phone-sized screen: the cadre opens
// the gate once with the network; then the server is stopped (Chromium's offline emulation does
// not cover a service worker's own requests, so cutting the network alone could pass falsely)
// and the phone is set offline. The gate's page opens from the service worker, decides 22
// passages on the phone, and says how many wait; among them a courier let in on a pass that
// headquarters revoked while the gate had no network. The network comes back; the first sync is
// cut off by closing the page; the page opened again sends the rest. Every passage is in the server's log exactly once, and the revoked pass shows
// as a conflict. Signing out leaves nothing of the post readable. Then the sweep's doors and a
// sampler's tubes, the same way.
//
//   node offline.mjs [path/to/cordon]
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';

const root = resolve(import.meta.dirname, '../..');
const bin = process.argv[2] ?? join(root, 'target/debug/cordon');
const shots = join(root, 'target/screenshots');
mkdirSync(shots, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), 'cordon-offline-'));
const db = `sqlite://${join(dir, 'demo.db')}`;
const password = 'browser-test-pw-1';
const COMPOUND = '150102001001001';

/// Starts Cordon and resolves with its address once it serves.
function start(args) {
  const server = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CORDON_LOG: 'warn' } });
  server.stdout.on('data', () => {});
  const base = new Promise((ok, fail) => {
    let buf = '';
    server.stderr.on('data', (d) => {
      buf += d;
      const m = buf.match(/Cordon is serving on (http:\/\/[^\s/]+)\/\n/);
      if (m) ok(m[1]);
    });
    server.on('exit', (code) => fail(new Error(`cordon exited (${code}) before serving:\n${buf}`)));
    setTimeout(() => fail(new Error(`no server after 120 s:\n${buf}`)), 120_000);
  });
  return { server, base };
}

function stop(server) {
  return new Promise((ok) => {
    if (server.exitCode !== null || server.signalCode !== null) return ok();
    server.once('exit', ok);
    server.kill('SIGTERM');
  });
}

let { server, base } = start(['demo', '--scale', 'tiny', '--listen', '127.0.0.1:0', '--admin-password', password, '--db', db]);
base = await base;
const listen = base.replace('http://', '');

async function api(token, method, path, body) {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}
async function token(username) {
  const r = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }),
  });
  return (await r.json()).token;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  const cadre = await token('cadre');
  const manager = await token('gongzhufu');
  const gates = (await api(cadre, 'GET', '/api/v1/gates')).body;
  const door = gates.find((g) => g.name === '单元门').id;
  const post = (await api(cadre, 'GET', `/api/v1/gates/${door}/post`)).body;
  const residents = post.people.filter((p) => p.standing === 'clear').map((p) => p.id);
  assert.ok(residents.length >= 5, `clear residents of the sealed building: ${residents.length}`);
  // A delivery pass, good when the gate last had the network, revoked while it has none.
  const pass = await api(manager, 'POST', '/api/v1/passes', {
    kind: 'delivery', holder: '盒马配送', area_code: COMPOUND, reason: '保供',
    valid_until: new Date(Date.now() + 8 * 3600e3).toISOString(),
  });
  assert.equal(pass.status, 201, JSON.stringify(pass.body));

  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  const external = [];
  context.on('request', (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });
  let page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.fill('input[name=username]', 'cadre');
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));

  // Once with the network: the console installs the service worker and keeps the gate's post.
  await page.goto(`${base}/gates/${door}`);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(async (gate) => {
    const db = await new Promise((ok) => { const r = indexedDB.open('cordon-field', 1); r.onsuccess = () => ok(r.result); });
    const kept = await new Promise((ok) => {
      const g = db.transaction('kv').objectStore('kv').get(`post:${gate}`);
      g.onsuccess = () => ok(g.result);
    });
    db.close();
    return !!kept && 'box' in kept && !JSON.stringify(kept).includes('"people"');
  }, door, { timeout: 30_000 });
  await page.waitForFunction(async (gate) => !!(await (await caches.open('cordon-pages')).match(`/gates/${gate}/field`)),
    door, { timeout: 30_000 });

  // The decoder shipped for phones without BarcodeDetector (Debian's Chromium has none) reads the
  // pass's QR code off its image, as it would off the camera's frames.
  assert.equal(await page.evaluate(() => 'BarcodeDetector' in window), false);
  const read = await page.evaluate(async (id) => {
    await new Promise((ok, fail) => {
      const s = document.createElement('script');
      s.src = '/static/vendor/jsQR.js';
      s.onload = ok;
      s.onerror = fail;
      document.head.appendChild(s);
    });
    const r = await fetch(`/passes/${id}/qr.svg`);
    if (!r.ok) throw new Error(`qr.svg: ${r.status}`);
    const img = new Image();
    // A data: address: the pages' policy lets images come from here and from data:, not blob:.
    img.src = `data:image/svg+xml,${encodeURIComponent(await r.text())}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 800;
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, 800, 800);
    ctx.drawImage(img, 40, 40, 720, 720);
    const code = window.jsQR(ctx.getImageData(0, 0, 800, 800).data, 800, 800);
    return code ? code.data : null;
  }, pass.body.id);
  assert.equal(read, pass.body.token, 'the shipped decoder reads the pass');

  // No network, no server.
  await stop(server);
  await context.setOffline(true);
  await page.goto(`${base}/gates/${door}`);
  await page.waitForSelector('#field-state .net');
  await page.waitForFunction(() => document.querySelector('#field-state .net').textContent === '离线');
  assert.ok(await page.locator('#field-form').isVisible(), 'the gate decides offline');

  async function pass_through(fields, expect) {
    const form = page.locator('#field-form');
    await form.locator('input[name=direction][value=' + fields.direction + ']').check();
    await form.locator('select[name=subject]').selectOption(fields.subject ?? '');
    await form.locator('input[name=person]').fill(fields.person ?? '');
    await form.locator('input[name=pass]').fill(fields.pass ?? '');
    await form.locator('button[type=submit]').click();
    const verdict = page.locator('#verdict');
    await verdict.waitFor({ state: 'visible' });
    assert.equal(await verdict.locator('.outcome').innerText(), expect, JSON.stringify(fields));
    assert.match(await verdict.locator('.how').innerText(), /离线判定/);
    await verdict.locator('.next').click();
  }
  // Sealed residents turned back at the door, an ambulance let in, the delivery let in on its pass.
  for (let i = 0; i < 16; i++) await pass_through({ direction: 'out', person: residents[i % residents.length] }, '劝返');
  await page.screenshot({ path: join(shots, 'offline-gate.png'), fullPage: true });
  for (let i = 0; i < 3; i++) await pass_through({ direction: 'in', subject: 'ambulance' }, '放行');
  // The server is back, the phone is not: the delivery pass is revoked at headquarters, and the
  // gate, which cannot know, lets the courier in on it.
  ({ server, base } = start(['serve', '--listen', listen, '--db', db, '--two-factor', 'optional']));
  await base;
  base = `http://${listen}`;
  const revoked = await api(manager, 'POST', `/api/v1/passes/${pass.body.id}/revoke`, { reason: '手机丢失' });
  assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
  await pass_through({ direction: 'in', pass: pass.body.token }, '放行');
  // A pass altered by hand: its signature does not match, and the phone says so.
  const forged = pass.body.token.slice(0, 12) + (pass.body.token[12] === 'A' ? 'B' : 'A') + pass.body.token.slice(13);
  await page.locator('#field-form input[name=pass]').fill(forged);
  await page.locator('#field-form button[type=submit]').click();
  await page.locator('#verdict').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#verdict .outcome').innerText(), '劝返');
  assert.match(await page.locator('#verdict .why').innerText(), /伪造|不是本系统/);
  await page.locator('#verdict .next').click();
  // Someone the phone does not know, with no pass: refused, not guessed.
  await page.locator('#field-form input[name=person]').fill('NOT-A-PERSON');
  await page.locator('#field-form button[type=submit]').click();
  await page.locator('#verdict').waitFor({ state: 'visible' });
  assert.match(await page.locator('#verdict .why').innerText(), /不在本卡口名单/);
  await page.locator('#verdict .next').click();
  await page.waitForFunction(() => document.querySelector('#field-state .waiting').textContent === '待上报 22 条');
  await page.screenshot({ path: join(shots, 'offline-waiting.png'), fullPage: true });

  // The first sync is cut off: the page closes as soon as it sends.
  const sent = page.waitForRequest((r) => r.url().endsWith('/api/v1/gates/passages/offline'), { timeout: 60_000 });
  await context.setOffline(false);
  await sent;
  await page.close();
  page = await context.newPage();
  await page.goto(`${base}/gates/${door}/field`);
  await page.waitForFunction(() => document.querySelector('#field-state .waiting').textContent === '待上报 0 条',
    null, { timeout: 60_000 });
  if (process.env.DEBUG_OFFLINE) {
    const kv = await page.evaluate(async () => {
      const db = await new Promise((ok) => { const r = indexedDB.open('cordon-field', 1); r.onsuccess = () => ok(r.result); });
      const v = await new Promise((ok) => { const g = db.transaction('kv').objectStore('kv').get('conflicts'); g.onsuccess = () => ok(g.result); });
      return JSON.stringify(v);
    });
    console.log('conflicts kept:', kv);
    const log = (await api(cadre, 'GET', `/api/v1/gate-log?gate=${door}&limit=1000`)).body;
    console.log(JSON.stringify(log.filter((e) => e.received_at !== null).map((e) => [e.id, e.rule, e.conflict])));
    page.on('console', (m) => console.log('page:', m.text()));
  }
  await page.waitForSelector('#conflicts:not([hidden])');
  const conflicts = await page.locator('#conflicts').innerText();
  assert.match(conflicts, /服务器判定: 劝返 · 通行证无效/);
  await page.screenshot({ path: join(shots, 'offline-synced.png'), fullPage: true });

  // On the server: each of the 22 exactly once, the revoked pass's passage with its conflict.
  const log = (await api(cadre, 'GET', `/api/v1/gate-log?gate=${door}&limit=1000`)).body;
  const synced = log.filter((e) => e.received_at !== null);
  assert.equal(synced.length, 22, `passages synced: ${synced.length}`);
  assert.equal(new Set(synced.map((e) => e.id)).size, 22);
  const conflict = synced.filter((e) => e.conflict !== null);
  assert.equal(conflict.length, 1, JSON.stringify(conflict));
  assert.equal(conflict[0].conflict.server_rule, 'pass_refused');
  await page.goto(`${base}/gate-log?gate=${door}`);
  assert.match(await page.locator('main').innerText(), /⚠/);

  // Signing out leaves the post unreadable: its key is gone.
  await page.goto(`${base}/gates/${door}/field`);
  await page.waitForSelector('#field-state .net');
  const out = page.locator('header').locator('button:has-text("退出")').first();
  if (!(await out.isVisible())) await page.click('header details.more > summary');
  await out.click();
  await page.waitForURL((u) => u.pathname.startsWith('/login'));
  const left = await page.evaluate(async () => {
    const db = await new Promise((ok) => { const r = indexedDB.open('cordon-field', 1); r.onsuccess = () => ok(r.result); });
    const keys = await new Promise((ok) => { const g = db.transaction('kv').objectStore('kv').getAllKeys(); g.onsuccess = () => ok(g.result); });
    db.close();
    return keys;
  });
  assert.ok(!left.includes('post-key') && !left.some((k) => String(k).startsWith('post:')), JSON.stringify(left));
  assert.deepEqual(external, [], 'nothing loaded from elsewhere');
  console.log('ok - the gate works offline and syncs each passage once');
  await context.close();

  // The sweep, door to door in a building, without the network: a grid worker opens the
  // building's list once, loses the network (and the server) in the stairwell, records five
  // doors, and they land once when the network is back.
  const worker = await token('gongzhufu');
  const compound = (await api(worker, 'GET', `/api/v1/areas/${COMPOUND}`)).body;
  let building = null;
  let before = null;
  for (const b of compound.children) {
    const list = (await api(worker, 'GET', `/api/v1/rounds/1/sweep?area=${b.code}&limit=5000`)).body;
    if (list.people && list.people.length >= 6) {
      building = b.code;
      before = list;
      break;
    }
  }
  assert.ok(building, 'a building of the compound with people still to sample');
  const sweeper = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  sweeper.on('request', (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });
  page = await sweeper.newPage();
  await page.goto(`${base}/login`);
  await page.fill('input[name=username]', 'gongzhufu');
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  const field = `${base}/rounds/1/sweep/field?area=${building}`;
  await page.goto(field);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForSelector('#doors .who');
  await page.waitForFunction(async (url) => !!(await (await caches.open('cordon-pages')).match(url)), field.replace(base, ''));
  await stop(server);
  await sweeper.setOffline(true);
  await page.goto(field);
  await page.waitForSelector('#doors .who');
  await page.waitForFunction(() => document.querySelector('#field-state .net').textContent === '离线');
  const people = await page.locator('#doors .who').evaluateAll((rows) => rows.map((r) => r.dataset.person));
  const notHome = people.slice(0, 3);
  const sampled = people.slice(3, 5);
  for (const id of notHome) await page.locator(`#doors .who[data-person="${id}"] button:has-text("不在家")`).click();
  for (const id of sampled) await page.locator(`#doors .who[data-person="${id}"] button:has-text("已上门采样")`).click();
  await page.waitForFunction(() => document.querySelector('#field-state .waiting').textContent === '待上报 5 条');
  for (const id of sampled) assert.equal(await page.locator(`#doors .who[data-person="${id}"]`).count(), 0, 'a settled door leaves the list');
  await page.screenshot({ path: join(shots, 'offline-sweep.png'), fullPage: true });
  ({ server, base } = start(['serve', '--listen', listen, '--db', db, '--two-factor', 'optional']));
  await base;
  base = `http://${listen}`;
  await sweeper.setOffline(false);
  await page.waitForFunction(() => document.querySelector('#field-state .waiting').textContent === '待上报 0 条',
    null, { timeout: 60_000 });
  // On the server: each door once — one more not-at-home visit each, the sampled off the list.
  const after = (await api(worker, 'GET', `/api/v1/rounds/1/sweep?area=${building}&limit=5000`)).body;
  for (const id of notHome) {
    const was = before.people.find((p) => p.person_id === id).not_home;
    assert.equal(after.people.find((p) => p.person_id === id)?.not_home, was + 1, `not at home, once: ${id}`);
  }
  for (const id of sampled) assert.ok(!after.people.some((p) => p.person_id === id), `sampled, off the list: ${id}`);
  assert.equal(after.total, before.total - 2);
  assert.deepEqual(external, [], 'nothing loaded from elsewhere');
  console.log('ok - the sweep records doors offline and each lands once');
  await sweeper.close();

  // The sampler, tube by tube, without the network: their buildings' people on the phone, a
  // tube's barcode read by the decoder shipped with the app, 30 people sampled into tubes their
  // homes' pooling allows, one barcode taken on the server meanwhile; the first sync cut off by
  // closing the page; every tube landed once, the taken barcode shown as not kept.
  const office = await token('hailaer');
  const sampler = await token('sampler');
  const lab = await token('lab');
  let samplerPost = (await api(sampler, 'GET', '/api/v1/rounds/1/samples/post')).body;
  const count = (p) => p.buildings.reduce((n, b) => n + b.people.length, 0);
  // Enough buildings for 30: the office gives more, as on the round's team page.
  const walk = async (code) => {
    if (count(samplerPost) >= 32) return;
    const area = (await api(office, 'GET', `/api/v1/areas/${code}`)).body;
    for (const c of area.children ?? []) {
      if (count(samplerPost) >= 32) return;
      if (c.level === 'building') {
        const r = await api(office, 'POST', '/api/v1/rounds/1/team', { area: c.code, username: 'sampler' });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        samplerPost = (await api(sampler, 'GET', '/api/v1/rounds/1/samples/post')).body;
      } else if (c.level !== 'household') {
        await walk(c.code);
      }
    }
  };
  await walk('150102001');
  assert.ok(count(samplerPost) >= 32, `people to sample in the sampler's buildings: ${count(samplerPost)}`);
  const totalsBefore = (await api(office, 'GET', '/api/v1/rounds/1')).body.totals;
  const sampling = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  sampling.on('request', (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });
  page = await sampling.newPage();
  await page.goto(`${base}/login`);
  await page.fill('input[name=username]', 'sampler');
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  const fieldUrl = `${base}/rounds/1/samples/field`;
  await page.goto(fieldUrl);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForSelector('#buildings .who');
  await page.waitForFunction(async () => !!(await (await caches.open('cordon-pages')).match('/rounds/1/samples/field')));
  await page.waitForFunction(async () => !!(await (await caches.open((await caches.keys()).find((k) => k.startsWith('cordon-static-')))).match('/static/code128.mjs')));
  await stop(server);
  await sampling.setOffline(true);
  await page.goto(fieldUrl);
  await page.waitForSelector('#buildings .who');
  await page.waitForFunction(() => document.querySelector('#field-state .net').textContent === '离线');
  // The shipped reader, from the service worker, reads a tube's label drawn as a printer does.
  const label = await page.evaluate(async () => {
    const { widths, decodeImage } = await import('/static/code128.mjs');
    const w = widths('OFF-S-0001');
    const canvas = document.createElement('canvas');
    const mod = 2.6;
    canvas.width = Math.ceil((w.reduce((a, b) => a + b, 0) + 24) * mod);
    canvas.height = 80;
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#eee';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = '#222';
    let x = 12 * mod;
    w.forEach((r, i) => { if (i % 2 === 0) ctx.fillRect(x, 10, r * mod, 60); x += r * mod; });
    return decodeImage(ctx.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
  });
  assert.equal(label, 'OFF-S-0001', 'the shipped reader reads a tube label');
  const listedIds = await page.locator('#buildings .who').evaluateAll((rows) => rows.map((r) => r.dataset.person));
  const take = listedIds.slice(0, 30);
  let tubes = 0;
  let inTube = 0;
  const sealTube = async () => {
    await page.locator('#seal').click();
    await page.waitForFunction(() => document.querySelector('#tube .members').children.length === 0);
    tubes++;
    inTube = 0;
  };
  for (const id of take) {
    if (inTube === 0) await page.locator('#tube-id').fill(tubes === 0 ? label : `OFF-S-${String(tubes + 1).padStart(4, '0')}`);
    await page.locator(`#buildings .who[data-person="${id}"] button`).click();
    // A tube full under the person's home's pooling takes no one more: sealed, and a new one.
    if (await page.locator('#tube-error').isVisible()) {
      await sealTube();
      await page.locator('#tube-id').fill(`OFF-S-${String(tubes + 1).padStart(4, '0')}`);
      await page.locator(`#buildings .who[data-person="${id}"] button`).click();
    }
    inTube++;
    if (inTube === 3) await sealTube();
  }
  if (inTube > 0) await sealTube();
  // A barcode used twice on this phone is refused here.
  await page.locator('#tube-id').fill(label);
  await page.locator(`#buildings .who[data-person="${listedIds[30]}"] button`).click();
  await page.locator('#seal').click();
  await page.waitForSelector('#tube-error:not([hidden])');
  assert.match(await page.locator('#tube-error').innerText(), /已使用/);
  // A barcode the phone cannot know is taken: the lab lands it while the phone is offline.
  ({ server, base } = start(['serve', '--listen', listen, '--db', db, '--two-factor', 'optional']));
  await base;
  base = `http://${listen}`;
  const taken = await api(lab, 'POST', '/api/v1/rounds/1/tubes', { tube_id: 'OFF-S-TAKEN', person_ids: [listedIds[31]], site: '实验室' });
  assert.equal(taken.status, 201, JSON.stringify(taken.body));
  await page.locator('#tube-id').fill('OFF-S-TAKEN');
  await page.locator('#seal').click();
  await page.waitForFunction(() => document.querySelector('#tube .members').children.length === 0);
  const waitingNow = tubes + 1;
  await page.waitForFunction((n) => document.querySelector('#field-state .waiting').textContent === `待上报 ${n} 条`, waitingNow);
  for (const id of take) assert.equal(await page.locator(`#buildings .who[data-person="${id}"]`).count(), 0, 'sampled: off the list');
  await page.screenshot({ path: join(shots, 'offline-sampling.png'), fullPage: true });

  // The first sync is cut off: the page closes as soon as it sends.
  const sentTubes = page.waitForRequest((r) => r.url().endsWith('/api/v1/rounds/1/tubes/offline'), { timeout: 60_000 });
  await sampling.setOffline(false);
  await sentTubes;
  await page.close();
  page = await sampling.newPage();
  await page.goto(fieldUrl);
  await page.waitForFunction(() => document.querySelector('#field-state .waiting').textContent === '待上报 0 条',
    null, { timeout: 60_000 });
  await page.waitForSelector('#conflicts:not([hidden])');
  assert.match(await page.locator("#conflicts").innerText(), /OFF-S-TAKEN[\s\S]*条码已使用过/);
  await page.screenshot({ path: join(shots, 'offline-sampling-synced.png'), fullPage: true });
  // On the server: each tube once, the 30 off the post, the taken barcode still the lab's.
  const totalsAfter = (await api(office, 'GET', '/api/v1/rounds/1')).body.totals;
  assert.equal(totalsAfter.tubes - totalsBefore.tubes, tubes + 1, 'each tube once (and the lab\'s)');
  assert.equal(totalsAfter.sampled - totalsBefore.sampled, 31, 'thirty sampled here, one by the lab');
  samplerPost = (await api(sampler, 'GET', '/api/v1/rounds/1/samples/post')).body;
  const still = new Set(samplerPost.buildings.flatMap((b) => b.people.map((p) => p.person_id)));
  for (const id of take) assert.ok(!still.has(id), `landed: ${id}`);
  assert.ok(still.has(listedIds[30]), 'the person of the refused tube is still to sample');
  // And whoever plans the round is shown it too.
  const refusals = (await api(office, 'GET', '/api/v1/rounds/1/refusals')).body;
  assert.deepEqual(refusals.filter((r) => r.kind === 'tube').map((r) => [r.subject, r.reason]), [['OFF-S-TAKEN', 'tube_used']]);
  assert.deepEqual(external, [], 'nothing loaded from elsewhere');
  console.log(`ok - the sampler samples 30 people in ${tubes} tubes offline and each lands once`);
  await sampling.close();

  // The day's health checks door to door without the network: three contacts followed at home,
  // one with a fever and a cough; each check lands once.
  const epi = await token('epi');
  const followed = (await api(epi, 'GET', '/api/v1/contacts?active=true&limit=5000')).body.filter((c) => !c.place && c.name);
  assert.ok(followed.length >= 3, `contacts followed at home: ${followed.length}`);
  const checksBefore = await Promise.all(followed.slice(0, 3).map(async (c) => (await api(epi, 'GET', `/api/v1/contacts/${c.id}`)).body.checks.length));
  const checker = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  checker.on('request', (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });
  page = await checker.newPage();
  await page.goto(`${base}/login`);
  await page.fill('input[name=username]', 'epi');
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  const checksUrl = `${base}/health-checks/field`;
  await page.goto(checksUrl);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForSelector('#contacts .who');
  await page.waitForFunction(async () => !!(await (await caches.open('cordon-pages')).match('/health-checks/field')));
  await stop(server);
  await checker.setOffline(true);
  await page.goto(checksUrl);
  await page.waitForSelector('#contacts .who');
  await page.waitForFunction(() => document.querySelector('#field-state .net').textContent === '离线');
  for (const [i, c] of followed.slice(0, 3).entries()) {
    const row = page.locator(`#contacts .who[data-contact="${c.id}"]`);
    if (i === 2) {
      await row.locator('input[name=temperature]').fill('38.3');
      await row.locator('summary').click();
      await row.locator('input[name=symptom][value=cough]').check();
    }
    await row.locator('.check button').click();
    await page.waitForFunction((id) => !!document.querySelector(`#contacts .who[data-contact="${id}"] .ok`), c.id);
  }
  await page.waitForFunction(() => document.querySelector('#field-state .waiting').textContent === '待上报 3 条');
  // The screen the worker sees (a city's list is longer than a screenshot can be).
  await page.screenshot({ path: join(shots, 'offline-checks.png') });
  ({ server, base } = start(['serve', '--listen', listen, '--db', db, '--two-factor', 'optional']));
  await base;
  base = `http://${listen}`;
  await checker.setOffline(false);
  await page.waitForFunction(() => document.querySelector('#field-state .waiting').textContent === '待上报 0 条',
    null, { timeout: 60_000 });
  for (const [i, c] of followed.slice(0, 3).entries()) {
    const f = (await api(epi, 'GET', `/api/v1/contacts/${c.id}`)).body;
    assert.equal(f.checks.length, checksBefore[i] + 1, `one check for ${c.id}`);
    assert.equal(f.checks.at(-1).unwell, i === 2, JSON.stringify(f.checks.at(-1)));
  }
  assert.deepEqual(external, [], 'nothing loaded from elsewhere');
  console.log('ok - the health checks are taken offline and each lands once');
} catch (e) {
  failed = true;
  console.log(`FAILED - offline gate\n${e.stack}`);
} finally {
  await browser.close();
  await stop(server).catch(() => {});
}
process.exit(failed ? 1 : 0);
