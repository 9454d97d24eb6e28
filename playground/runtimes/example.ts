/**
 * The example every runtime runs: the same code in Node, Deno, Bun, workerd and a browser page,
 * written against the public API only (`fetch-session`, resolved per runtime through the package's
 * export conditions), against the local test server:
 *
 *   npm run play:node | play:deno | play:bun | play:workerd | play:browser
 *
 * It returns (and hands to `print`, as they happen) lines that read the same on every runtime,
 * except where the runtime changes what a session is: in a browser the browser keeps the cookies
 * (sessions send `credentials: 'include'`) and `session.cookies` is `undefined`.
 */
import { createSession, SessionClosedError, TimeoutError } from 'fetch-session'
import type { RetryContext } from 'fetch-session'

/** The runtimes the playground runs the example in. */
export type Runtime = 'node' | 'deno' | 'bun' | 'workerd' | 'browser'

/** Which runtime this is, from its globals (Deno and Bun also define `process`, so they come first). */
export function detectRuntime(): Runtime {
  const scope = globalThis as { Deno?: unknown, Bun?: unknown, navigator?: { userAgent?: string }, document?: unknown }
  if (scope.Deno !== undefined) return 'deno'
  if (scope.Bun !== undefined) return 'bun'
  if (scope.navigator?.userAgent === 'Cloudflare-Workers') return 'workerd'
  if (scope.document !== undefined) return 'browser'
  return 'node'
}

/** What the example needs. */
export interface ExampleOptions {
  /** The test server: `http://127.0.0.1:PORT` (in the browser, the page's own origin). */
  baseURL: string
  /** Called with each line as it happens (the lines are also returned). */
  print?: (line: string) => void
}

/** Runs the example and returns what happened, one line each. */
export async function runExample({ baseURL, print }: ExampleOptions): Promise<string[]> {
  const lines: string[] = []
  const say = (line: string): void => {
    lines.push(line)
    print?.(line)
  }
  const runtime = detectRuntime()
  const browser = runtime === 'browser'
  say(`runtime: ${runtime}`)

  // In a browser the browser owns cookies: a session sends `credentials: 'include'` (said here
  // for the reader; it is the browser adapter's default).
  const session = createSession({ baseURL, timeout: 10_000, ...(browser ? { credentials: 'include' as const } : {}) })
  try {
    // 1. Cookies across a redirect: /cookies/set/… answers 302 with Set-Cookie, then /cookies.
    const hop = await session.raw<{ cookies: Record<string, string> }>('/cookies/set/sessioncookie/123456789')
    // The session follows redirects itself and records each hop; a browser follows them unseen.
    const hops = hop.history?.length ? hop.history.map(({ status }) => `${status} -> `).join('') : hop.redirected ? '(a redirect the browser followed) -> ' : ''
    say(`cookies: GET /cookies/set/sessioncookie/123456789 -> ${hops}${hop.status} ${new URL(hop.url).pathname} ${JSON.stringify(hop._data?.cookies)}`)
    const again = await session.get<{ cookies: Record<string, string> }>('/cookies')
    say(`cookies: GET /cookies -> ${JSON.stringify(again.cookies)} (sent back on a new request)`)
    // The public type says `CookieJar`; it is `undefined` in browsers and with `cookies: false`.
    const jar = session.cookies
    if (browser) {
      const pageCookies = (globalThis as unknown as { document: { cookie: string } }).document.cookie
      say(`cookies: session.cookies is ${String(jar)}: the browser keeps them (credentials: 'include'); document.cookie = ${pageCookies}`)
    }
    else {
      say(`cookies: session.cookies (tough-cookie jar) holds ${jar ? await jar.getCookieString(baseURL) : 'nothing: no jar'}`)
    }

    // 2. Header persistence: `session.headers` is live; what is set applies to every later request.
    session.headers.set('X-Playground', 'fetch-session')
    const first = await session.get<{ headers: Record<string, string> }>('/headers')
    const second = await session.get<{ headers: Record<string, string> }>('/get', { query: { page: 2 } })
    say(`headers: X-Playground set once -> sent ${first.headers['x-playground']} and ${second.headers['x-playground']} on the next two requests`)
    session.headers.delete('X-Playground')
    const third = await session.get<{ headers: Record<string, string> }>('/headers')
    say(`headers: after session.headers.delete -> ${third.headers['x-playground'] ?? 'not sent'}`)

    // 3. A login: POST /api/login (JSON) sets the `sid` cookie and returns a token.
    const { token } = await session.post<{ token: string }>('/api/login', { body: { username: 'user', password: 'pass' } })
    say(`login: POST /api/login -> token ${token.startsWith('tok-') ? 'tok-…' : JSON.stringify(token)}`)
    const page = await session.get<{ user: string, secret: string }>('/protected')
    say(`login: GET /protected (the login cookie) -> ${JSON.stringify(page)}`)
    session.headers.set('Authorization', `Bearer ${token}`)
    const user = await session.get<{ id: number, name: string }>('/api/users/1')
    say(`login: GET /api/users/1 (the Bearer header) -> ${JSON.stringify(user)}`)

    // 4. A retry that honours Retry-After: /flaky/<key>?fail=1 answers 503 (Retry-After: 0) once, then 200.
    const key = `play-${runtime}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
    const retries: string[] = []
    const onRetry = ({ attempt, delay, response }: RetryContext): void => {
      retries.push(`attempt ${attempt} after ${delay} ms (previous: ${response?.status}, Retry-After: ${response?.headers.get('retry-after')})`)
    }
    const flaky = await session.get<{ ok: boolean, attempts: number }>(`/flaky/${key}?fail=1&retry_after=0`, { retry: { limit: 2 }, onRetry })
    say(`retry: GET /flaky/<key>?fail=1&retry_after=0 -> ${retries.join(', ')} -> ok ${flaky.ok} in ${flaky.attempts} attempts`)

    // 5. A deadline that covers the whole call.
    const started = Date.now()
    try {
      await session.get('/delay/2000', { timeout: 200 })
      say('deadline: GET /delay/2000 with timeout 200 -> resolved (unexpected)')
    }
    catch (error) {
      const what = error instanceof TimeoutError ? `TimeoutError (${error.phase}, ${error.timeout} ms)` : `${(error as Error).name} (unexpected)`
      say(`deadline: GET /delay/2000 with timeout 200 -> ${what} after ${Date.now() - started} ms`)
    }
  }
  finally {
    // 6. close(): releases the session's connections; the session refuses later requests.
    await session.close()
  }
  try {
    await session.get('/get')
    say('close: a request after close() -> resolved (unexpected)')
  }
  catch (error) {
    say(`close: session.closed = ${session.closed}; a request after close() -> ${error instanceof SessionClosedError ? 'SessionClosedError' : `${(error as Error).name} (unexpected)`}`)
  }
  return lines
}
