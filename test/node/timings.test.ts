/**
 * `response.timings` on Node (issue 16 item 3), against real servers: https with a certificate
 * made by openssl (test/helpers/tls.ts) and plain http. A new connection reports its DNS lookup
 * (for a host name; none for an IP literal), TCP connect and TLS handshake, with `reused: false`;
 * a request on a kept-alive connection reports `reused: true` and no connection phases. The
 * timings go through the session's layers (body watch, limiter, redirects), are the last hop's
 * after a redirect, and are absent on a cache hit.
 */
import { Agent } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession } from '../../src/adapters/node'
import type { Session, Timings } from '../../src/index'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { makeCertificates } from '../helpers/tls'
import type { TestCertificates } from '../helpers/tls'

let certificates: TestCertificates
let secure: TestServer
let plain: TestServer

beforeAll(async () => {
  certificates = makeCertificates()
  secure = await startServer({ tls: { cert: certificates.cert, key: certificates.key } })
  plain = await startServer()
})
afterAll(async () => {
  await secure.close()
  await plain.close()
})

/** The timings of a call's response (failing the test when absent). */
async function timingsOf(session: Session, url: string, options?: Record<string, unknown>): Promise<Timings> {
  const response = await session.raw(url, options)
  expect(response.timings, `timings of ${url}`).toBeDefined()
  return response.timings!
}

/** The points of `timings` that are present, in the order they happen. */
function points(timings: Timings): number[] {
  return [timings.lookup, timings.connect, timings.secureConnect, timings.response, timings.end].filter(point => point !== undefined)
}

/** Each point after the one before it (none before the start), and the phases their differences. */
function expectConsistent(timings: Timings): void {
  const marks = points(timings)
  expect(marks[0]).toBeGreaterThanOrEqual(0)
  for (let index = 1; index < marks.length; index++) expect(marks[index]).toBeGreaterThanOrEqual(marks[index - 1]!)
  const { phases } = timings
  if (timings.connect !== undefined && timings.secureConnect !== undefined) expect(phases.tls).toBeCloseTo(timings.secureConnect - timings.connect, 6)
  if (timings.lookup !== undefined && timings.connect !== undefined) expect(phases.tcp).toBeCloseTo(timings.connect - timings.lookup, 6)
  expect(phases.download).toBeCloseTo(timings.end! - timings.response!, 6)
  expect(phases.total).toBe(timings.end)
  const ready = timings.secureConnect ?? timings.connect ?? 0
  expect(phases.request).toBeCloseTo(timings.response! - ready, 6)
}

