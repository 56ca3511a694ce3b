// Cordon's service worker: the field pages open with no network. It keeps the static files
// (versioned: a new server's files replace the old ones) and the field pages the phone opened —
// a gate's console, a building's sweep, a sampler's buildings, an area's health checks — which hold no resident: the people are in the pages'
// encrypted storage. Everything else goes to the network: pages and the API are never kept here.
const VERSION = '__VERSION__';
const STATIC = `cordon-static-${VERSION}`;
const PAGES = 'cordon-pages';
const FILES = ['/static/cordon.css', '/static/gate.js', '/static/field.mjs', '/static/gate-rules.mjs',
  '/static/field-store.mjs', '/static/sweep-field.mjs', '/static/sample-field.mjs', '/static/checks-field.mjs', '/static/code128.mjs',
  '/static/icon.svg', '/static/vendor/jsQR.js', '/manifest.webmanifest'];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(STATIC).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('cordon-static-') && k !== STATIC).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

/// With no network: a field page kept opens as it was (a gate's, a building's sweep); a gate's
/// console opens as its field page; any other page as the last field page kept, so a phone that
/// opens Cordon offline lands at its post.
async function offlinePage(url) {
  const pages = await caches.open(PAGES);
  const same = await pages.match(url.pathname + url.search);
  if (same) return same;
  const m = url.pathname.match(/^\/gates\/(\d+)(?:\/field)?$/);
  if (m) {
    const own = await pages.match(`/gates/${m[1]}/field`);
    if (own) return own;
  }
  const kept = await pages.keys();
  if (kept.length > 0) return pages.match(kept[kept.length - 1]);
  return new Response('<!doctype html><meta charset="utf-8"><title>Cordon</title><p>离线 · Offline</p>',
    { status: 503, headers: { 'content-type': 'text/html; charset=utf-8' } });
}

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (url.origin !== self.location.origin || e.request.method !== 'GET') return;
  if (FILES.includes(url.pathname)) {
    e.respondWith(caches.open(STATIC).then((c) => c.match(url.pathname)).then((hit) => hit ?? fetch(e.request)));
    return;
  }
  if (e.request.mode === 'navigate') {
    e.respondWith(fetch(e.request).catch(() => offlinePage(url)));
  }
});
