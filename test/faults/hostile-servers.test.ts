/**
 * Servers that misbehave: decompression bombs, bodies past a limit, header floods, connections
 * dropped under a request. Each case names its entry in ../shared/research/reliability-catalogue.md.
 * (Endless redirects, Retry-After of years, trickling bodies and resets mid-body: test/core.)
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSession as createNodeSession } from '../../src/adapters/node'
import { BodyTooLargeError, createSession, NetworkError } from '../../src/index'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())
beforeEach(() => server.reset())

const MiB = 1024 * 1024

describe('maxBodySize (#84, #85; urllib3 GHSA-38jv-5279-wg99, CVE-2020-15168)', () => {
  for (const [runtime, make] of [['generic fetch', createSession], ['node adapter', createNodeSession]] as const) {
    it(`stops a gzip bomb after decompression, without inflating it all (${runtime})`, async () => {
      const session = make({ baseURL: server.url, maxBodySize: MiB })
      const before = process.memoryUsage().arrayBuffers
      const error = await session('/gzip-bomb?size=209715200', { responseType: 'arrayBuffer' }).catch((caught: unknown) => caught) as BodyTooLargeError
      expect(error).toBeInstanceOf(BodyTooLargeError)
      expect(error.name).toBe('BodyTooLargeError')
      expect(error.limit).toBe(MiB)
      expect(error.message).toBe(`[GET] "${server.url}/gzip-bomb?size=209715200": the response body is larger than 1048576 bytes (maxBodySize)`)
      // 200 MiB inflated would show; stopping at the limit keeps the growth far below it.
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * MiB)
      await session.close()
    })
  }

  it('refuses at once when an unencoded Content-Length already says too much', async () => {
    const session = createSession({ baseURL: server.url, maxBodySize: 1000, retry: { delay: 1 } })
    await expect(session('/bytes/5000')).rejects.toBeInstanceOf(BodyTooLargeError)
    expect(server.requests).toHaveLength(1) // not retried
    expect(await session('/bytes/1000', { responseType: 'arrayBuffer' })).toHaveProperty('byteLength', 1000)
    await session.close()
  })

  it('holds after redirects, and per request', async () => {
    const session = createSession({ baseURL: server.url, maxBodySize: 100 })
    await expect(session(`/redirect-to?url=${encodeURIComponent('/bytes/5000')}`)).rejects.toBeInstanceOf(BodyTooLargeError)
    expect(await session('/bytes/5000', { maxBodySize: 10_000, responseType: 'arrayBuffer' })).toHaveProperty('byteLength', 5000)
    expect(() => createSession({ maxBodySize: -1 })).toThrow(/`maxBodySize` must be a whole number of bytes/)
    await session.close()
  })
})

describe('hostile header volume (#86)', () => {
  it('response headers past the transport\'s limit end in a NetworkError, not a crash', async () => {
    const session = createSession({ baseURL: server.url, retry: false })
    const flood = Array.from({ length: 40 }, (_, index) => `c${index}=${'v'.repeat(1000)}; Path=/`)
    const error = await session('/set-cookie', { method: 'POST', body: flood }).catch((caught: unknown) => caught) as NetworkError
    expect(error).toBeInstanceOf(NetworkError)
    expect(error.code).toBe('ERR_NETWORK')
    expect(error.runtimeCode).toBe('UND_ERR_HEADERS_OVERFLOW')
    await session.close()
  })
})

describe('a kept-alive connection the server closed (#95; aiohttp, urllib3)', () => {
  for (const [runtime, make] of [['generic fetch', createSession], ['node adapter', createNodeSession]] as const) {
    it(`an idempotent request is sent once more on a fresh connection, even with retry: false; a POST is not (${runtime})`, async () => {
      const session = make({ baseURL: server.url, retry: false })
      // (The generic adapter shares Node's global pool with earlier tests, so count from here.)
      expect((await session('/close-on-reuse?key=stale')).method).toBe('GET')
      // Let the connection go idle, so the next request reuses it and the server drops it.
      await new Promise(resolve => setTimeout(resolve, 50))
      const before = server.hits('stale')
      const retried = await session('/close-on-reuse?key=stale')
      expect(retried.method).toBe('GET')
      expect(server.hits('stale') - before).toBe(2) // dropped once, then answered on a new connection
      await new Promise(resolve => setTimeout(resolve, 50))
      const error = await session('/close-on-reuse?key=stale', { method: 'POST', body: 'x' }).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(NetworkError)
      expect(server.hits('stale') - before).toBe(3) // the POST was dropped, and not sent again
      await session.close()
    })
  }
})
