/**
 * The local test server, modelled on httpbin. Plain node:http on port 0, dual-stack, so that
 * `http://127.0.0.1:PORT` and `http://localhost:PORT` are two different sites for cookies.
 * Tests, the playground and the runtime suites use nothing else.
 *
 * Endpoints (all methods unless said):
 *   /get /anything/*        echo: { method, url, path, args, headers, body, json, form, connection }
 *   /headers                { headers }
 *   /cookies                { cookies } as the server received them
 *   /cookies/set/:name/:value, /cookies/set?name=value   Set-Cookie (Path=/), then 302 to /cookies
 *   /cookies/delete?name    expires the cookies, then 302 to /cookies
 *   /set-cookie?raw=…       sends each `raw` value verbatim as a Set-Cookie header, 200 JSON
 *                           (POST: the values as a JSON array body)
 *   /status/:code           that status; ?retry_after=…, ?location=…, ?body=… optional
 *   /delay/:ms              answers after :ms milliseconds
 *   /redirect-to?url=…&status_code=302
 *   /redirect/:n            n hops (302) ending at /get; /relative-redirect/:n with relative Locations
 *   /cookie-redirect/:n     n hops, each setting hop<i>=<i>, ending at /cookies
 *   /loop                   redirects to itself forever (with a changing query)
 *   /redirect-slow-body?url=…  a 302 whose body trickles forever; counts 'redirect-body-closed' when the client hangs up
 *   /login (GET)            HTML form with a CSRF token (and a csrf cookie)
 *   /login (POST)           form: username, password, csrf_token → session cookie, 302 /dashboard
 *   /dashboard              200 HTML when logged in, else 302 /login
 *   /api/login (POST)       JSON { username, password } → { token }
 *   /api/users/:id          needs `Authorization: Bearer <token>` → { id, name }
 *   /api/expire (POST)      invalidates every token issued so far
 *   /basic-auth/:user/:pass 200 { authenticated, user } with those Basic credentials, else 401
 *   /digest-auth/:qop/:user/:pass/:algorithm   RFC 7616 Digest (qop auth; MD5, SHA-256), like httpbin
 *   ?key=…                  on any endpoint: counted, with arrival times and the highest concurrency (keyStats)
 *   /flaky/:key?fail=n&status=503&retry_after=…   fails n times per key, then 200 { attempts }
 *   /hang                   never answers
 *   /trickle?chunks=n&interval=ms  sends a byte every interval
 *   /reset                  destroys the socket without answering; /reset-mid-body after some bytes
 *   /close-on-reuse         answers the first request of a connection, drops the connection on any later one
 *   /bytes/:n               n bytes of data
 *   /download?size=&chunk=&interval=   a large body sent chunk by chunk (for progress bars)
 *   /pages/1?other=ORIGIN   paginated: /pages/1 links </pages/2>, which 302s to /pages/sub/2, linking <3>
 *                           (relative: /pages/sub/3), linking ORIGIN/pages/4; each answers { page, url, authorization }
 *   /slow-upload?pause=ms   reads the request body a chunk at a time, pausing between chunks; answers
 *                           { contentLength, transferEncoding, contentType, received, sha256, parts }
 *   /resumable/:name?size=N  N bytes (of the name's current version) with Accept-Ranges: bytes, answering
 *                           `Range` (+ `If-Range`) with 206; the first `cuts` (default 1) answers (whole or
 *                           ranges) break at `cut` (default 0.6) of their body: the socket destroyed, or with
 *                           ?stall=1 left silent. ?etag=1|weak, ?lm=1 (validators), ?change=1 (a new
 *                           version after the cut), ?ignore=1 (Range ignored), ?bad=1 (a 206 that starts a
 *                           byte late); /resumable/:name/stats { requests: [{ range, ifRange, status }] }
 *   /gzip-bomb?size=N       N zero bytes, gzip-encoded (a decompression bomb)
 *   /conn                   { connection: id of this socket, request: nth request on it }
 *   /__hits/:key            how many times /flaky/:key (or any key given as ?key=) was hit
 *   /__static/:file         a file of `staticDir` (when the server was started with one)
 *   /__connections          { tcp, failedHandshakes }: TCP connections accepted so far, and (https) TLS
 *                           handshakes that failed (a client that refused the certificate…)
 *   /raw-redirect?url=…&encoding=utf8|latin1&status_code=302
 *                           a redirect whose Location is the raw bytes of `url` in that encoding
 *                           (utf8: `/ü` goes out as the bytes C3 BC; latin1: as FC, not valid UTF-8)
 *   /raw-body?body=…&type=…&status=200   `body` as is, with that Content-Type (none when `type` is absent)
 *   /digest-auth/…?require-cookie=1   as httpbin: the challenge sets `fake=fake_value`, and an
 *                           answer without that cookie gets a new challenge
 *   /stored-redirect (POST) stores the body as a Location, answers { id }; /stored-redirect/:id?status_code=302
 *                           then redirects there, so the Location is never in the request's URL
 *   /bomb/:coding?size=N    N zero bytes, encoded with `coding` (gzip, deflate, deflate-raw (sent as
 *                           `deflate`), br): a decompression bomb (br: about 300 bytes on the wire for 384 MB)
 *   /encoded/:codings?lines=N   the text `line 0\n` … `line N-1\n` (`encodedText(N)`), encoded with
 *                           `codings` in order (comma-separated: gzip, deflate, deflate-raw (raw
 *                           deflate, sent as `deflate`), br), Content-Encoding naming them
 *   /__key-stats/:key       { inFlight, max, hits }: the concurrency seen of the requests with ?key=
 *   /etag/:etag             httpbin's: { headers… } with ETag "<etag>", 304 for a matching If-None-Match
 *   /cache/:n               httpbin's (n a number, no query): Cache-Control: public, max-age=n
 *   /cache/:name            a cacheable resource: { name, version, served, cookie, authorization, user }
 *                           (`served`: how many times the server answered it with a body; `user`: the
 *                           `user` cookie, else the Bearer token), with ?cc= (Cache-Control), ?etag=1
 *                           (ETag `"<name>-v<version>"`, and 304 for a matching If-None-Match), ?lm=1
 *                           (Last-Modified an hour ago, and 304 for If-Modified-Since), ?vary=, ?expires=
 *                           (seconds from now), ?set_cookie=, ?status=, ?delay= (ms), ?size= (bytes of
 *                           body instead of JSON; with ?chunked, no Content-Length), and X-Request-Count (in 304s too); any other
 *                           method (or /cache/:name/bump) makes a new version and answers with
 *                           Content-Location (?header=location: Location) ?location= or the
 *                           resource; /cache/:name/break makes it answer 503 from then on;
 *                           /cache/:name/stats gives { served, notModified, requests }
 */
