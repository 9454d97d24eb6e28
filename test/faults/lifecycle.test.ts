/**
 * Resources and lifecycle on Node (issue 12 items 10–15): `close()` settles at once and aborts
 * what is in flight, every `close()` is one promise, calls waiting in a backoff or the limiter's
 * queue end at once, a status outside 200–599 survives the body watch, the limiter holds a slot
 * until the body is done and counts each redirect hop against its own host, and bombs of every
 * coding stay bounded. The same behaviour on Deno and Bun: test/conformance/areas/lifecycle.ts.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { MemoryCookieStore } from 'tough-cookie'
import { Agent } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { $fetch, BodyTooLargeError, CookieStoreError, createSession, SessionClosedError } from '../../src/adapters/node'
import type { SessionOptions } from '../../src/adapters/node'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())

const MiB = 1024 * 1024
let counter = 0
const key = (name: string): string => `lifecycle-${name}-${++counter}`
const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** The value `promise` settles with (a rejection's reason too), or `'pending'` after `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise(resolve => {
    timer = setTimeout(() => resolve('pending'), ms)
  })
  try {
    return await Promise.race([promise.then(value => value, (error: unknown) => error), late])
  }
  finally {
    clearTimeout(timer)
  }
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await sleep(5)
  }
}

/** The warnings Node emits while `fn` runs. */
async function warningsDuring(fn: () => Promise<unknown>): Promise<Error[]> {
  const warnings: Error[] = []
  const onWarning = (warning: Error): void => {
    warnings.push(warning)
  }
  process.on('warning', onWarning)
  try {
    await fn()
    await new Promise(resolve => setImmediate(resolve))
  }
  finally {
    process.off('warning', onWarning)
  }
  return warnings
}

const agent = new Agent()
afterAll(() => agent.close())

const TRANSPORTS: Array<[string, () => SessionOptions]> = [
  ['the session\'s own pool', () => ({})],
  ['a dispatcher of the caller\'s', () => ({ dispatcher: agent })],
  ['a custom fetch', () => ({ fetch: (input, init) => globalThis.fetch(input, init) })],
]

describe('close() settles at once and aborts what is in flight (item 10)', () => {
  for (const [label, options] of TRANSPORTS) {
    it(`${label}: close() resolves while a call hangs and bodies are unread; the call and the body reads reject with SessionClosedError`, async () => {
      const session = createSession({ baseURL: server.url, ...options() })
      const hung = key('hang')
      const hang = session(`/hang?key=${hung}`).catch((error: unknown) => error)
      const stream = await session<ReadableStream<Uint8Array>>('/trickle?chunks=1000&interval=20', { responseType: 'stream' })
      const reader = stream.getReader()
      await reader.read()
      const native = await session.native(`${server.url}/trickle?chunks=1000&interval=20`)
      const nativeReader = native.body!.getReader()
      await nativeReader.read()
      await until(() => server.hits(hung) === 1)

      const started = Date.now()
      expect(await within(session.close(), 2000)).toBeUndefined()
      expect(Date.now() - started).toBeLessThan(500)

      const error = await within(hang, 500) as SessionClosedError
      expect(error).toBeInstanceOf(SessionClosedError)
      // (`key` is a secret-looking parameter: redacted.)
      expect(error.message).toBe(`[GET] "${server.url}/hang?key=REDACTED": the session was closed during the call`)
      const read = await within(reader.read(), 500) as SessionClosedError
      expect(read).toBeInstanceOf(SessionClosedError)
      expect(read.message).toMatch(`[GET] "${server.url}/trickle?chunks=1000&interval=20": the session was closed during the call`)
      expect(await within(nativeReader.read(), 500)).toBeInstanceOf(SessionClosedError)
      // Not retried, though a GET that lost its connection is retried by default.
      await sleep(50)
      expect(server.hits(hung)).toBe(1)
    })
  }

  it('the session\'s own pool is released: the server sees every connection closed', async () => {
    const own = await startServer()
    try {
      const session = createSession({ baseURL: own.url })
      const hang = session('/hang').catch((error: unknown) => error)
      const stream = await session<ReadableStream<Uint8Array>>('/trickle?chunks=1000&interval=20', { responseType: 'stream' })
      await stream.getReader().read()
      await session('/get')
      await until(() => own.openSockets() >= 2)
      await session.close()
      await until(() => own.openSockets() === 0, 1000)
      expect(await hang).toBeInstanceOf(SessionClosedError)
    }
    finally {
      await own.close()
    }
  })

  it('a call with a deadline or a signal of its own is aborted by close() too', async () => {
    const session = createSession({ baseURL: server.url, timeout: { total: 30_000, attempt: 20_000 } })
    const controller = new AbortController()
    const calls = [session('/hang').catch((error: unknown) => error), session('/hang', { signal: controller.signal, timeout: false }).catch((error: unknown) => error)]
    await sleep(50)
    await session.close()
    for (const call of calls) expect(await within(call, 500)).toBeInstanceOf(SessionClosedError)
  })

  it('50 calls in flight on the session\'s close signal: no MaxListenersExceededWarning, whatever the transport', async () => {
    for (const [, options] of TRANSPORTS) {
      const session = createSession({ baseURL: server.url, ...options() })
      const warnings = await warningsDuring(async () => {
        const calls = Array.from({ length: 50 }, () => session('/delay/50'))
        await Promise.all(calls)
        const natives = await Promise.all(Array.from({ length: 20 }, () => session.native(`${server.url}/delay/20`)))
        await Promise.all(natives.map(response => response.text()))
      })
      expect(warnings.map(warning => warning.name)).not.toContain('MaxListenersExceededWarning')
      await session.close()
    }
  })
})

