/**
 * The file store coalesces writes: a burst of cookie changes costs one write. Every write ends
 * with one `rename()` of a temporary file over the cookie file, so counting the renames onto the
 * cookie file counts the writes (node:fs/promises is wrapped, not replaced: the writes are real).
 */
import * as fs from 'node:fs/promises'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CookieJar } from 'tough-cookie'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createSession } from '../../src/index'
import { createFileStore } from '../../src/cookies/stores/file'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>()
  return { ...actual, rename: vi.fn(actual.rename), open: vi.fn(actual.open) }
})

const folder = mkdtempSync(join(tmpdir(), 'fetch-session-writes-'))
let server: TestServer
let counter = 0
beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  await server.close()
  rmSync(folder, { recursive: true, force: true })
})
beforeEach(() => {
  vi.mocked(fs.rename).mockClear()
  vi.mocked(fs.open).mockClear()
})

function newPath(): string {
  return join(folder, `cookies-${++counter}.json`)
}

/** How many writes reached `path` (renames onto it). */
function writes(path: string): number {
  return vi.mocked(fs.rename).mock.calls.filter(([, to]) => to === path).length
}

/** Each write syncs its temporary file before the rename. */
function temporaryFilesOpened(): number {
  return vi.mocked(fs.open).mock.calls.filter(([file, flags]) => String(file).endsWith('.tmp') && flags === 'wx').length
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** Waits (up to 10 s) until `condition` holds; polls with setImmediate, which fake timers leave alone. */
async function until(condition: () => boolean): Promise<void> {
  for (const started = Date.now(); !condition();) {
    if (Date.now() - started > 10_000) throw new Error('timed out waiting for a write')
    await new Promise(resolve => setImmediate(resolve))
  }
}

describe('the file store coalesces writes', () => {
  it('a burst of 100 changes costs one write, writeDelay ms after it started', async () => {
    // The write timer is faked (file I/O is real), so how long the burst takes does not matter.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      const path = newPath()
      const store = createFileStore(path, { writeDelay: 100 })
      const jar = new CookieJar(store)
      for (let index = 0; index < 100; index++) await jar.setCookie(`c${index}=${index}`, 'https://app.example/')
      await vi.advanceTimersByTimeAsync(99)
      expect(writes(path)).toBe(0)
      await vi.advanceTimersByTimeAsync(1)
      await until(() => writes(path) > 0)
      // The spy records the rename when it starts; wait for it to finish before reading the file.
      await Promise.all(vi.mocked(fs.rename).mock.results.map(result => result.value))
      await vi.advanceTimersByTimeAsync(1000)
      expect(writes(path)).toBe(1)
      expect(temporaryFilesOpened()).toBe(1)
      expect(JSON.parse(readFileSync(path, 'utf8')).cookies.length).toBe(100)
      // Nothing changed since: flush() writes nothing.
      await store.flush()
      expect(writes(path)).toBe(1)
    }
    finally {
      vi.useRealTimers()
    }
  })

  it('flush() writes a pending burst at once, in one write', async () => {
    const path = newPath()
    const store = createFileStore(path, { writeDelay: 60_000 })
    const jar = new CookieJar(store)
    await Promise.all(Array.from({ length: 50 }, (_, index) => jar.setCookie(`c${index}=${index}`, 'https://app.example/')))
    await store.flush()
    expect(writes(path)).toBe(1)
    expect(JSON.parse(readFileSync(path, 'utf8')).cookies.length).toBe(50)
  })

  it('the cookies of a response and of its redirect hops are one write, done by session.close()', async () => {
    const path = newPath()
    const session = createSession({ cookies: createFileStore(path, { writeDelay: 60_000 }), baseURL: server.url })
    await session('/cookie-redirect/5')
    await session.post('/set-cookie', { body: Array.from({ length: 30 }, (_, index) => `bulk${index}=${index}; Path=/`) })
    expect(writes(path)).toBe(0)
    await session.close()
    expect(writes(path)).toBe(1)
    expect(JSON.parse(readFileSync(path, 'utf8')).cookies.length).toBe(35)
  })

  it('changes made during a write go into one next write, not one each', async () => {
    const path = newPath()
    const store = createFileStore(path, { writeDelay: 20 })
    const jar = new CookieJar(store)
    await jar.setCookie('first=1', 'https://app.example/')
    // Hold the first write's rename until 30 more changes were made.
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    let entered!: () => void
    const reached = new Promise<void>((resolve) => {
      entered = resolve
    })
    const actual = vi.mocked(fs.rename).getMockImplementation()!
    vi.mocked(fs.rename).mockImplementationOnce(async (from, to) => {
      entered()
      await held
      return actual(from, to)
    })
    await reached
    for (let index = 0; index < 30; index++) await jar.setCookie(`during${index}=${index}`, 'https://app.example/')
    release()
    await until(() => writes(path) === 2)
    await sleep(100)
    expect(writes(path)).toBe(2)
    expect(JSON.parse(readFileSync(path, 'utf8')).cookies.length).toBe(31)
  })
})