import { createHash, randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { brotliCompressSync, constants as zlibConstants, createBrotliCompress, createDeflate, createDeflateRaw, createGzip, deflateRawSync, deflateSync, gzipSync } from 'node:zlib'

/** One request as the server saw it. */
export interface SeenRequest {
  method: string
  url: string
  path: string
  headers: Record<string, string | string[] | undefined>
  /** Raw header pairs, to see duplicates and exact names. */
  rawHeaders: string[]
  body: string
  /** The body as bytes (binary-safe, for multipart). */
  bytes: Buffer
  connection: number
  host: string
  /** When it arrived (ms since the epoch). */
  at: number
}

/** A running test server. */
export interface TestServer {
  /** `http://127.0.0.1:PORT` */
  url: string
  /** `http://localhost:PORT`: another site for cookies, same server. */
  altUrl: string
  /** `http://[::1]:PORT` */
  ipv6Url: string
  port: number
  /** Every request received, oldest first. */
  requests: SeenRequest[]
  /** Number of sockets currently open. */
  openSockets: () => number
  /** Number of sockets ever accepted. */
  totalSockets: () => number
  /** Hits per key (flaky endpoints, `?key=` on any endpoint). */
  hits: (key: string) => number
  /** Concurrency and arrival times of the requests that carried `?key=`. */
  keyStats: (key: string) => KeyStats
  /** Invalidates every bearer token issued so far (they now get 401). */
  expireTokens: () => void
  /** Forget the request log and hit counters. */
  reset: () => void
  close: () => Promise<void>
  server: Server
}

/** What the server saw of the requests carrying one `?key=`. */
export interface KeyStats {
  inFlight: number
  /** The highest number of those requests in flight at once. */
  max: number
  /** Arrival times, ms since the epoch, in order. */
  arrivals: number[]
}

interface State {
  requests: SeenRequest[]
  hits: Map<string, number>
  cacheables: Map<string, Cacheable>
  concurrency: Map<string, KeyStats>
  digestNonces: Set<string>
  sessions: Map<string, string>
  tokens: Set<string>
  csrf: Map<string, string>
  resumables: Map<string, Resumable>
  /** TCP connections accepted (before any TLS handshake). */
  tcp: number
  /** TLS handshakes that failed (`tlsClientError`). */
  failedHandshakes: number
}

const USERS: Record<string, string> = { alice: 'wonderland', user: 'pass', myuser: 'mypass' }

/** Options of `startServer()`. */
export interface ServerOptions {
  /** Serve https with this certificate and key (PEM); `requestCert` + `ca` ask for a client certificate. */
  tls?: { cert: string, key: string, ca?: string, requestCert?: boolean, rejectUnauthorized?: boolean }
  /** Serve the files of this folder under `/__static/` (the browser suite's page and bundle). */
  staticDir?: string
}

/** Starts the server on a free port, dual-stack. */
export async function startServer(options: ServerOptions = {}): Promise<TestServer> {
  const state: State = { requests: [], hits: new Map(), cacheables: new Map(), resumables: new Map(), concurrency: new Map(), digestNonces: new Set(), sessions: new Map(), tokens: new Set(), csrf: new Map(), tcp: 0, failedHandshakes: 0 }
  const sockets = new Set<Socket>()
  let socketCount = 0
  const socketIds = new WeakMap<Socket, { id: number, requests: number }>()

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = []
    // /slow-upload reads as a slow server does: a chunk, then a pause.
    const pause = req.url?.startsWith('/slow-upload') ? Number(new URL(req.url, 'http://x').searchParams.get('pause') ?? 20) : 0
    req.on('data', (chunk) => {
      chunks.push(chunk)
      if (pause > 0) {
        req.pause()
        setTimeout(() => req.resume(), pause)
      }
    })
    req.on('end', () => {
      const info = socketIds.get(req.socket)!
      info.requests++
      const bytes = Buffer.concat(chunks)
      const body = bytes.toString('utf8')
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`)
      const seen: SeenRequest = {
        method: req.method ?? 'GET',
        url: url.href,
        path: url.pathname,
        headers: { ...req.headers },
        rawHeaders: req.rawHeaders,
        body,
        bytes,
        connection: info.id,
        host: req.headers.host ?? '',
        at: Date.now(),
      }
      state.requests.push(seen)
      const key = url.searchParams.get('key')
      if (key) {
        state.hits.set(key, (state.hits.get(key) ?? 0) + 1)
        const stats = state.concurrency.get(key) ?? { inFlight: 0, max: 0, arrivals: [] }
        state.concurrency.set(key, stats)
        stats.inFlight++
        stats.max = Math.max(stats.max, stats.inFlight)
        stats.arrivals.push(seen.at)
        res.on('close', () => stats.inFlight--)
      }
      try {
        if (options.staticDir && url.pathname.startsWith('/__static/')) serveStatic(options.staticDir, url.pathname.slice('/__static/'.length), res)
        else route(state, req, res, url, seen, info)
      }
      catch (error) {
        if (!res.headersSent) send(res, 500, { error: String(error) })
      }
    })
  }
  const server: Server = options.tls
    ? createHttpsServer({ ...options.tls, keepAliveTimeout: 5000 }, handler) as unknown as Server
    : createServer({ keepAliveTimeout: 5000 }, handler)
  server.on(options.tls ? 'secureConnection' : 'connection', (socket) => {
    socketCount++
    socketIds.set(socket, { id: socketCount, requests: 0 })
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('connection', () => state.tcp++)
  server.on('tlsClientError', () => state.failedHandshakes++)
  await new Promise<void>(resolve => server.listen({ port: 0, host: '::', ipv6Only: false }, resolve))
  const { port } = server.address() as AddressInfo
  const scheme = options.tls ? 'https' : 'http'
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    altUrl: `${scheme}://localhost:${port}`,
    ipv6Url: `${scheme}://[::1]:${port}`,
    port,
    requests: state.requests,
    openSockets: () => sockets.size,
    totalSockets: () => socketCount,
    hits: key => state.hits.get(key) ?? 0,
    keyStats: key => state.concurrency.get(key) ?? { inFlight: 0, max: 0, arrivals: [] },
    expireTokens: () => state.tokens.clear(),
    reset() {
      state.requests.length = 0
      state.hits.clear()
      state.concurrency.clear()
    },
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    }),
    server,
  }
}

