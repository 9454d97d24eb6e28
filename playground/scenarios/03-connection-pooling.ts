/**
 * Article: "2. Connection Pooling" and "Performance Comparison": a Session is faster than
 * "regular requests" because it reuses its connections.
 *
 * "Regular requests" means `requests.get()`: each call builds a Session, sends, and closes it, so
 * every call opens a new TCP connection. Its counterpart here is the same thing: a new session
 * per call, closed after it (`oneShot()`). Then one session asking the server to close after each
 * answer (`Connection: close`): a new connection per call and nothing else new, which isolates what
 * a connection costs. Against both: one session for every call. The server counts the TCP
 * connections it accepted (`server.totalSockets()`), so each row says how many its calls opened.
 *
 * On loopback a TCP handshake costs a fraction of a millisecond, so over plain http the
 * connection count is the lesson. Over https each new connection also costs a TLS handshake
 * (real: a local https server with a certificate made by openssl at start), and the saving shows
 * in the times. Over the Internet each new connection adds one or two round trips on top.
 */
// The Node adapter: a session gets a connection pool of its own (and takes `tls`), as on Deno and Bun.
import { $fetch, createSession } from '../../src/adapters/node'
import type { SessionOptions } from '../../src/adapters/node'
import { startServer } from '../../test/helpers/server'
import type { TestServer } from '../../test/helpers/server'
import { makeCertificates } from '../../test/helpers/tls'
import { check, ms, note, show, step } from '../util'
import type { Context } from '../util'

export const title = 'Connection pooling and the performance comparison'

const REQUESTS = 20

/** What `requests.get()` does: a session for one call, closed after it (its connection with it). */
async function oneShot(url: string, options: SessionOptions): Promise<unknown> {
  const session = createSession(options)
  try {
    return await session(url)
  }
  finally {
    await session.close()
  }
}

interface Measured {
  elapsed: number
  connections: number
}

/** Runs `count` calls one after another; the time they took and the TCP connections the server accepted for them. */
async function measure(server: TestServer, count: number, call: () => Promise<unknown>): Promise<Measured> {
  const before = server.totalSockets()
  const start = performance.now()
  for (let index = 0; index < count; index++) await call()
  return { elapsed: performance.now() - start, connections: server.totalSockets() - before }
}

/** How much longer a call of `slow` took than one of `fast`. */
function perCall(slow: Measured, fast: Measured): string {
  return `${((slow.elapsed - fast.elapsed) / REQUESTS).toFixed(2)} ms`
}

function row(label: string, { elapsed, connections }: Measured): void {
  show(label, `${ms(elapsed).padStart(7)} (${(elapsed / REQUESTS).toFixed(2)} ms a call), ${connections} new TCP connection${connections === 1 ? '' : 's'}`)
}

/** The three ways of sending `REQUESTS` calls to `target`, each with the TCP connections the server accepted for it. */
async function compare(target: TestServer, options: SessionOptions): Promise<{ fresh: Measured, closing: Measured, pooled: Measured }> {
  const url = `${target.url}/get`
  // Two sessions: once a connection of undici's has sent `Connection: close`, its later requests close theirs too.
  const closer = createSession(options)
  const session = createSession(options)
  try {
    const fresh = await measure(target, REQUESTS, () => oneShot(url, options))
    row('a new session per call', fresh)
    const closing = await measure(target, REQUESTS, () => closer(url, { headers: { connection: 'close' } }))
    row('one session, Connection: close', closing)
    const pooled = await measure(target, REQUESTS, () => session(url))
    row('one session', pooled)
    check(fresh.connections === REQUESTS && closing.connections === REQUESTS, `${REQUESTS} new connections for ${REQUESTS} calls without reuse`)
    check(pooled.connections <= 2, 'the session to reuse its connections')
    return { fresh, closing, pooled }
  }
  finally {
    await Promise.all([closer.close(), session.close()])
  }
}

export async function run({ server }: Context): Promise<void> {
  const certificates = makeCertificates()
  const tls = { tls: { ca: certificates.ca } }
  const secure = await startServer({ tls: certificates })
  try {
    // One call of each kind first, so that none of them pays for the JIT warming up.
    await Promise.all([oneShot(`${server.url}/get`, {}), oneShot(`${secure.url}/get`, tls), $fetch(`${server.url}/get`)])
    note('"a new session per call" is what requests.get() does: it builds a Session, sends, closes it, every time;')
    note('"Connection: close" asks the server to close after each answer: a new connection per call, nothing else new')

    step(`${REQUESTS} x GET /get over plain http (loopback)`)
    const plain = await compare(server, {})
    note(`a new connection costs about ${perCall(plain.closing, plain.pooled)} a call here: on loopback a TCP handshake is cheap,`)
    note('so the times are small either way and the connection count is the lesson')

    step(`${REQUESTS} x GET /get over https (a local TLS server; its certificate made by openssl at start)`)
    const secured = await compare(secure, tls)
    check(secured.pooled.elapsed < secured.closing.elapsed, 'one session to be faster than a TLS handshake per call')
    show('one session / Connection: close', `${(secured.pooled.elapsed / secured.closing.elapsed * 100).toFixed(0)}% of the time`)
    note(`a new TLS connection costs about ${perCall(secured.closing, secured.pooled)} a call here: the handshake's CPU, on both ends`)
    note('(client and server share this process); over the Internet add one or two round trips per new connection')
    note('undici may open a second connection: the next call leaves before the first is marked idle (hence 1 or 2)')

    step('and a plain $fetch?')
    const shared = await measure(server, REQUESTS, () => $fetch(`${server.url}/get`))
    row(`${REQUESTS} x $fetch /get`, shared)
    check(shared.connections <= 2, '$fetch to reuse the shared pool')
    note('unlike requests.get(), a plain $fetch reuses the platform\'s shared pool (undici\'s global one on Node; its')
    note('connection is still open from the warm-up call); what a session adds is state (cookies, headers, options)')
    note('and a pool of its own, which close() releases')
  }
  finally {
    await secure.close() // Clean up
  }
}
