/**
 * `NetworkError.code`: one set of codes on every runtime (issue 11, item 5), and the failures
 * that cannot succeed are not retried (item 4).
 *
 * - The table of src/network-errors.ts over the error shapes captured from Node, Deno, Bun and
 *   workerd against local servers (test/fixtures/network-errors/captured.json, made by
 *   capture-all.ts there), rebuilt as error objects: DNS and connect-timeout shapes of every
 *   runtime are covered here as captured. A few shapes this machine cannot produce are constructed,
 *   and say so.
 * - On Node, real failures against real local servers: codes, messages without credentials, and
 *   how many handshakes / CONNECTs the server or proxy saw. (Deno and Bun: the conformance area
 *   test/conformance/areas/network-errors.ts.)
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { Agent, fetch as undiciFetch } from 'undici'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSession, NETWORK_ERROR_CODES, NetworkError } from '../../src/adapters/node'
import type { NetworkErrorCode, SessionOptions } from '../../src/adapters/node'
import { classifyNetworkError, isNetworkError } from '../../src/network-errors'
import { startBacklogServer } from '../fixtures/network-errors/backlog'
import type { BacklogServer } from '../fixtures/network-errors/backlog'
import { makeBadCertificates } from '../fixtures/network-errors/bad-certificates'
import type { CapturedCase, CapturedLevel } from '../fixtures/network-errors/capture'
import { closedPort as findClosedPort } from '../helpers/ports'
import { startProxy } from '../helpers/proxy'
import type { TestProxy } from '../helpers/proxy'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { makeCertificates } from '../helpers/tls'

/** Rebuilds a captured chain (outermost first) as real error objects. */
function rebuild(chain: CapturedLevel[]): unknown {
  let error: unknown
  for (const level of [...chain].reverse()) {
    const Type = level.type === 'TypeError' ? TypeError : Error
    const made = new Type(level.message, error === undefined ? undefined : { cause: error }) as Error & Record<string, unknown>
    if (level.name && level.name !== made.name) Object.defineProperty(made, 'name', { value: level.name })
    if (level.code !== undefined) made.code = level.code
    error = made
  }
  return error
}

const captured = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/network-errors/captured.json'), 'utf8')) as Record<string, CapturedCase[]>

/** The code each captured case must get, the same on Node, Deno and Bun except where noted. */
const EXPECTED: Record<string, NetworkErrorCode> = {
  'refused': 'ECONNREFUSED',
  'refused-stateless': 'ECONNREFUSED',
  'refused-stream': 'ECONNREFUSED',
  'reset': 'ECONNRESET',
  'reset-stateless': 'ECONNRESET',
  'reset-mid-body': 'ECONNRESET',
  'dns': 'ENOTFOUND',
  'dns-stateless': 'ENOTFOUND',
  'unknown-ca': 'ERR_TLS_CERT_INVALID',
  'unknown-ca-stateless': 'ERR_TLS_CERT_INVALID',
  'self-signed': 'ERR_TLS_CERT_INVALID',
  'expired': 'ERR_TLS_CERT_INVALID',
  'wrong-host': 'ERR_TLS_CERT_INVALID',
  'tls-to-plain-http': 'ERR_TLS_HANDSHAKE',
  'client-cert-required': 'ERR_TLS_HANDSHAKE',
  'proxy-407': 'ERR_PROXY_AUTH_REQUIRED',
  'proxy-407-wrong-password': 'ERR_PROXY_AUTH_REQUIRED',
  // Node tunnels plain-http URLs too (until issue 11 item 1); Deno and Bun get an ordinary 407 response.
  'proxy-407-http-target': 'ERR_PROXY_AUTH_REQUIRED',
  'proxy-403': 'ERR_PROXY_TUNNEL',
  'proxy-502-unreachable-host': 'ERR_PROXY_TUNNEL',
  'proxy-refused': 'ECONNREFUSED',
  // Node only: undici's 10 s connect timeout. Deno and Bun have none; the session's deadline fired (a TimeoutError).
  'connect-timeout': 'ETIMEDOUT',
}