const CONTENT_TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', mjs: 'text/javascript; charset=utf-8', json: 'application/json' }

function serveStatic(dir: string, name: string, res: ServerResponse): void {
  const path = join(dir, name)
  if (!path.startsWith(dir) || !existsSync(path)) return send(res, 404, { error: 'not found', path: name })
  const body = readFileSync(path)
  res.writeHead(200, { 'content-type': CONTENT_TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream', 'content-length': body.length })
  res.end(body)
}

function send(res: ServerResponse, status: number, data: unknown, headers: Record<string, string | string[]> = {}): void {
  const body = typeof data === 'string' ? data : JSON.stringify(data)
  res.writeHead(status, {
    'content-type': typeof data === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  })
  res.end(body)
}

function redirect(res: ServerResponse, location: string, status = 302, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { location, 'content-type': 'text/plain', 'content-length': '9', ...headers })
  res.end('redirect\n')
}

const gzipCache = new Map<number, Promise<Buffer>>()
/** `size` zero bytes, gzip-compressed, made from one reused 1 MiB chunk (never `size` bytes in memory). */
function gzipped(size: number): Promise<Buffer> {
  let body = gzipCache.get(size)
  if (!body) {
    body = new Promise<Buffer>((resolve, reject) => {
      const gzip = createGzip({ level: 9 })
      const out: Buffer[] = []
      gzip.on('data', chunk => out.push(chunk))
      gzip.on('end', () => resolve(Buffer.concat(out)))
      gzip.on('error', reject)
      const zeros = Buffer.alloc(Math.min(size, 1024 * 1024))
      let left = size
      const write = (): void => {
        while (left > 0) {
          const chunk = left >= zeros.length ? zeros : zeros.subarray(0, left)
          left -= chunk.length
          if (!gzip.write(chunk)) {
            gzip.once('drain', write)
            return
          }
        }
        gzip.end()
      }
      write()
    })
    gzipCache.set(size, body)
  }
  return body
}

function hash(algorithm: string, text: string): string {
  return createHash(algorithm.toUpperCase().startsWith('SHA-256') ? 'sha256' : 'md5').update(text).digest('hex')
}

function parseDigest(header: string): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const match of header.replace(/^Digest\s+/i, '').matchAll(/([a-z0-9-]+)=(?:"([^"]*)"|([^\s,]+))/gi)) {
    fields[match[1]!.toLowerCase()] = match[2] ?? match[3] ?? ''
  }
  return fields
}

/** RFC 7616 Digest, checked for real: the client must compute the response from the password. */
function digestAuth(state: State, req: IncomingMessage, res: ServerResponse, parts: string[]): void {
  const [, qop = 'auth', user = 'user', password = 'pass', algorithm = 'MD5'] = parts
  const realm = 'fetch-session@test'
  const requireCookie = /^(?:1|t|true)$/i.test(new URL(req.url ?? '/', 'http://x').searchParams.get('require-cookie') ?? '')
  const challenge = (): void => {
    const nonce = randomUUID().replace(/-/g, '')
    state.digestNonces.add(nonce)
    send(res, 401, { authenticated: false }, { 'www-authenticate': `Digest realm="${realm}", qop="${qop}", nonce="${nonce}", opaque="${randomUUID()}", algorithm=${algorithm}`, 'set-cookie': ['stale_after=never; Path=/', 'fake=fake_value; Path=/'] })
  }
  const header = req.headers.authorization ?? ''
  if (!/^Digest /i.test(header)) return challenge()
  if (requireCookie && parseCookies(req.headers.cookie).fake !== 'fake_value') return challenge()
  const fields = parseDigest(header)
  if (!fields.nonce || !state.digestNonces.has(fields.nonce) || fields.username !== user || fields.realm !== realm || fields.uri !== req.url) return challenge()
  const ha1 = hash(algorithm, `${user}:${realm}:${password}`)
  const ha2 = hash(algorithm, `${req.method}:${fields.uri}`)
  const expected = hash(algorithm, `${ha1}:${fields.nonce}:${fields.nc}:${fields.cnonce}:${fields.qop}:${ha2}`)
  if (fields.response !== expected || fields.qop !== qop || (fields.algorithm ?? 'MD5').toUpperCase() !== algorithm.toUpperCase()) return challenge()
  send(res, 200, { authenticated: true, user })
}

