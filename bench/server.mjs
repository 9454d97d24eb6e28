/**
 * The benchmark's loopback server, run in its own process so that the client's CPU is measured
 * alone. Plain node:http with keep-alive, listening on 127.0.0.1 … 127.0.0.10 (ten host names for
 * ten cookie sites, each on its own port). Prints `{ ports: [...] }` on stdout once listening.
 *
 * Endpoints:
 *   /json                  a small JSON document
 *   /json-close            the same with `Connection: close` (a new connection per request)
 *   /cookie?k=…            one Set-Cookie (k=…, rotating names so the jar keeps its size), small
 *                          JSON that says how many cookies the request carried
 *   /setup-cookies?n=…     n Set-Cookie headers at once (to fill the jar before measuring)
 *   /redirect/:n           302 to /redirect/:n-1, one Set-Cookie (hop<n>) per hop; /redirect/0 says
 *                          how many hop cookies the request carried
 *   /bytes                 1 MiB of application/octet-stream
 *   /cached?k=…            the /json document with `Cache-Control: max-age=3600` (the cache-hit
 *                          scenario; each client asks under its own k, so each has its own entry)
 *   /cached-count?k=…      `{"count":n}`: how many times /cached?k=… was served (no cache headers)
 */
import { createServer } from 'node:http'

const JSON_BODY = Buffer.from(JSON.stringify({ id: 1, name: 'fetch-session', ok: true, tags: ['a', 'b', 'c'], nested: { x: 1, y: 2 } }))
const MIB = Buffer.alloc(1024 * 1024, 97)
// 10 sites for the cookie scenario, and an 11th where no scenario sets a cookie (the small JSON scenarios).
const HOSTS = Array.from({ length: 11 }, (_, index) => `127.0.0.${index + 1}`)
const CACHED = { 'cache-control': 'max-age=3600' }
/** How many times /cached?k=… was served, by k. */
const cachedCounts = new Map()

/** How many of the cookie scenario's cookies (c0…c4) the request carried. */
function countCookies(header) {
  if (!header) return 0
  let count = 0
  for (const pair of header.split(';')) if (/^\s*c\d+=/.test(pair)) count++
  return count
}

function sendJSON(res, body, headers) {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, ...headers })
  res.end(body)
}

function handler(req, res) {
  const url = req.url
  if (url === '/json') return sendJSON(res, JSON_BODY)
  if (url === '/json-close') return sendJSON(res, JSON_BODY, { connection: 'close' })
  if (url.startsWith('/cached?k=')) {
    const k = url.slice('/cached?k='.length)
    cachedCounts.set(k, (cachedCounts.get(k) ?? 0) + 1)
    return sendJSON(res, JSON_BODY, CACHED)
  }
  if (url.startsWith('/cached-count?k=')) return sendJSON(res, Buffer.from(`{"count":${cachedCounts.get(url.slice('/cached-count?k='.length)) ?? 0}}`))
  if (url === '/bytes') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': MIB.length })
    return res.end(MIB)
  }
  if (url.startsWith('/cookie?')) {
    const k = url.slice('/cookie?k='.length)
    const body = Buffer.from(`{"cookies":${countCookies(req.headers.cookie)}}`)
    return sendJSON(res, body, { 'set-cookie': `c${k}=v${Date.now() % 100000}; Path=/` })
  }
  if (url.startsWith('/setup-cookies?n=')) {
    const n = Number(url.slice('/setup-cookies?n='.length))
    return sendJSON(res, Buffer.from('{}'), { 'set-cookie': Array.from({ length: n }, (_, index) => `c${index}=seed; Path=/`) })
  }
  if (url.startsWith('/redirect/')) {
    const n = Number(url.slice('/redirect/'.length))
    if (n <= 0) return sendJSON(res, Buffer.from(`{"hops":${(req.headers.cookie ?? '').split('hop').length - 1}}`))
    res.writeHead(302, { 'location': `/redirect/${n - 1}`, 'set-cookie': `hop${n}=1; Path=/`, 'content-length': 0 })
    return res.end()
  }
  res.writeHead(404, { 'content-length': 0 })
  res.end()
}

const servers = HOSTS.map(() => createServer({ keepAliveTimeout: 600_000 }, handler))
const ports = await Promise.all(servers.map((server, index) => new Promise((resolve, reject) => {
  server.once('error', reject)
  server.listen(0, HOSTS[index], () => resolve(server.address().port))
})))
process.stdout.write(`${JSON.stringify({ ports })}\n`)
process.on('message', (message) => {
  if (message === 'cpu') process.send({ cpu: process.cpuUsage() })
})
process.on('disconnect', () => process.exit(0))
