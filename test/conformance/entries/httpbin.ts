/**
 * Entry for the interop suite against the real httpbin (test/interop/httpbin.test.ts), bundled
 * with the built package for Node, Deno and Bun: `<runtime> httpbin.mjs '{"base":"http://127.0.0.1:PORT"}'`
 * runs every scenario in order and prints one line of JSON, `{ [scenario]: observation }`.
 *
 * test/interop/httpbin-requests.py runs the same scenarios with Python requests and prints the
 * same shapes, so the test can compare what httpbin echoed to each client. An observation is
 * what a user sees (statuses, URLs, redirect hops, the echoed body); a scenario that throws
 * unexpectedly is recorded as `{ failed: 'Name: message' }`.
 */
import { $fetch, createSession } from 'fetch-session'
import type { FetchResponse, Session } from 'fetch-session'

const runtime = globalThis as { Deno?: { args: string[], exit: (code: number) => never }, process?: { argv: string[], exit: (code: number) => never } }
const args = runtime.Deno ? runtime.Deno.args : runtime.process!.argv.slice(2)
const { base } = JSON.parse(args[0]!) as { base: string }

type Json = any
const observations: Record<string, unknown> = {}
const sessions: Session[] = []

function open(options: Parameters<typeof createSession>[0] = {}): Session {
  const session = createSession({ baseURL: base, ...options })
  sessions.push(session)
  return session
}

/** Status, final URL and redirect hops of a response, as requests' `r.status_code`, `r.url`, `r.history` give them. */
function summary(response: FetchResponse<Json>): { status: number, url: string, hops: Array<{ status: number, url: string }> } {
  return { status: response.status, url: response.url, hops: (response.history ?? []).map(hop => ({ status: hop.status, url: hop.url })) }
}

/** The parsed JSON body, or `null` for another kind (httpbin's HTML error pages). */
function jsonBody(response: FetchResponse<Json>): Json {
  return response.headers.get('content-type')?.startsWith('application/json') ? response._data : null
}

/** What a rejection looks like to a user: the error's name, and the status for an HTTPError. */
async function rejection(call: () => Promise<unknown>): Promise<{ name: string, status?: number, phase?: string, elapsed: number }> {
  const start = Date.now()
  try {
    await call()
  }
  catch (error) {
    const { name, status, phase } = error as Error & { status?: number, phase?: string }
    return { name, status, phase, elapsed: Date.now() - start }
  }
  throw new Error('expected the call to reject, but it resolved')
}

async function sha256(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
  return Array.from(digest, byte => byte.toString(16).padStart(2, '0')).join('')
}