function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {}
  if (!header) return cookies
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq === -1) continue
    cookies[part.slice(0, eq).trim()] = part.slice(eq + 1).trim()
  }
  return cookies
}

function echo(req: IncomingMessage, url: URL, seen: SeenRequest, info: { id: number }): Record<string, unknown> {
  let json: unknown = null
  let form: Record<string, string> | null = null
  const type = req.headers['content-type'] ?? ''
  if (type.includes('json')) {
    try {
      json = JSON.parse(seen.body)
    }
    catch {}
  }
  if (type.includes('application/x-www-form-urlencoded')) form = Object.fromEntries(new URLSearchParams(seen.body))
  return {
    method: seen.method,
    url: url.href,
    path: url.pathname,
    args: Object.fromEntries(url.searchParams),
    headers: req.headers,
    body: seen.body,
    json,
    form,
    connection: info.id,
  }
}

function route(state: State, req: IncomingMessage, res: ServerResponse, url: URL, seen: SeenRequest, info: { id: number, requests: number }): void {
  const path = url.pathname
  const parts = path.split('/').filter(Boolean)
  const cookies = parseCookies(req.headers.cookie)
  const origin = req.headers.origin
  if (origin) {
    // CORS with credentials, for the browser suite.
    res.setHeader('access-control-allow-origin', origin)
    res.setHeader('access-control-allow-credentials', 'true')
    res.setHeader('access-control-expose-headers', 'x-request-id, retry-after')
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS',
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
        'access-control-max-age': '600',
      })
      res.end()
      return
    }
  }

  switch (parts[0]) {
    case undefined:
      return send(res, 200, { ok: true })
    case 'get':
    case 'anything':
    case 'post':
    case 'put':
    case 'patch':
    case 'delete': {
      const data = echo(req, url, seen, info)
      if (!(req.headers['content-type'] ?? '').startsWith('multipart/form-data')) return send(res, 200, data)
      // Multipart: parsed with the platform's own parser (undici's Response.formData()).
      new Response(new Uint8Array(seen.bytes), { headers: { 'content-type': req.headers['content-type']! } }).formData().then(async (form) => {
        const fields: Record<string, string> = {}
        const files: Record<string, { filename: string, type: string, size: number, text: string }> = {}
        for (const [name, value] of form) {
          if (typeof value === 'string') fields[name] = value
          else files[name] = { filename: value.name, type: value.type, size: value.size, text: await value.text() }
        }
        send(res, 200, { ...data, body: '(multipart)', form: fields, files })
      }, error => send(res, 400, { error: String(error) }))
      return
    }
    case 'basic-auth': {
      const expected = `Basic ${Buffer.from(`${parts[1]}:${parts[2]}`).toString('base64')}`
      if (req.headers.authorization !== expected) return send(res, 401, { authenticated: false }, { 'www-authenticate': 'Basic realm="Fake Realm"' })
      return send(res, 200, { authenticated: true, user: parts[1] })
    }
    case 'digest-auth':
      return digestAuth(state, req, res, parts)
    case 'headers':
      return send(res, 200, { headers: req.headers })
    case 'cookies': {
      if (parts[1] === 'set') {
        const pairs: Array<[string, string]> = parts[2] !== undefined
          ? [[decodeURIComponent(parts[2]), decodeURIComponent(parts[3] ?? '')]]
          : [...url.searchParams]
        return redirect(res, '/cookies', 302, { 'set-cookie': pairs.map(([name, value]) => `${name}=${value}; Path=/`) })
      }
      if (parts[1] === 'delete') {
        return redirect(res, '/cookies', 302, { 'set-cookie': [...url.searchParams.keys()].map(name => `${name}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/`) })
      }
      return send(res, 200, { cookies })
    }
    case 'set-cookie': {
      // GET: each ?raw= value; POST: a JSON array in the body (for values too big for a URL).
      const raw = req.method === 'POST' ? JSON.parse(seen.body) as string[] : url.searchParams.getAll('raw')
      return send(res, 200, { set: raw.length }, { 'set-cookie': raw })
    }
    case 'status': {
      const code = Number(parts[1] ?? 200)
      const headers: Record<string, string> = {}
      const retryAfter = url.searchParams.get('retry_after')
      if (retryAfter !== null) headers['retry-after'] = retryAfter
      const location = url.searchParams.get('location')
      if (location !== null) headers.location = location
      if (code === 204 || code === 304) {
        res.writeHead(code, headers)
        res.end()
        return
      }
      return send(res, code, url.searchParams.get('body') ?? { status: code }, headers)
    }
    case 'delay': {
      const ms = Number(parts[1] ?? 0)
      const timer = setTimeout(() => send(res, 200, { delayed: ms, connection: info.id }), ms)
      res.on('close', () => clearTimeout(timer))
      return
    }
    case 'hang':
      res.on('close', () => {})
      return
    case 'redirect-to': {
      const status = Number(url.searchParams.get('status_code') ?? 302)
      const headers: Record<string, string | string[]> = {}
      const setCookie = url.searchParams.getAll('set_cookie')
      if (setCookie.length) headers['set-cookie'] = setCookie
      return redirect(res, url.searchParams.get('url') ?? '/get', status, headers)
    }
    case 'redirect':
    case 'relative-redirect': {
      const n = Number(parts[1] ?? 1)
      const status = Number(url.searchParams.get('status_code') ?? 302)
      const next = n <= 1 ? '/get' : `/${parts[0]}/${n - 1}${url.search}`
      return redirect(res, parts[0] === 'redirect' ? `http://${req.headers.host}${next}` : next, status)
    }
    case 'cookie-redirect': {
      const n = Number(parts[1] ?? 1)
      const i = Number(url.searchParams.get('i') ?? 1)
      const next = n <= 1 ? '/cookies' : `/cookie-redirect/${n - 1}?i=${i + 1}`
      return redirect(res, next, 302, { 'set-cookie': `hop${i}=${i}; Path=/` })
    }
    case 'redirect-slow-body': {
      // A redirect whose body never ends: the client must cancel it, which closes this response.
      res.writeHead(Number(url.searchParams.get('status_code') ?? 302), { 'location': url.searchParams.get('url') ?? '/get', 'content-type': 'text/plain' })
      const timer = setInterval(() => res.write('still here\n'), 50)
      res.on('close', () => {
        clearInterval(timer)
        state.hits.set('redirect-body-closed', (state.hits.get('redirect-body-closed') ?? 0) + 1)
      })
      return
    }
    case 'loop': {
      const i = Number(url.searchParams.get('i') ?? 0)
      return redirect(res, `/loop?i=${i + 1}`)
    }
    case 'login': {
      if (req.method === 'GET') {
        const token = randomUUID()
        const csrfId = randomUUID()
        state.csrf.set(csrfId, token)
        const html = `<!doctype html><html><head><title>Login</title></head><body>
<form method="post" action="/login">
  <input type="hidden" name="csrf_token" value="${token}">
  <input name="username"><input name="password" type="password">
  <button type="submit">Log in</button>
</form></body></html>`
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'set-cookie': `csrf_id=${csrfId}; Path=/; HttpOnly` })
        res.end(html)
        return
      }
      const form = Object.fromEntries(new URLSearchParams(seen.body))
      const expected = state.csrf.get(cookies.csrf_id ?? '')
      if (!expected || form.csrf_token !== expected) return send(res, 403, { error: 'bad csrf token' })
      if (!form.username || USERS[form.username] !== form.password) return send(res, 401, { error: 'bad credentials' })
      const sid = randomUUID()
      state.sessions.set(sid, form.username)
      return redirect(res, '/dashboard', 302, { 'set-cookie': `sid=${sid}; Path=/; HttpOnly` })
    }
    case 'dashboard': {
      const user = state.sessions.get(cookies.sid ?? '')
      if (!user) return redirect(res, '/login')
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(`<!doctype html><html><body><h1>Dashboard</h1><p class="welcome">Welcome, ${user}!</p></body></html>`)
      return
    }
    case 'protected': {
      const user = state.sessions.get(cookies.sid ?? '')
      if (!user) return send(res, 401, { error: 'not logged in' })
      return send(res, 200, { user, secret: 'the protected page' })
    }
    case 'api': {
      if (parts[1] === 'expire' && req.method === 'POST') {
        state.tokens.clear()
        return send(res, 200, { expired: true })
      }
      if (parts[1] === 'login' && req.method === 'POST') {
        let credentials: { username?: string, password?: string } = {}
        try {
          credentials = JSON.parse(seen.body)
        }
        catch {}
        if (!credentials.username || USERS[credentials.username] !== credentials.password) return send(res, 401, { error: 'bad credentials' })
        const token = `tok-${randomUUID()}`
        state.tokens.add(token)
        // A form login also gets a session cookie, as the seed's "login" example expects.
        const sid = randomUUID()
        state.sessions.set(sid, credentials.username)
        return send(res, 200, { token }, { 'set-cookie': `sid=${sid}; Path=/; HttpOnly` })
      }
      const auth = req.headers.authorization ?? ''
      const token = auth.startsWith('Bearer ') ? auth.slice(7) : ''
      if (!state.tokens.has(token)) return send(res, 401, { error: 'missing or invalid bearer token' }, { 'www-authenticate': 'Bearer' })
      if (parts[1] === 'users') return send(res, 200, { id: Number(parts[2]), name: `user ${parts[2]}` })
      if (parts[1] === 'posts') return send(res, 200, [{ id: 1, title: 'hello' }])
      return send(res, 404, { error: 'not found' })
    }
    case 'flaky': {
      const key = parts[1] ?? 'default'
      const count = (state.hits.get(`flaky:${key}`) ?? 0) + 1
      state.hits.set(`flaky:${key}`, count)
      state.hits.set(key, count)
      const fail = Number(url.searchParams.get('fail') ?? 1)
      if (count <= fail) {
        const status = Number(url.searchParams.get('status') ?? 503)
        const headers: Record<string, string | string[]> = {}
        const retryAfter = url.searchParams.get('retry_after')
        if (retryAfter !== null) headers['retry-after'] = retryAfter
        const setCookie = url.searchParams.get('set_cookie')
        if (setCookie) headers['set-cookie'] = setCookie
        if (url.searchParams.get('mode') === 'reset') {
          req.socket.destroy()
          return
        }
        if (url.searchParams.get('mode') === 'hang') return
        return send(res, status, { error: 'try again', attempt: count }, headers)
      }
      return send(res, 200, { ok: true, attempts: count, cookies })
    }
    case 'trickle': {
      const chunks = Number(url.searchParams.get('chunks') ?? 10)
      const interval = Number(url.searchParams.get('interval') ?? 100)
      const status = Number(url.searchParams.get('status') ?? 200)
      res.writeHead(status, { 'content-type': 'application/octet-stream', 'content-length': String(chunks) })
      let sent = 0
      const timer = setInterval(() => {
        res.write('x')
        if (++sent >= chunks) {
          clearInterval(timer)
          res.end()
        }
      }, interval)
      res.on('close', () => clearInterval(timer))
      return
    }
    case 'reset':
      req.socket.destroy()
      return
    case 'close-on-reuse':
      // A server that closed an idle keep-alive connection just as the next request arrived.
      if (info.requests > 1) {
        req.socket.destroy()
        return
      }
      return send(res, 200, { connection: info.id, method: req.method })
    case 'reset-mid-body':
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '100000' })
      res.write(Buffer.alloc(1000, 120), () => setTimeout(() => req.socket.destroy(), 20))
      return
    case 'gzip-bomb': {
      // N bytes of zeros, gzip-compressed (about a thousandth of that on the wire).
      const size = Number(url.searchParams.get('size') ?? 100 * 1024 * 1024)
      gzipped(size).then((body) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip', 'content-length': String(body.length) })
        res.end(body)
      }, error => send(res, 500, { error: String(error) }))
      return
    }
    case 'download': {
      // A large body sent in chunks with a pause between them, for progress bars.
      const size = Number(url.searchParams.get('size') ?? 1_048_576)
      const chunk = Number(url.searchParams.get('chunk') ?? 65_536)
      const interval = Number(url.searchParams.get('interval') ?? 10)
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) })
      let sent = 0
      const timer = setInterval(() => {
        const length = Math.min(chunk, size - sent)
        res.write(Buffer.alloc(length, 120))
        sent += length
        if (sent >= size) {
          clearInterval(timer)
          res.end()
        }
      }, interval)
      res.on('close', () => clearInterval(timer))
      return
    }
    case 'slow-upload': {
      const type = req.headers['content-type'] ?? ''
      const answer = { contentLength: req.headers['content-length'] ?? null, transferEncoding: req.headers['transfer-encoding'] ?? null, contentType: type || null, received: seen.bytes.length, sha256: createHash('sha256').update(seen.bytes).digest('hex') }
      if (!type.startsWith('multipart/form-data')) return send(res, 200, { ...answer, parts: null })
      new Response(new Uint8Array(seen.bytes), { headers: { 'content-type': type } }).formData().then((form) => {
        const fields = [...form].map(([name, value]) => [name, typeof value === 'string' ? value.length : value.size])
        send(res, 200, { ...answer, parts: Object.fromEntries(fields) })
      }, error => send(res, 400, { error: String(error) }))
      return
    }
    case 'resumable':
      return serveResumable(req, res, url, parts, state)
    case 'pages': {
      const other = url.searchParams.get('other') ?? ''
      const query = `?other=${encodeURIComponent(other)}`
      const page = (n: number, link?: string): void => send(res, 200, { page: n, url: url.href, authorization: req.headers.authorization ?? null }, link ? { link } : {})
      if (path === '/pages/1') return page(1, `</pages/2${query}>; rel="next"`)
      if (path === '/pages/2') return redirect(res, `/pages/sub/2${query}`, 302, {})
      if (path === '/pages/sub/2') return page(2, `<3${query}>; rel="next"`)
      if (path === '/pages/sub/3') return page(3, `<${other}/pages/4>; rel="next"`)
      return page(4)
    }
    case 'bytes': {
      const n = Number(parts[1] ?? 1024)
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(n) })
      res.end(Buffer.alloc(n, 97))
      return
    }
    case 'conn':
      return send(res, 200, { connection: info.id, request: info.requests })
    case '__hits':
      return send(res, 200, { hits: state.hits.get(parts[1] ?? '') ?? 0 })
    case '__connections':
      return send(res, 200, { tcp: state.tcp, failedHandshakes: state.failedHandshakes })
    case 'raw-redirect': {
      // With a Buffer body Node writes the head as latin1 (one byte per char): a latin1 string of
      // the bytes sends exactly those bytes (with a string body the head would take its encoding).
      const target = url.searchParams.get('url') ?? '/get'
      const bytes = Buffer.from(target, url.searchParams.get('encoding') === 'latin1' ? 'latin1' : 'utf8')
      res.writeHead(Number(url.searchParams.get('status_code') ?? 302), { 'location': bytes.toString('latin1'), 'content-type': 'text/plain', 'content-length': '9' })
      res.end(Buffer.from('redirect\n'))
      return
    }
    case 'raw-body': {
      const body = url.searchParams.get('body') ?? ''
      const type = url.searchParams.get('type')
      res.writeHead(Number(url.searchParams.get('status') ?? 200), { 'content-length': Buffer.byteLength(body), ...(type === null ? {} : { 'content-type': type }) })
      res.end(body)
      return
    }
    case 'stored-redirect': {
      // The Location is stored first, so that it never appears in the URL of the request that gets it.
      if (req.method === 'POST') {
        const id = randomUUID()
        storedLocations.set(id, seen.body)
        return send(res, 200, { id })
      }
      const location = storedLocations.get(parts[1] ?? '')
      if (location === undefined) return send(res, 404, { error: 'no such stored redirect' })
      res.writeHead(Number(url.searchParams.get('status_code') ?? 302), { 'location': location, 'content-length': '0' })
      res.end()
      return
    }
    case 'bomb': {
      const coding = parts[1] ?? 'gzip'
      compressedZeros(coding, Number(url.searchParams.get('size') ?? 100 * 1024 * 1024)).then((body) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-encoding': coding === 'deflate-raw' ? 'deflate' : coding, 'content-length': String(body.length) })
        res.end(body)
      }, error => send(res, 500, { error: String(error) }))
      return
    }
    case 'encoded': {
      const codings = (parts[1] ?? 'gzip').split(',').map(coding => coding.trim())
      let body: Buffer = Buffer.from(encodedText(Number(url.searchParams.get('lines') ?? 1000)))
      for (const coding of codings) body = encode(coding, body)
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': codings.map(coding => (coding === 'deflate-raw' ? 'deflate' : coding)).join(', '), 'content-length': String(body.length) })
      res.end(body)
      return
    }
    case 'cache':
      // httpbin's /cache/:n (Cache-Control: public, max-age=n) when the path is a number and nothing else is asked.
      if (parts.length === 2 && /^\d+$/.test(parts[1]!) && url.search === '') url.searchParams.set('cc', `public, max-age=${parts[1]}`)
      return serveCacheable(req, res, url, parts, state)
    case 'etag': {
      // httpbin's /etag/:etag: the ETag, and 304 for a matching If-None-Match.
      const tag = `"${parts[1] ?? ''}"`
      const inm = req.headers['if-none-match']
      if (inm !== undefined && inm.split(',').map(value => value.trim()).includes(tag)) {
        res.writeHead(304, { etag: tag })
        res.end()
        return
      }
      res.setHeader('etag', tag)
      return send(res, 200, echo(req, url, seen, info))
    }
    case '__key-stats': {
      const key = parts[1] ?? ''
      const stats = state.concurrency.get(key)
      return send(res, 200, { inFlight: stats?.inFlight ?? 0, max: stats?.max ?? 0, hits: state.hits.get(key) ?? 0 })
    }
    default:
      return send(res, 404, { error: 'not found', path })
  }
}

