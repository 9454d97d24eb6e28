/**
 * The file store against the store contract, then what it guarantees beyond it: the file format,
 * atomic writes, flushing by `session.close()`, corrupt and foreign files (a clear error, never
 * overwritten), the lock, and two stores or two processes sharing one file (merged, nothing lost).
 * The crash test (a writer killed in a loop) is file-crash.test.ts; write coalescing is
 * file-writes.test.ts; Deno and Bun are runtimes.test.ts.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { CookieJar } from 'tough-cookie'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession } from '../../src/index'
import { CookieStoreError, createFileStore, FileCookieStore } from '../../src/cookies/stores/file'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { describeStoreContract } from './contract'
import { bundleWorker, runWorker, startWorker } from './helpers'

const folders: string[] = []
function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'fetch-session-file-'))
  folders.push(folder)
  return folder
}
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true })
})

describeStoreContract('file', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'fetch-session-file-'))
  const path = join(folder, 'cookies.json')
  return {
    store: createFileStore(path, { writeDelay: 5 }),
    reopen: () => createFileStore(path),
    cleanup: () => rmSync(folder, { recursive: true, force: true }),
  }
})

const SITE = 'https://app.example/'

describe('the file store', () => {
  let server: TestServer
  let worker: string
  beforeAll(async () => {
    ;[server, worker] = await Promise.all([startServer(), bundleWorker('file')])
  })
  afterAll(async () => {
    await server?.close()
    if (worker) rmSync(worker, { force: true })
  })

  it('writes a JSON document, one cookie per line, that CookieJar.deserialize reads; mode 0600; its folder is created', async () => {
    const path = join(tempFolder(), 'nested', 'deeper', 'cookies.json')
    const store = createFileStore(path)
    expect(store).toBeInstanceOf(FileCookieStore)
    expect(store.path).toBe(path)
    const jar = new CookieJar(store)
    await jar.setCookie('a=1; HttpOnly', SITE)
    await jar.setCookie('b=2; Max-Age=3600', SITE)
    expect(existsSync(path)).toBe(false)
    await store.flush()
    const text = readFileSync(path, 'utf8')
    expect(text.split('\n')[0]).toBe('{"format":"fetch-session/cookies","formatVersion":1,"cookies":[')
    expect(text.trim().split('\n').length).toBe(4)
    const document = JSON.parse(text)
    expect(document.cookies.map((cookie: { key: string }) => cookie.key)).toEqual(['a', 'b'])
    expect(await (await CookieJar.deserialize(document)).getCookieString(SITE)).toBe('a=1; b=2')
    expect(statSync(path).mode & 0o777).toBe(0o600)
    // Nothing but the file is left: no temporary file, no lock.
    expect(readdirSync(join(path, '..'))).toEqual(['cookies.json'])
  })

  it('takes a file: URL, and an unused store creates no file', async () => {
    const folder = tempFolder()
    const store = createFileStore(pathToFileURL(join(folder, 'url.json')))
    await store.flush()
    expect(readdirSync(folder)).toEqual([])
    await new CookieJar(store).setCookie('u=1', SITE)
    await store.flush()
    expect(readdirSync(folder)).toEqual(['url.json'])
  })

  it('session.close() flushes: with a writeDelay of a minute, the cookies are on disk when close() resolves', async () => {
    const path = join(tempFolder(), 'cookies.json')
    const session = createSession({ cookies: createFileStore(path, { writeDelay: 60_000 }), baseURL: server.url })
    await session('/cookies/set/token/abc')
    await new Promise(resolve => setTimeout(resolve, 50))
    expect(existsSync(path)).toBe(false)
    await session.close()
    expect(JSON.parse(readFileSync(path, 'utf8')).cookies).toMatchObject([{ key: 'token', value: 'abc', domain: '127.0.0.1' }])
  })

  it('a new store (the next run) starts from the file: a login survives', async () => {
    const path = join(tempFolder(), 'cookies.json')
    const first = createSession({ cookies: createFileStore(path), baseURL: server.url })
    await first.post('/api/login', { body: { username: 'alice', password: 'wonderland' } })
    await first.close()
    const second = createSession({ cookies: createFileStore(path), baseURL: server.url })
    expect(await second('/protected')).toMatchObject({ user: 'alice' })
    await second.close()
  })

  it('reads an empty file as an empty store, and a jar serialized by tough-cookie (JSON.stringify(jar))', async () => {
    const folder = tempFolder()
    writeFileSync(join(folder, 'empty.json'), '')
    const empty = createFileStore(join(folder, 'empty.json'))
    await empty.load()
    expect(await empty.getAllCookies()).toEqual([])
    const source = new CookieJar()
    await source.setCookie('legacy=1', SITE)
    writeFileSync(join(folder, 'tough.json'), JSON.stringify(source))
    const store = createFileStore(join(folder, 'tough.json'))
    const jar = new CookieJar(store)
    expect(await jar.getCookieString(SITE)).toBe('legacy=1')
    // Cookies are kept in creation order; two made in the same millisecond have no order to keep.
    await new Promise(resolve => setTimeout(resolve, 5))
    await jar.setCookie('added=2', SITE)
    await store.flush()
    expect(JSON.parse(readFileSync(join(folder, 'tough.json'), 'utf8'))).toMatchObject({ format: 'fetch-session/cookies', cookies: [{ key: 'legacy' }, { key: 'added' }] })
  })

  it.each([
    ['is corrupt (truncated JSON)', '{"format":"fetch-session/cookies","formatVersion":1,"cookies":[{"key":"a"', /invalid JSON/],
    ['is another program\'s JSON', JSON.stringify({ name: 'my-app', version: '1.0.0' }), /no "format"/],
    ['is not JSON at all', '# Netscape HTTP Cookie File\n.example.com\tTRUE\t/\tFALSE\t0\ta\t1\n', /invalid JSON/],
    ['is a JSON array', '[]', /not a JSON object/],
    ['comes from a newer version', JSON.stringify({ format: 'fetch-session/cookies', formatVersion: 9, cookies: [] }), /format version 9, written by a newer fetch-session/],
    ['holds something that is not a cookie', JSON.stringify({ format: 'fetch-session/cookies', formatVersion: 1, cookies: [{ key: 'a', value: 'b' }] }), /cookies\[0\] is not a cookie/],
  ])('a file that %s is a clear error and is never overwritten', async (_label, text, reason) => {
    const path = join(tempFolder(), 'cookies.json')
    writeFileSync(path, text)
    const before = statSync(path)
    const store = createFileStore(path, { writeDelay: 0 })
    const failure = await store.load().catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(CookieStoreError)
    expect(failure).toMatchObject({ name: 'CookieStoreError', code: 'ERR_COOKIE_STORE_FORMAT', location: path })
    expect((failure as Error).message).toMatch(reason)
    expect((failure as Error).message).toContain(`the file ${path} is not a fetch-session cookie store`)
    expect((failure as Error).message).toContain('it was left untouched')
    const jar = new CookieJar(store)
    await expect(jar.setCookie('a=1', SITE)).rejects.toThrow(CookieStoreError)
    await expect(jar.getCookies(SITE)).rejects.toThrow(CookieStoreError)
    await expect(store.removeAllCookies()).rejects.toThrow(CookieStoreError)
    await expect(store.flush()).rejects.toThrow(CookieStoreError)
    // A session surfaces a broken store at once (no request is sent), and close() reports it too.
    const session = createSession({ cookies: store, baseURL: server.url })
    await expect(session('/cookies/set/a/1')).rejects.toThrow(CookieStoreError)
    await expect(session.close()).rejects.toThrow(/is not a fetch-session cookie store/)
    await new Promise(resolve => setTimeout(resolve, 20))
    expect(readFileSync(path, 'utf8')).toBe(text)
    expect(statSync(path).mtimeMs).toBe(before.mtimeMs)
    expect(readdirSync(join(path, '..'))).toEqual(['cookies.json'])
  })

  it('a file replaced by a foreign one while in use is not overwritten: the write fails, the changes stay pending', async () => {
    const path = join(tempFolder(), 'cookies.json')
    const store = createFileStore(path, { writeDelay: 60_000 })
    const jar = new CookieJar(store)
    await jar.setCookie('a=1', SITE)
    await store.flush()
    await jar.setCookie('b=2', SITE)
    writeFileSync(path, 'not json')
    await expect(store.flush()).rejects.toThrow(/invalid JSON/)
    expect(readFileSync(path, 'utf8')).toBe('not json')
    await expect(jar.setCookie('c=3', SITE)).rejects.toThrow(CookieStoreError)
    // Repaired: the pending change is written on the next flush.
    rmSync(path)
    await store.flush()
    expect(JSON.parse(readFileSync(path, 'utf8')).cookies.map((cookie: { key: string }) => cookie.key)).toEqual(['b'])
  })

  it('two stores sharing a file merge their changes (different cookies kept, removals applied, last write wins)', async () => {
    const path = join(tempFolder(), 'cookies.json')
    const one = createFileStore(path, { writeDelay: 60_000 })
    const two = createFileStore(path, { writeDelay: 60_000 })
    const jarOne = new CookieJar(one)
    const jarTwo = new CookieJar(two)
    // Both loaded the (missing) file before either wrote.
    await jarOne.setCookie('shared=one', SITE)
    await jarTwo.setCookie('two=2', SITE)
    await jarOne.setCookie('one=1', SITE)
    await one.flush()
    await jarTwo.setCookie('shared=two', SITE)
    await two.flush()
    const keys = (text: string): string[] => JSON.parse(text).cookies.map((cookie: { key: string, value: string }) => `${cookie.key}=${cookie.value}`).sort()
    expect(keys(readFileSync(path, 'utf8'))).toEqual(['one=1', 'shared=two', 'two=2'])
    // Reads notice the other store's write.
    expect((await jarOne.getCookies(SITE)).map(cookie => `${cookie.key}=${cookie.value}`).sort()).toEqual(['one=1', 'shared=two', 'two=2'])
    await jarOne.setCookie('two=; Max-Age=0', SITE)
    await one.flush()
    expect((await jarTwo.getCookies(SITE)).map(cookie => cookie.key).sort()).toEqual(['one', 'shared'])
    await two.removeAllCookies()
    await two.flush()
    expect(await jarOne.getCookies(SITE)).toEqual([])
  })

  it('two processes logged in through one file: the second process is logged in', async () => {
    const path = join(tempFolder(), 'cookies.json')
    const [login] = await runWorker(worker, { store: { kind: 'file', path }, baseURL: server.url, steps: [{ do: 'login', username: 'myuser', password: 'mypass' }] })
    expect(login).toMatchObject({ welcome: 'Welcome, myuser!' })
    const [page] = await runWorker(worker, { store: { kind: 'file', path }, baseURL: server.url, steps: [{ do: 'get', path: '/protected' }] })
    expect(page).toMatchObject({ status: 200, body: { user: 'myuser' } })
  })

  it('two processes writing one file at the same time lose no cookie (merge under the lock)', async () => {
    const path = join(tempFolder(), 'cookies.json')
    // writeDelay 0: every response is its own write, so the writes of the two processes interleave.
    const plan = (prefix: string) => ({
      store: { kind: 'file' as const, path, options: { writeDelay: 0 } },
      baseURL: server.url,
      steps: [{ do: 'wait' as const }, { do: 'set-cookies' as const, prefix, count: 80, batch: 4 }],
    })
    const workers = [startWorker(worker, plan('a')), startWorker(worker, plan('b'))]
    await Promise.all(workers.map(item => item.next(line => line.ready === true)))
    for (const item of workers) item.release()
    const ends = await Promise.all(workers.map(item => item.exited))
    for (const end of ends) expect(end).toMatchObject({ code: 0, stderr: '' })
    const names = JSON.parse(readFileSync(path, 'utf8')).cookies.map((cookie: { key: string }) => cookie.key)
    expect(names.length).toBe(160)
    expect(new Set(names)).toEqual(new Set([...Array.from({ length: 80 }, (_, index) => `a${index}`), ...Array.from({ length: 80 }, (_, index) => `b${index}`)]))
    expect(readdirSync(join(path, '..'))).toEqual(['cookies.json'])
  }, 30_000)

  it('a lock left by a dead process is taken over at once; a live one is waited for, then reported', async () => {
    const folder = tempFolder()
    const path = join(folder, 'cookies.json')
    // The pid of a process that has exited.
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', 'console.log(process.pid)'])
    const deadPid = Number(stdout.trim())
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: deadPid, host: hostname(), token: 'dead' }))
    const store = createFileStore(path, { staleLockTime: 60_000, lockTimeout: 60_000 })
    await new CookieJar(store).setCookie('a=1', SITE)
    const started = Date.now()
    await store.flush()
    expect(Date.now() - started).toBeLessThan(2000)
    expect(readdirSync(folder)).toEqual(['cookies.json'])

    // A lock of a live process (this one): waited for until lockTimeout…
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), token: 'live' }))
    const waiting = createFileStore(path, { lockTimeout: 300 })
    await new CookieJar(waiting).setCookie('b=2', SITE)
    const failure = await waiting.flush().catch((error: unknown) => error)
    expect(failure).toMatchObject({ name: 'CookieStoreError', code: 'ERR_COOKIE_STORE_LOCKED' })
    expect((failure as Error).message).toContain(`${path}.lock`)
    // …unless it is older than staleLockTime.
    const old = new Date(Date.now() - 120_000)
    utimesSync(`${path}.lock`, old, old)
    await waiting.flush()
    expect(JSON.parse(readFileSync(path, 'utf8')).cookies.map((cookie: { key: string }) => cookie.key).sort()).toEqual(['a', 'b'])
    expect(readdirSync(folder)).toEqual(['cookies.json'])
  })

  it('refuses bad options and paths', () => {
    expect(() => createFileStore(undefined as unknown as string)).toThrow(expect.objectContaining({ name: 'InvalidRequestError', option: 'path' }))
    expect(() => createFileStore('x.json', { writeDelay: -1 })).toThrow(expect.objectContaining({ name: 'InvalidRequestError', option: 'writeDelay' }))
    expect(() => createFileStore('x.json', { lockTimeout: Number.NaN })).toThrow(/lockTimeout/)
  })
})