describe('every close() is one promise, settled when closing is done (item 11)', () => {
  it('a second close() returns the first one\'s promise, which settles once the cookie store is flushed', async () => {
    class SlowStore extends MemoryCookieStore {
      flushed = 0
      async flush(): Promise<void> {
        await sleep(100)
        this.flushed++
      }
    }
    const store = new SlowStore()
    const session = createSession({ cookies: store })
    const first = session.close()
    const second = session.close()
    expect(second).toBe(first)
    expect((session as unknown as Record<symbol, () => Promise<void>>)[Symbol.asyncDispose]!()).toBe(first)
    await second
    expect(store.flushed).toBe(1)
  })

  it('a third-party store whose flush() fails makes close() reject with a CookieStoreError, its error as cause (item 13.6)', async () => {
    const disk = new Error('EIO: the disk went away')
    class FailingStore extends MemoryCookieStore {
      async flush(): Promise<void> {
        throw disk
      }
    }
    const session = createSession({ cookies: new FailingStore() })
    const closed = await session.close().catch((error: unknown) => error)
    expect(closed).toBeInstanceOf(CookieStoreError)
    expect(closed).toMatchObject({ name: 'CookieStoreError', code: 'ERR_COOKIE_STORE_IO', cause: disk, message: expect.stringContaining('EIO: the disk went away') })
    expect(session.closed).toBe(true)
  })

  it('a child\'s close() aborts the child\'s calls in flight only: the root\'s go on, and so do its pool and its other children', async () => {
    const root = createSession({ baseURL: server.url })
    const child = root.extend({ headers: { 'x-child': '1' } })
    const sibling = root.extend({ headers: { 'x-sibling': '1' } })
    const hung = key('child-hang')
    const rootCall = root('/delay/300')
    const siblingCall = sibling('/delay/300')
    const childCall = child(`/hang?key=${hung}`).catch((error: unknown) => error)
    await until(() => server.hits(hung) === 1)
    const started = Date.now()
    await child.close()
    expect(Date.now() - started).toBeLessThan(200)
    expect(await within(childCall, 300)).toBeInstanceOf(SessionClosedError)
    expect(child.closed).toBe(true)
    expect(root.closed).toBe(false)
    await expect(rootCall).resolves.toMatchObject({ delayed: 300 })
    await expect(siblingCall).resolves.toMatchObject({ delayed: 300 })
    await expect(root('/get')).resolves.toMatchObject({ path: '/get' })
    await expect(child('/get')).rejects.toBeInstanceOf(SessionClosedError)

    // The root's close() aborts its children's calls as well as its own.
    const late = sibling('/hang').catch((error: unknown) => error)
    const own = root('/hang').catch((error: unknown) => error)
    await sleep(50)
    await root.close()
    expect(await within(late, 300)).toBeInstanceOf(SessionClosedError)
    expect(await within(own, 300)).toBeInstanceOf(SessionClosedError)
    expect(sibling.closed).toBe(true)
  })
})