/** A /resumable/:name resource. */
interface Resumable {
  version: number
  /** Whole answers still to break. */
  cuts: number
  requests: Array<{ range: string | null, ifRange: string | null, status: number }>
}

const resumableBodies = new Map<string, Buffer>()

/** The bytes of version `version` of an N-byte resource: every byte depends on its offset and the version. */
function resumableBody(size: number, version: number): Buffer {
  const key = `${size}:${version}`
  let body = resumableBodies.get(key)
  if (!body) {
    body = Buffer.alloc(size)
    for (let i = 0; i < size; i++) body[i] = (i * 131 + (i >>> 9) * 7 + version * 59) & 255
    resumableBodies.clear()
    resumableBodies.set(key, body)
  }
  return body
}

/** `/resumable/:name` (see the module's comment). */
function serveResumable(req: IncomingMessage, res: ServerResponse, url: URL, parts: string[], state: State): void {
  const name = parts[1] ?? ''
  const query = url.searchParams
  const item = state.resumables.get(name) ?? { version: 1, cuts: Number(query.get('cuts') ?? 1), requests: [] }
  state.resumables.set(name, item)
  if (parts[2] === 'stats') return send(res, 200, { version: item.version, requests: item.requests })
  const size = Number(query.get('size') ?? 1_048_576)
  const body = resumableBody(size, item.version)
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes', 'access-control-expose-headers': 'etag, last-modified, accept-ranges, content-range' }
  const etag = query.get('etag') === 'weak' ? `W/"${name}-v${item.version}"` : `"${name}-v${item.version}"`
  if (query.has('etag')) headers.etag = etag
  const modified = new Date(Date.UTC(2026, 0, item.version)).toUTCString()
  if (query.has('lm')) headers['last-modified'] = modified
  const range = req.headers.range ?? null
  const ifRange = (req.headers['if-range'] as string | undefined) ?? null
  const matched = /^bytes=(\d+)-$/.exec(range ?? '')
  const current = ifRange === null || ifRange === headers.etag || ifRange === headers['last-modified']
  if (matched && current && !query.has('ignore')) {
    const start = Number(matched[1]) + (query.has('bad') ? 1 : 0)
    item.requests.push({ range, ifRange, status: 206 })
    res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${size - 1}/${size}`, 'content-length': String(size - start) })
    return answerResumable(req, res, body.subarray(start), item, query)
  }
  item.requests.push({ range, ifRange, status: 200 })
  res.writeHead(200, { ...headers, 'content-length': String(size) })
  answerResumable(req, res, body, item, query)
}

/** Sends `body`, or (while the resource has cuts left) its first `cut` part and then breaks. */
function answerResumable(req: IncomingMessage, res: ServerResponse, body: Buffer, item: Resumable, query: URLSearchParams): void {
  if (item.cuts <= 0) {
    res.end(body)
    return
  }
  item.cuts--
  const cut = Math.floor(body.length * Number(query.get('cut') ?? 0.6))
  res.write(body.subarray(0, cut), () => {
    if (query.has('change')) item.version++
    // Stalled: silent until the client gives up (or 30 s); otherwise the connection breaks.
    if (query.has('stall')) setTimeout(() => req.socket.destroy(), 30_000).unref()
    else setTimeout(() => req.socket.destroy(), 20)
  })
}

/** What /cache/:name counts, per name. */
interface Cacheable {
  /** Answers 503 from now on (`POST /cache/:name/break`). */
  broken?: boolean
  version: number
  /** The Last-Modified of the resource (?lm=1). */
  modified: string
  served: number
  notModified: number
  requests: number
}

/** `/cache/:name` (see the module's comment). */
function serveCacheable(req: IncomingMessage, res: ServerResponse, url: URL, parts: string[], state: State): void {
  const name = parts[1] ?? ''
  // Last-Modified: an hour before the resource was first asked for, whole seconds, the same from then on.
  const item = state.cacheables.get(name) ?? { version: 1, served: 0, notModified: 0, requests: 0, modified: new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000).toUTCString() }
  state.cacheables.set(name, item)
  if (parts[2] === 'stats') return send(res, 200, { served: item.served, notModified: item.notModified, requests: item.requests })
  if (parts[2] === 'break') {
    item.broken = true
    return send(res, 200, { broken: true })
  }
  if (parts[2] === 'bump' || (req.method !== 'GET' && req.method !== 'HEAD')) {
    item.version++
    const target = url.searchParams.get('location') ?? `/cache/${name}`
    res.writeHead(200, { 'content-type': 'application/json', [url.searchParams.get('header') ?? 'content-location']: target })
    res.end(JSON.stringify({ name, version: item.version }))
    return
  }
  item.requests++
  const query = url.searchParams
  const headers: Record<string, string | string[]> = {}
  const cc = query.get('cc')
  if (cc !== null) headers['cache-control'] = cc
  const etag = `"${name}-v${item.version}"`
  if (query.has('etag')) headers.etag = etag
  const modified = item.modified
  if (query.has('lm')) headers['last-modified'] = modified
  if (query.has('vary')) headers.vary = query.get('vary')!
  if (query.has('expires')) headers.expires = new Date(Date.now() + Number(query.get('expires')) * 1000).toUTCString()
  if (query.has('set_cookie')) headers['set-cookie'] = query.getAll('set_cookie')
  headers.date = new Date().toUTCString()
  headers['x-request-count'] = String(item.requests)
  const answer = (): void => {
    if (item.broken) {
      res.writeHead(503, { 'content-type': 'text/plain' })
      res.end('broken')
      return
    }
    const inm = req.headers['if-none-match']
    const ims = req.headers['if-modified-since']
    if ((query.has('etag') && inm !== undefined && inm.split(',').map(tag => tag.trim()).includes(etag)) || (query.has('lm') && !query.has('etag') && ims === modified)) {
      item.notModified++
      res.writeHead(304, headers)
      res.end()
      return
    }
    item.served++
    const status = Number(query.get('status') ?? 200)
    const size = query.get('size')
    if (size !== null) {
      const chunked = query.has('chunked')
      res.writeHead(status, { ...headers, 'content-type': 'application/octet-stream', ...(chunked ? {} : { 'content-length': size }) })
      const bytes = Buffer.alloc(Number(size), 120)
      // ?chunked: no Content-Length, in two writes (the size is only known at the end).
      if (chunked) res.write(bytes.subarray(0, bytes.length >> 1))
      res.end(chunked ? bytes.subarray(bytes.length >> 1) : bytes)
      return
    }
    const cookie = req.headers.cookie ?? null
    const authorization = req.headers.authorization ?? null
    const user = /(?:^|;\s*)user=([^;]*)/.exec(cookie ?? '')?.[1] ?? /^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? null
    res.writeHead(status, { ...headers, 'content-type': 'application/json' })
    res.end(JSON.stringify({ name, version: item.version, served: item.served, cookie, authorization, user }))
  }
  const delay = Number(query.get('delay') ?? 0)
  if (delay > 0) setTimeout(answer, delay)
  else answer()
}

/** The Locations of /stored-redirect, by id (shared by every server of the process). */
const storedLocations = new Map<string, string>()
/** The body of `/encoded/…`: `line 0\n` … `line N-1\n`. */
export function encodedText(lines: number): string {
  let text = ''
  for (let index = 0; index < lines; index++) text += `line ${index}\n`
  return text
}

function encode(coding: string, body: Buffer): Buffer {
  if (coding === 'gzip') return gzipSync(body)
  if (coding === 'deflate') return deflateSync(body)
  if (coding === 'deflate-raw') return deflateRawSync(body)
  if (coding === 'br') return brotliCompressSync(body)
  return body
}

const bombCache = new Map<string, Promise<Buffer>>()

/**
 * `size` zero bytes compressed with `coding`, made from one reused 1 MiB chunk (never `size` bytes
 * in memory) and kept. br at quality 4 with a 16 MB window: 384 MB in about 300 bytes, in 0.3 s.
 */
function compressedZeros(coding: string, size: number): Promise<Buffer> {
  const key = `${coding}:${size}`
  let body = bombCache.get(key)
  if (!body) {
    body = new Promise<Buffer>((resolve, reject) => {
      const encoder = coding === 'br'
        ? createBrotliCompress({ params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4, [zlibConstants.BROTLI_PARAM_LGWIN]: 24, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: size } })
        : coding === 'deflate' ? createDeflate({ level: 9 }) : coding === 'deflate-raw' ? createDeflateRaw({ level: 9 }) : createGzip({ level: 9 })
      const out: Buffer[] = []
      encoder.on('data', (chunk: Buffer) => out.push(chunk))
      encoder.on('end', () => resolve(Buffer.concat(out)))
      encoder.on('error', reject)
      const zeros = Buffer.alloc(Math.min(size, 1024 * 1024))
      let left = size
      const write = (): void => {
        while (left > 0) {
          const chunk = left >= zeros.length ? zeros : zeros.subarray(0, left)
          left -= chunk.length
          if (!encoder.write(chunk)) {
            encoder.once('drain', write)
            return
          }
        }
        encoder.end()
      }
      write()
    })
    bombCache.set(key, body)
  }
  return body
}