describe('response.timings on Node', () => {
  it('a new https connection reports lookup, connect, TLS, response and end in order, reused: false; the next call reused: true and no connection phases', async () => {
    // One connection, so that the second call waits for it (undici opens a second one for a call
    // made while the first connection is still being checked as idle).
    await using session = createSession({ tls: { ca: certificates.ca }, pool: { connections: 1 } })
    const before = performance.now()
    const first = await timingsOf(session, `${secure.altUrl}/get`)
    expect(first.start).toBeGreaterThanOrEqual(before)
    expect(first.reused).toBe(false)
    for (const point of ['lookup', 'connect', 'secureConnect', 'response', 'end'] as const) expect(first[point], point).toBeTypeOf('number')
    expect(first.lookup!).toBeGreaterThanOrEqual(0)
    expect(first.connect!).toBeGreaterThan(first.lookup!)
    expect(first.secureConnect!).toBeGreaterThan(first.connect!)
    expect(first.response!).toBeGreaterThan(first.secureConnect!)
    expect(first.end!).toBeGreaterThanOrEqual(first.response!)
    for (const phase of ['dns', 'tcp', 'tls', 'request', 'download', 'total'] as const) expect(first.phases[phase], phase).toBeGreaterThanOrEqual(0)
    expectConsistent(first)

    const second = await timingsOf(session, `${secure.altUrl}/get`)
    expect(second.reused).toBe(true)
    expect(second.lookup).toBeUndefined()
    expect(second.connect).toBeUndefined()
    expect(second.secureConnect).toBeUndefined()
    expect(second.phases.dns).toBeUndefined()
    expect(second.phases.tls).toBeUndefined()
    expect(second.start).toBeGreaterThan(first.start + first.end!)
    expectConsistent(second)
    expect(secure.totalSockets()).toBeGreaterThanOrEqual(1)
  })

  it('every connection the server accepted is reported once as reused: false, the other calls reused: true', async () => {
    await using session = createSession({ tls: { ca: certificates.ca } })
    const server = await startServer({ tls: { cert: certificates.cert, key: certificates.key } })
    try {
      const all: Timings[] = []
      for (let index = 0; index < 6; index++) all.push(await timingsOf(session, `${server.url}/get`))
      await Promise.all([1, 2, 3].map(async () => all.push(await timingsOf(session, `${server.url}/delay/20`))))
      const fresh = all.filter(timings => timings.reused === false)
      expect(fresh.length).toBe(server.totalSockets())
      expect(all.filter(timings => timings.reused === true).length).toBe(all.length - fresh.length)
      for (const timings of fresh) {
        expect(timings.connect).toBeTypeOf('number')
        expect(timings.secureConnect).toBeTypeOf('number')
      }
      for (const timings of all) expectConsistent(timings)
    }
    finally {
      await server.close()
    }
  })

  it('plain http to an IP address: connect but no lookup (nothing to resolve) and no secureConnect', async () => {
    await using session = createSession({ pool: { connections: 1 } })
    const first = await timingsOf(session, `${plain.url}/get`)
    expect(first.reused).toBe(false)
    expect(first.lookup).toBeUndefined()
    expect(first.phases.dns).toBeUndefined()
    expect(first.connect).toBeTypeOf('number')
    expect(first.secureConnect).toBeUndefined()
    expect(first.phases.tls).toBeUndefined()
    expectConsistent(first)
    const named = await timingsOf(session, `${plain.altUrl}/get`)
    expect(named.reused).toBe(false)
    expect(named.lookup).toBeTypeOf('number')
    expect(named.secureConnect).toBeUndefined()
    expectConsistent(named)
  })

  it('a response without a body (HEAD, 204) ends too; a clone has the same timings', async () => {
    await using session = createSession()
    const head = await timingsOf(session, `${plain.url}/get`, { method: 'HEAD' })
    expect(head.end).toBeTypeOf('number')
    expect((await timingsOf(session, `${plain.url}/status/204`)).end).toBeTypeOf('number')
    const response = await session.native(`${plain.url}/get`)
    const copy = response.clone()
    await response.text()
    expect((copy as { timings?: Timings }).timings).toEqual((response as { timings?: Timings }).timings)
  })

  it('end is set once the body has arrived; a streamed body read later still reports it', async () => {
    await using session = createSession()
    const response = await session.raw(`${plain.url}/download?size=200000&chunk=20000&interval=5`, { responseType: 'stream' })
    const early = response.timings!
    expect(early.response).toBeTypeOf('number')
    expect(early.end).toBeUndefined()
    const reader = (response._data as ReadableStream<Uint8Array>).getReader()
    while (!(await reader.read()).done);
    const late = response.timings!
    expect(late.end!).toBeGreaterThanOrEqual(late.response!)
    expect(late.phases.download).toBeGreaterThan(0)
    expect(response.timings).toBe(late)
  })

  it('through the layers that wrap the response (download progress, limiter) and after a redirect: the last hop\'s', async () => {
    await using session = createSession({ pool: { connections: 1 }, limit: { concurrency: 2 }, onDownloadProgress: () => {} })
    const before = performance.now()
    const response = await session.raw(`${plain.url}/redirect/2`)
    expect(response.history!.length).toBe(2)
    const timings = response.timings!
    expect(timings).toBeDefined()
    // The first hop opened the connection; the last went on it.
    expect(timings.reused).toBe(true)
    expect(timings.start).toBeGreaterThan(before)
    expectConsistent(timings)
  })

  it('a cache hit went on no connection: no timings; the miss that stored it has them', async () => {
    await using session = createSession({ cache: true })
    const miss = await session.raw(`${plain.url}/cache/timings-hit?cc=max-age=60`)
    expect(miss.cacheStatus).toMatch(/miss|stored/)
    expect(miss.timings?.response).toBeTypeOf('number')
    const hit = await session.raw(`${plain.url}/cache/timings-hit?cc=max-age=60`)
    expect(hit.cacheStatus).toBe('hit')
    expect(hit.timings).toBeUndefined()
  })

  it('over a caller\'s own dispatcher: reused as its sockets tell, the connection ready time, no DNS or TCP split', async () => {
    const dispatcher = new Agent({ connections: 1, connect: { ca: certificates.ca } })
    try {
      await using session = createSession({ dispatcher })
      const first = await timingsOf(session, `${secure.altUrl}/get`)
      expect(first.reused).toBe(false)
      expect(first.lookup).toBeUndefined()
      expect(first.secureConnect).toBeTypeOf('number')
      expectConsistent(first)
      const second = await timingsOf(session, `${secure.altUrl}/get`)
      expect(second.reused).toBe(true)
      expect(second.secureConnect).toBeUndefined()
    }
    finally {
      await dispatcher.close()
    }
  })

  it('a request fetch sends instead (a stream body): start and response; the connection unknown', async () => {
    await using session = createSession()
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'))
        controller.close()
      },
    })
    const timings = await timingsOf(session, `${plain.url}/anything`, { method: 'POST', body, duplex: 'half' })
    expect(timings.response).toBeTypeOf('number')
    expect(timings.response!).toBeGreaterThanOrEqual(0)
    expect(timings.reused).toBeUndefined()
    expect(timings.connect).toBeUndefined()
  })
})