describe('calls waiting when close() runs reject with SessionClosedError at once (item 12)', () => {
  for (const [label, options] of TRANSPORTS) {
    it(`${label}: in a retry backoff, with no further attempt`, async () => {
      const session = createSession({ baseURL: server.url, retry: { limit: 3, delay: 400, jitter: false }, ...options() })
      const flaky = key('backoff')
      const call = session(`/flaky/${flaky}?fail=10`).catch((error: unknown) => error)
      await until(() => server.hits(flaky) === 1)
      await sleep(20)
      const started = Date.now()
      await session.close()
      const error = await within(call, 1000) as SessionClosedError
      expect(error).toBeInstanceOf(SessionClosedError)
      expect(error.message).toBe(`[GET] "${server.url}/flaky/${flaky}?fail=10": the session was closed during the call`)
      expect(Date.now() - started).toBeLessThan(150)
      await sleep(500)
      expect(server.hits(flaky)).toBe(1)
    })

    it(`${label}: in the limiter's queue, never sent`, async () => {
      const session = createSession({ baseURL: server.url, limit: { concurrency: 1 }, ...options() })
      const first = key('queue-first')
      const second = key('queue-second')
      const calls = [session(`/hang?key=${first}`), session(`/get?key=${second}`), session.native(`${server.url}/get?key=${second}`)].map(call => call.catch((error: unknown) => error))
      await until(() => server.hits(first) === 1)
      const started = Date.now()
      await session.close()
      for (const call of calls) expect(await within(call, 300)).toBeInstanceOf(SessionClosedError)
      expect(Date.now() - started).toBeLessThan(150)
      await sleep(50)
      expect(server.hits(second)).toBe(0)
    })
  }
})

describe('a status outside 200–599 is kept, whatever the options (item 14)', () => {
  for (const status of [600, 999]) {
    it(`${status} with maxBodySize, with onDownloadProgress and without either`, async () => {
      const session = createSession({ baseURL: server.url })
      const progress: boolean[] = []
      for (const options of [{}, { maxBodySize: 1000 }, { onDownloadProgress: ({ done }: { done: boolean }) => void progress.push(done) }]) {
        const response = await session.raw(`/status/${status}`, options)
        expect(response.status).toBe(status)
        expect(response.ok).toBe(false)
        expect(response).toBeInstanceOf(Response)
        expect(response._data).toEqual({ status })
        expect(response.headers.get('content-type')).toBe('application/json')
        expect(response.url).toBe(`${server.url}/status/${status}`)
      }
      expect(progress.at(-1)).toBe(true)
      const raw = await session.raw<ReadableStream<Uint8Array>, 'stream'>(`/status/${status}`, { maxBodySize: 1000, responseType: 'stream' })
      expect(raw.status).toBe(status)
      await raw._data!.cancel()
      await session.close()
    })
  }

  it('the watched response is a Response: clone(), blob() and text() keep the status, the headers and the body', async () => {
    const watched = await $fetch.raw<ReadableStream<Uint8Array>, 'stream'>(`${server.url}/redirect-to?url=${encodeURIComponent('/status/600')}`, { maxBodySize: 1000, responseType: 'stream' })
    expect(watched.redirected).toBe(true)
    const copy = watched.clone()
    expect([copy.status, copy.statusText, copy.redirected, copy.url, copy.ok]).toEqual([600, watched.statusText, true, `${server.url}/status/600`, false])
    expect(copy.headers.get('content-type')).toBe('application/json')
    expect(await copy.text()).toBe('{"status":600}')
    const blob = await watched.blob()
    expect([blob.type, await blob.text()]).toEqual(['application/json', '{"status":600}'])
  })
})