/** Where a runtime reports a kind as another, because it cannot tell them apart. */
const EXCEPTIONS: Record<string, Record<string, NetworkErrorCode>> = {
  // TLS 1.3: the server refuses the client certificate after the client finished its handshake; undici sees a closed socket.
  node: { 'client-cert-required': 'ECONNRESET' },
  // workerd says "Network connection lost." for a refused and a reset connection, "internal error; reference = …" for DNS and TLS.
  workerd: {
    'refused': 'ECONNRESET',
    'refused-stateless': 'ECONNRESET',
    'dns': 'ERR_NETWORK',
    'dns-stateless': 'ERR_NETWORK',
    'unknown-ca': 'ERR_NETWORK',
    'unknown-ca-stateless': 'ERR_NETWORK',
    'self-signed': 'ERR_NETWORK',
    'tls-to-plain-http': 'ERR_NETWORK',
  },
}

describe('the table, over the shapes captured on each runtime', () => {
  it('has captures of Node, Deno, Bun and workerd', () => {
    expect(Object.keys(captured).sort()).toEqual(['bun', 'deno', 'node', 'workerd'])
  })

  for (const [runtime, cases] of Object.entries(captured)) {
    it(`${runtime}: every captured network error gets its code`, () => {
      const seen: Record<string, string> = {}
      const wanted: Record<string, string> = {}
      for (const item of cases) {
        if (item.error?.name !== 'NetworkError') continue
        const error = rebuild(item.chain)
        expect([item.label, isNetworkError(error)]).toEqual([item.label, true])
        seen[item.label] = classifyNetworkError(error).code
        wanted[item.label] = EXCEPTIONS[runtime]?.[item.label] ?? EXPECTED[item.label]!
      }
      expect(seen).toEqual(wanted)
    })
  }

  it('covers DNS failures and connect timeouts as captured (the real ones are below, on Node)', () => {
    const dns = ['node', 'deno', 'bun'].map(runtime => captured[runtime]!.find(item => item.label === 'dns')!)
    expect(dns.map(item => classifyNetworkError(rebuild(item.chain)).code)).toEqual(['ENOTFOUND', 'ENOTFOUND', 'ENOTFOUND'])
    const timeout = captured.node!.find(item => item.label === 'connect-timeout')!
    expect(classifyNetworkError(rebuild(timeout.chain))).toMatchObject({ code: 'ETIMEDOUT', runtimeCode: 'UND_ERR_CONNECT_TIMEOUT' })
  })

  it('keeps the runtime\'s own code as runtimeCode (none on Deno)', () => {
    const of = (runtime: string, label: string): string | undefined => classifyNetworkError(rebuild(captured[runtime]!.find(item => item.label === label)!.chain)).runtimeCode
    expect(of('node', 'unknown-ca')).toBe('SELF_SIGNED_CERT_IN_CHAIN')
    expect(of('node', 'proxy-407')).toBe('UND_ERR_ABORTED')
    expect(of('node', 'reset-mid-body')).toBe('UND_ERR_SOCKET')
    expect(of('bun', 'expired')).toBe('CERT_HAS_EXPIRED')
    expect(of('bun', 'proxy-403')).toBe('ERR_PROXY_TUNNEL')
    expect(of('deno', 'unknown-ca')).toBeUndefined()
  })

  // Constructed, not captured: shapes this machine cannot produce (other browsers, other Bun
  // versions, a resolver that fails, a connect timeout from Deno's OS), written from the runtimes'
  // sources and ky's `is-network-error`.
  it.each([
    ['Chromium', new TypeError('Failed to fetch'), 'ERR_NETWORK'],
    ['Chromium, naming the host', new TypeError('Failed to fetch (example.com)'), 'ERR_NETWORK'],
    ['Firefox', new TypeError('NetworkError when attempting to fetch resource.'), 'ERR_NETWORK'],
    ['Safari', new TypeError('Load failed'), 'ERR_NETWORK'],
    ['Bun < 1.1, refused', Object.assign(new TypeError('Unable to connect. Is the computer able to access the url?'), { code: 'ConnectionRefused' }), 'ECONNREFUSED'],
    ['Bun < 1.1, closed', Object.assign(new TypeError('The socket connection was closed unexpectedly.'), { code: 'ConnectionClosed' }), 'ECONNRESET'],
    ['Bun, leaf not verified', Object.assign(new TypeError('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), 'ERR_TLS_CERT_INVALID'],
    ['Node, resolver failed', new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo EAI_AGAIN example.test'), { code: 'EAI_AGAIN' }) }), 'ENOTFOUND'],
    ['Node, no route', new TypeError('fetch failed', { cause: Object.assign(new Error('connect EHOSTUNREACH 10.0.0.1:80'), { code: 'EHOSTUNREACH' }) }), 'ERR_NETWORK'],
    ['Deno, OS connect timeout', new TypeError('fetch failed', { cause: new Error('error sending request for url (http://10.0.0.1/): client error (Connect): tcp connect error: Connection timed out (os error 110)') }), 'ETIMEDOUT'],
    ['Deno, resolver failed', new TypeError('fetch failed', { cause: new Error('error sending request for url (http://a.test/): client error (Connect): dns error: failed to lookup address information: Temporary failure in name resolution') }), 'ENOTFOUND'],
    ['Deno, reset', new TypeError('fetch failed', { cause: new Error('error sending request for url (http://a.test/): client error (SendRequest): connection error: Connection reset by peer (os error 104)') }), 'ECONNRESET'],
    ['an unknown code', new TypeError('fetch failed', { cause: Object.assign(new Error('something new'), { code: 'E_SOMETHING_NEW' }) }), 'ERR_NETWORK'],
  ] as const)('constructed: %s', (_, error, code) => {
    expect(isNetworkError(error)).toBe(true)
    expect(classifyNetworkError(error).code).toBe(code)
  })

  it('NETWORK_ERROR_CODES is frozen and maps each name to itself', () => {
    expect(Object.isFrozen(NETWORK_ERROR_CODES)).toBe(true)
    expect(Object.entries(NETWORK_ERROR_CODES).every(([name, value]) => name === value)).toBe(true)
    expect(Object.keys(NETWORK_ERROR_CODES)).toEqual([
      'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'ERR_TLS_CERT_INVALID', 'ERR_TLS_HANDSHAKE',
      'ERR_PROXY_AUTH_REQUIRED', 'ERR_PROXY_TUNNEL', 'ERR_NETWORK',
    ])
  })
})

let server: TestServer
let secure: TestServer
let expired: TestServer
let wrongHost: TestServer
let authProxy: TestProxy
let denyProxy: TestProxy
let backlog: BacklogServer
let closedPort: number
let ca: string
let badCA: string
/** TCP connections each TLS server accepted: one per handshake, the failed ones too. */
const handshakes = new Map<TestServer, number>()

beforeAll(async () => {
  const certificates = makeCertificates()
  const bad = makeBadCertificates()
  ca = certificates.ca
  badCA = bad.ca
  ;[server, secure, expired, wrongHost, authProxy, denyProxy, backlog, closedPort] = await Promise.all([
    startServer(),
    startServer({ tls: certificates }),
    startServer({ tls: bad.expired }),
    startServer({ tls: bad.wrongHost }),
    startProxy({ auth: 'user:secret' }),
    startProxy({ connectStatus: 403 }),
    startBacklogServer(),
    findClosedPort(),
  ])
  for (const tlsServer of [secure, expired, wrongHost]) {
    handshakes.set(tlsServer, 0)
    tlsServer.server.on('connection', () => handshakes.set(tlsServer, handshakes.get(tlsServer)! + 1))
  }
})
afterAll(async () => {
  backlog.close()
  await Promise.all([server, secure, expired, wrongHost, authProxy, denyProxy].map(item => item.close()))
})
beforeEach(() => {
  for (const key of handshakes.keys()) handshakes.set(key, 0)
  authProxy.reset()
  denyProxy.reset()
})

async function failure(url: string, options: SessionOptions = {}): Promise<NetworkError> {
  const session = createSession({ retry: false, ...options })
  try {
    await session(url)
  }
  catch (error) {
    return error as NetworkError
  }
  finally {
    await session.close()
  }
  throw new Error(`${url} did not fail`)
}

describe('on Node, against real servers: one code per kind, and a message that says it', () => {
  it('connection refused', async () => {
    const error = await failure(`http://127.0.0.1:${closedPort}/x`)
    expect(error).toBeInstanceOf(NetworkError)
    expect(error.code).toBe('ECONNREFUSED')
    expect(error.runtimeCode).toBe('ECONNREFUSED')
    expect(error.message).toBe(`[GET] "http://127.0.0.1:${closedPort}/x": network error (ECONNREFUSED): connection refused (connect ECONNREFUSED 127.0.0.1:${closedPort})`)
    expect((error.cause as Error).message).toBe('fetch failed')
  })

  it('connection reset, before the response and during the body', async () => {
    const before = await failure(`${server.url}/reset`)
    expect([before.code, before.runtimeCode]).toEqual(['ECONNRESET', 'UND_ERR_SOCKET'])
    expect(before.message).toBe(`[GET] "${server.url}/reset": network error (ECONNRESET): connection reset or closed before the response was complete (other side closed)`)
    const during = await failure(`${server.url}/reset-mid-body`)
    expect([during.code, during.runtimeCode]).toEqual(['ECONNRESET', 'UND_ERR_SOCKET'])
  })

  it('DNS failure (a name under .invalid, which the resolver here answers at once)', async () => {
    const started = Date.now()
    const error = await failure('http://fetch-session-test.invalid/')
    expect([error.code, error.runtimeCode]).toEqual(['ENOTFOUND', 'ENOTFOUND'])
    expect(error.message).toBe('[GET] "http://fetch-session-test.invalid/": network error (ENOTFOUND): host name not found (getaddrinfo ENOTFOUND fetch-session-test.invalid)')
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('connect timeout (a loopback listener whose accept queue is full; undici\'s own connect timeout, shortened)', async () => {
    const agent = new Agent({ connect: { timeout: 200 } })
    const error = await failure(`http://127.0.0.1:${backlog.port}/`, {
      fetch: (input, init) => undiciFetch(input as string, { ...init, dispatcher: agent } as never) as unknown as Promise<Response>,
    })
    await agent.close()
    expect([error.code, error.runtimeCode]).toEqual(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT'])
    expect(error.message).toMatch(/: network error \(ETIMEDOUT\): timed out \(Connect Timeout Error/)
  })

  it('certificates: unknown CA, expired, another host name', async () => {
    const unknown = await failure(`${secure.url}/get`)
    expect([unknown.code, unknown.runtimeCode]).toEqual(['ERR_TLS_CERT_INVALID', 'SELF_SIGNED_CERT_IN_CHAIN'])
    expect(unknown.message).toBe(`[GET] "${secure.url}/get": network error (ERR_TLS_CERT_INVALID): TLS certificate rejected (self-signed certificate in certificate chain)`)
    const old = await failure(`${expired.url}/get`, { tls: { ca: badCA } })
    expect([old.code, old.runtimeCode]).toEqual(['ERR_TLS_CERT_INVALID', 'CERT_HAS_EXPIRED'])
    const other = await failure(`${wrongHost.url}/get`, { tls: { ca: badCA } })
    expect([other.code, other.runtimeCode]).toEqual(['ERR_TLS_CERT_INVALID', 'ERR_TLS_CERT_ALTNAME_INVALID'])
  })

  it('another TLS handshake failure: https to a plain-http port', async () => {
    const error = await failure(`${server.url.replace('http:', 'https:')}/get`)
    expect([error.code, error.runtimeCode]).toEqual(['ERR_TLS_HANDSHAKE', 'ERR_SSL_WRONG_VERSION_NUMBER'])
    expect(error.message).toMatch(/: network error \(ERR_TLS_HANDSHAKE\): TLS handshake failed \(wrong version number\)$/)
  })

  it('a proxy\'s 407 to CONNECT is ERR_PROXY_AUTH_REQUIRED (not UND_ERR_ABORTED, which reads like a caller abort)', async () => {
    const error = await failure(`${secure.url}/get`, { proxy: authProxy.url, tls: { ca } })
    expect([error.code, error.runtimeCode]).toEqual(['ERR_PROXY_AUTH_REQUIRED', 'UND_ERR_ABORTED'])
    expect(error.message).toBe(`[GET] "${secure.url}/get": network error (ERR_PROXY_AUTH_REQUIRED): the proxy requires authentication (Proxy response (407) !== 200 when HTTP Tunneling)`)
  })

  it('a proxy that answers CONNECT with 403 (squid) is ERR_PROXY_TUNNEL', async () => {
    const error = await failure(`${secure.url}/get`, { proxy: denyProxy.url, tls: { ca } })
    expect([error.code, error.runtimeCode]).toEqual(['ERR_PROXY_TUNNEL', 'UND_ERR_ABORTED'])
    expect(error.message).toMatch(/: network error \(ERR_PROXY_TUNNEL\): the proxy refused the tunnel \(Proxy response \(403\)/)
  })

  it('never prints the proxy\'s credentials (message, stack, inspect, JSON)', async () => {
    const error = await failure(`${secure.url}/get?token=abc`, { proxy: authProxy.url.replace('http://', 'http://user:wrong-password@'), tls: { ca } })
    expect(error.code).toBe('ERR_PROXY_AUTH_REQUIRED')
    for (const text of [error.message, String(error.stack), inspect(error, { depth: 5 }), JSON.stringify(error)]) {
      expect(text).not.toContain('wrong-password')
      expect(text).not.toContain('token=abc')
    }
    expect(authProxy.stats.refused).toBe(1)
  })
})

describe('what cannot succeed is not retried by default (on Node; Deno and Bun: the conformance area)', () => {
  const retryFast = { delay: 1 } as const

  it('a certificate error: one handshake, not three', async () => {
    for (const [target, tls] of [[secure, undefined], [expired, { ca: badCA }], [wrongHost, { ca: badCA }]] as const) {
      const error = await failure(`${target.url}/get`, { retry: retryFast, ...(tls ? { tls } : {}) })
      expect(error.code).toBe('ERR_TLS_CERT_INVALID')
      expect(handshakes.get(target)).toBe(1)
    }
  })

  it('a proxy\'s 407: one CONNECT, not three (three wrong passwords can lock an account)', async () => {
    const error = await failure(`${secure.url}/get`, { retry: retryFast, proxy: authProxy.url.replace('http://', 'http://user:wrong@'), tls: { ca } })
    expect(error.code).toBe('ERR_PROXY_AUTH_REQUIRED')
    expect(authProxy.stats.refused).toBe(1)
  })

  it('another TLS handshake failure: one attempt', async () => {
    const before = server.totalSockets()
    const error = await failure(`${server.url.replace('http:', 'https:')}/get`, { retry: retryFast })
    expect(error.code).toBe('ERR_TLS_HANDSHAKE')
    expect(server.totalSockets() - before).toBe(1)
  })

  it('shouldRetry returning true still retries them (the escape hatch), and sees retry: false', async () => {
    const decisions: boolean[] = []
    const shouldRetry = ({ retry }: { retry: boolean }): boolean => {
      decisions.push(retry)
      return true
    }
    await failure(`${secure.url}/get`, { retry: { ...retryFast, shouldRetry } })
    expect(handshakes.get(secure)).toBe(3)
    await failure(`${secure.url}/get`, { retry: { ...retryFast, shouldRetry }, proxy: authProxy.url, tls: { ca } })
    expect(authProxy.stats.refused).toBe(3)
    expect(decisions).toEqual([false, false, false, false])
  })

  it('what may succeed is still retried: refused, and a proxy that refused the tunnel', async () => {
    const retries: string[] = []
    const onRetry = [({ error }: { error: Error }): void => void retries.push((error as NetworkError).code)]
    await failure(`http://127.0.0.1:${closedPort}/`, { retry: retryFast, onRetry })
    await failure(`${secure.url}/get`, { retry: retryFast, proxy: denyProxy.url, tls: { ca }, onRetry })
    expect(retries).toEqual(['ECONNREFUSED', 'ECONNREFUSED', 'ERR_PROXY_TUNNEL', 'ERR_PROXY_TUNNEL'])
    expect(denyProxy.stats.denied).toBe(3)
  })
})