const scenarios: Record<string, () => Promise<unknown>> = {
  // A Set-Cookie on a 302 hop is stored and sent on the hop after it, and on later requests.
  'cookies set on a redirect hop': async () => {
    const session = open()
    const first = await session.raw<Json>('/cookies/set?alpha=1&beta=two')
    const again = await session<Json>('/cookies')
    return { ...summary(first), cookies: first._data.cookies, again: again.cookies }
  },

  // The session's cookies go along every hop of httpbin's redirect chains.
  'redirect chains carry the cookies': async () => {
    const session = open()
    await session('/cookies/set?chain=1')
    const chains: Record<string, unknown> = {}
    for (const path of ['/redirect/3', '/relative-redirect/2', '/absolute-redirect/2']) {
      const response = await session.raw<Json>(path)
      chains[path] = { ...summary(response), cookie: response._data.headers.Cookie ?? null }
    }
    // A cookie set on the second hop of a chain.
    const late = await session.raw<Json>(`/redirect-to?url=${encodeURIComponent('/cookies/set?late=2')}`)
    chains.late = { ...summary(late), cookies: late._data.cookies }
    return chains
  },

  'cookies/delete': async () => {
    const session = open()
    await session('/cookies/set?a=1&b=2')
    const deleted = await session.raw<Json>('/cookies/delete?a')
    return { ...summary(deleted), cookies: deleted._data.cookies, again: (await session<Json>('/cookies')).cookies }
  },

  // Default headers persist; a request's own value overrides them for that request only, whatever its case.
  'default headers and per-request override': async () => {
    const session = open({ headers: { 'X-Default': 'session', 'User-Agent': 'interop/1' } })
    const seen = async (headers?: Record<string, string>): Promise<[string | null, string | null]> => {
      const echoed = (await session<Json>('/headers', { headers })).headers
      return [echoed['X-Default'] ?? null, echoed['User-Agent'] ?? null]
    }
    return [await seen(), await seen({ 'X-Default': 'request' }), await seen({ 'x-default': 'lower case' }), await seen()]
  },

  'basic auth': async () => {
    const right = open({ auth: { username: 'u', password: 'p' } })
    const wrong = open({ auth: { username: 'u', password: 'wrong' } })
    const ok = await right.raw<Json>('/basic-auth/u/p')
    return { right: { status: ok.status, body: ok._data }, wrong: await rejection(() => wrong('/basic-auth/u/p')) }
  },

  'digest auth': async () => {
    const results: Record<string, unknown> = {}
    // A session each: httpbin answers a digest reused across its endpoints with a 500 (requests' too).
    for (const path of ['/digest-auth/auth/u/p/MD5', '/digest-auth/auth/u/p/SHA-256', '/digest-auth/auth/u/p/MD5?require-cookie=1']) {
      const response = await open({ auth: { username: 'u', password: 'p', type: 'digest' }, ignoreResponseError: true, retry: false }).raw<Json>(path)
      results[path] = { status: response.status, body: jsonBody(response) }
    }
    return results
  },

  // Without a session: the cookie httpbin sets on the 401 challenge must come back with the
  // answer to it (issue 11, item 16; requests does this in HTTPDigestAuth.handle_401).
  'digest auth, stateless, with the challenge\'s cookie': async () => {
    const response = await $fetch.raw<Json>(`${base}/digest-auth/auth/u/p/MD5?require-cookie=1`, { auth: { username: 'u', password: 'p', type: 'digest' }, ignoreResponseError: true, retry: false })
    return { status: response.status, body: jsonBody(response) }
  },

  'content encodings': async () => {
    const session = open()
    const results: Record<string, unknown> = {}
    for (const [path, flag] of [['/gzip', 'gzipped'], ['/deflate', 'deflated'], ['/brotli', 'brotli']] as const) {
      const response = await session.raw<Json>(path)
      results[path] = { status: response.status, [flag]: response._data[flag], method: response._data.method }
    }
    // httpbin encodes whatever the client asked for; what this runtime's fetch asks for.
    results.acceptEncoding = (await session<Json>('/headers')).headers['Accept-Encoding']
    return results
  },

  // 503 is retried (twice here, without waiting), then the 503 is the answer.
  '503 retried': async () => {
    let retries = 0
    const session = open({ retry: { limit: 2, delay: 0 }, onRetry: () => void retries++ })
    const error = await rejection(() => session('/status/503'))
    return { attempts: retries + 1, status: error.status, error: error.name }
  },

  'redirect-to 307 and 303 with a body': async () => {
    const session = open()
    const results: Record<string, unknown> = {}
    for (const status of [307, 303]) {
      const response = await session.raw<Json>(`/redirect-to?url=/anything&status_code=${status}`, { method: 'POST', body: { a: 1, s: 'x' } })
      results[status] = { ...summary(response), method: response._data.method, json: response._data.json, bodySent: response._data.data !== '' }
    }
    return results
  },

  'response-headers Set-Cookie': async () => {
    const session = open()
    const response = await session.raw<Json>('/response-headers?Set-Cookie=k1%3Dv1&Set-Cookie=k2%3Dv2%3B%20Path%3D%2F')
    return { status: response.status, setCookie: response.headers.getSetCookie(), cookies: (await session<Json>('/cookies')).cookies }
  },

  'anything: query, form and JSON': async () => {
    const session = open()
    const query = await session<Json>('/anything', { query: { a: '1', list: ['x', 'y'], text: 'é & = ?' } })
    const form = await session<Json>('/anything', { method: 'POST', body: new URLSearchParams({ name: 'fetch session', symbols: 'é&=+' }) })
    const json = await session<Json>('/anything', { method: 'POST', body: { n: 1, s: 'é', nested: { ok: true }, list: [1, 2] } })
    return {
      query: { method: query.method, args: query.args },
      form: { method: form.method, form: form.form, contentType: form.headers['Content-Type'] },
      json: { method: json.method, json: json.json, contentType: json.headers['Content-Type'] },
    }
  },

  'stream/20': async () => {
    const session = open()
    const text = await session('/stream/20', { responseType: 'text' })
    const lines = text.split('\n').filter(Boolean).map(line => JSON.parse(line) as { id: number, url: string })
    return { lines: lines.length, ids: lines.map(line => line.id), url: lines[0]!.url }
  },

  'bytes with a seed': async () => {
    const session = open()
    const bytes = await session('/bytes/4096?seed=7', { responseType: 'arrayBuffer' })
    return { length: bytes.byteLength, sha256: await sha256(bytes) }
  },

  // A quick drip read whole; then 5 bytes over 2 s, one every 0.4 s, against a 600 ms deadline.
  'drip with a timeout': async () => {
    const session = open({ retry: false })
    const whole = await session('/drip?duration=0.4&numbytes=4', { responseType: 'arrayBuffer' })
    const start = Date.now()
    let length: number | undefined
    let error: Awaited<ReturnType<typeof rejection>> | undefined
    try {
      length = (await session('/drip?duration=2&numbytes=5', { responseType: 'arrayBuffer', timeout: 600 })).byteLength
    }
    catch (caught) {
      const { name, phase } = caught as Error & { phase?: string }
      error = { name, phase, elapsed: Date.now() - start }
    }
    return { whole: whole.byteLength, slow: { length, error, elapsed: Date.now() - start } }
  },

  'delay with a deadline': async () => {
    const session = open({ retry: false })
    const error = await rejection(() => session('/delay/3', { timeout: 500 }))
    return { timedOut: error.name === 'TimeoutError', name: error.name, phase: error.phase, elapsed: error.elapsed }
  },
}

for (const [name, scenario] of Object.entries(scenarios)) {
  try {
    observations[name] = await scenario()
  }
  catch (error) {
    observations[name] = { failed: `${(error as Error).name}: ${(error as Error).message}` }
  }
}
await Promise.all(sessions.map(session => session.close()))
console.log(JSON.stringify(observations))
if (runtime.Deno) runtime.Deno.exit(0)
else runtime.process!.exit(0)
