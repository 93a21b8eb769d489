// The web app's service worker (scope /mturk/, registered by the task page of an
// ExternalQuestion HIT: web/pages/mturk.py). The requester's page, framed from its own
// origin, posts its form to turkSubmitTo + "/mturk/externalSubmit" as on MTurk; this takes
// that post in the worker's own browser, so the fields never reach the platform's server,
// and hands them to the task page (a BroadcastChannel of this origin), which seals them and
// has the worker's wallet sign. The frame is left showing an empty page.
const CHANNEL = 'microtask-mturk'
const PATH = '/mturk/externalSubmit'

self.addEventListener('install', () => self.skipWaiting())
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()))

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url)
  if (url.origin !== self.location.origin || url.pathname !== PATH) return
  if (event.request.method !== 'POST' && event.request.method !== 'GET') return
  event.respondWith(handOver(event.request, url))
})

async function handOver(request, url) {
  const entries = request.method === 'POST' ? await request.formData() : url.searchParams
  let assignmentId = ''
  const fields = []
  for (const [name, value] of entries) {
    if (typeof value !== 'string') continue
    if (name === 'assignmentId') assignmentId = value
    else fields.push({ name, text: value })
  }
  const channel = new BroadcastChannel(CHANNEL)
  channel.postMessage({ type: 'microtask:mturk-submit', assignmentId, fields })
  channel.close()
  return new Response('<!doctype html><title>-</title>', {
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': "default-src 'none'; sandbox",
      'Cache-Control': 'no-store',
    },
  })
}