describe('limit: a slot per request sent, held until its body is done (item 15)', () => {
  it('a stream response holds its slot until its body is read to the end, or cancelled', async () => {
    const session = createSession({ baseURL: server.url, limit: { concurrency: 1 } })
    const stream = await session<ReadableStream<Uint8Array>>('/trickle?chunks=5&interval=10', { responseType: 'stream' })
    const next = key('after-read')
    const waiting = session(`/get?key=${next}`)
    await sleep(200)
    expect(server.hits(next)).toBe(0)
    const reader = stream.getReader()
    while (!(await reader.read()).done);
    await waiting
    expect(server.hits(next)).toBe(1)

    const cancelled = await session<ReadableStream<Uint8Array>>('/bytes/10', { responseType: 'stream' })
    const after = key('after-cancel')
    const third = session(`/get?key=${after}`)
    await sleep(100)
    expect(server.hits(after)).toBe(0)
    await cancelled.cancel()
    await third
    expect(server.hits(after)).toBe(1)
    await session.close()
  })

  it('a body nobody reads gives its slot back when its call\'s deadline passes', async () => {
    const session = createSession({ baseURL: server.url, limit: { concurrency: 1 } })
    await session<ReadableStream<Uint8Array>>('/trickle?chunks=100&interval=50', { responseType: 'stream', timeout: 300 })
    const started = Date.now()
    await session('/get')
    expect(Date.now() - started).toBeGreaterThan(200)
    expect(Date.now() - started).toBeLessThan(1000)
    await session.close()
  })

  it('a body garbage-collected unread gives its slot back', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const session = createSession({ baseURL: server.url, limit: { concurrency: 1 } })
    await (async () => {
      await session('/bytes/10', { responseType: 'stream' })
    })()
    const next = key('after-gc')
    const waiting = session(`/get?key=${next}`)
    for (let round = 0; round < 20 && server.hits(next) === 0; round++) {
      gc()
      await sleep(20)
    }
    await waiting
    expect(server.hits(next)).toBe(1)
    await session.close()
  })

  it('each redirect hop counts against its own host (perHost)', async () => {
    const session = createSession({ limit: { perHost: 1 } })
    const hop = key('hop')
    const target = `${server.altUrl}/delay/200?key=${hop}`
    await Promise.all([
      session(`${server.url}/redirect-to?url=${encodeURIComponent(target)}`),
      session(target),
      session(`${server.url}/redirect-to?url=${encodeURIComponent(target)}`),
    ])
    expect(server.keyStats(hop).max).toBe(1)
    expect(server.hits(hop)).toBe(3)
    await session.close()
  })

  it('rps counts every request sent: a chain of 3 redirects is 4 starts', async () => {
    const session = createSession({ baseURL: server.url, limit: { rps: 10 } })
    const started = Date.now()
    const response = await session.raw('/redirect/3')
    expect(response.history).toHaveLength(3)
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
    await session.close()
  })
})

describe('decompression bombs stay bounded with maxBodySize, every coding (item 13, Node\'s side)', () => {
  for (const coding of ['gzip', 'deflate', 'deflate-raw', 'br']) {
    it(`${coding}: stops at the limit, and memory stays far below the bomb`, async () => {
      const session = createSession({ baseURL: server.url, maxBodySize: MiB })
      // Made (and cached) by the server before anything is measured.
      await session(`/bomb/${coding}?size=${256 * MiB}`, { responseType: 'stream' }).then(stream => (stream as ReadableStream).cancel())
      const before = process.memoryUsage()
      const error = await session(`/bomb/${coding}?size=${256 * MiB}`, { responseType: 'arrayBuffer' }).catch((caught: unknown) => caught)
      const after = process.memoryUsage()
      expect(error).toBeInstanceOf(BodyTooLargeError)
      expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(64 * MiB)
      expect(after.rss - before.rss).toBeLessThan(128 * MiB)
      await session.close()
    })
  }
})
