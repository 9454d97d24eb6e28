/**
 * `fetch-session/stores/file`: cookies in a JSON file, for Node, Deno and Bun (through
 * `node:fs/promises`, which all three implement).
 *
 * ```ts
 * import { createSession } from 'fetch-session'
 * import { createFileStore } from 'fetch-session/stores/file'
 *
 * const session = createSession({ cookies: createFileStore('./cookies.json') })
 * ```
 *
 * - **Atomic**: every write goes to a temporary file in the same folder, is synced to disk, then
 *   renamed over the file. A process killed at any moment leaves the old file or the new one,
 *   never a torn one (and a later write removes the temporary files of dead processes).
 * - **Coalesced**: a change schedules a write `writeDelay` ms later; every change until then
 *   goes into that one write. `flush()` (which `session.close()` calls) writes at once.
 * - **Shared by processes: merge under a lock.** A write takes a lock file (`<file>.lock`,
 *   created exclusively), reads the file as it is now, applies this store's changes since its
 *   last write on top (per cookie: set, remove, remove all) and writes the result. So two
 *   processes that change different cookies both keep theirs, and for the same cookie the last
 *   write wins. Reads notice when the file changed (another process wrote it) and reload it. The
 *   lock is held for one read and one write; a lock left by a dead process (same host) is taken
 *   over at once, any lock older than `staleLockTime` too.
 * - **Corrupt or foreign files are never overwritten**: such a file makes every operation (and
 *   so `session.close()`) reject with a `CookieStoreError` (`ERR_COOKIE_STORE_FORMAT`) that
 *   names it. An empty file is an empty store; a jar serialized by tough-cookie
 *   (`JSON.stringify(jar)`) is read as well.
 * - Session cookies (no Expires or Max-Age) are kept, as `curl -c` keeps them: they are what
 *   most logins set. Expired cookies are left out of every write.
 * - The file is created with mode `0o600` (cookies are credentials); its folder is created when missing.
 *
 * The file holds `{ "format": "fetch-session/cookies", "formatVersion": 1, "cookies": [...] }`,
 * one cookie (tough-cookie's `cookie.toJSON()`) per line; `CookieJar.deserialize()` reads it too.
 *
 * @module
 */
import { link, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises'
import { hostname } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import type { Cookie, Nullable } from 'tough-cookie'
import { BaseCookieStore, CookieIndex, parseDocument, stringifyDocument } from './base'
import type { CookieChange } from './base'
import { CookieStoreError } from './errors'
import { invalidOption } from '../../errors'
import { own } from '../../own'

export { CookieStoreError } from './errors'
export type { CookieStoreErrorCode } from './errors'

/** Options of `createFileStore()`. */
export interface FileStoreOptions {
  /**
   * How long a change waits before it is written, in ms, so that a burst of changes (the cookies
   * of one response, of a redirect chain…) costs one write. `0` writes on the next tick.
   * `flush()` and `session.close()` write at once.
   * @default 50
   */
  writeDelay?: number
  /**
   * How long a write waits for another process's lock before it fails with a `CookieStoreError`
   * (`ERR_COOKIE_STORE_LOCKED`), in ms.
   * @default 20000
   */
  lockTimeout?: number
  /**
   * A lock file older than this (ms) is taken over even if its process may be alive (a lock is
   * held for one read and one write, so only a stuck process holds it that long). A lock whose
   * process is known to be dead is taken over at once.
   * @default 10000
   */
  staleLockTime?: number
  /**
   * The permissions of the cookie file (and of its lock and temporary files).
   * @default 0o600
   */
  mode?: number
}

const DEFAULTS: Required<FileStoreOptions> = { writeDelay: 50, lockTimeout: 20_000, staleLockTime: 10_000, mode: 0o600 }

/** What the lock file holds. */
interface LockInfo {
  pid: number
  host: string
  token: string
}

/**
 * A tough-cookie `Store` that keeps its cookies in a JSON file. Create it with `createFileStore()`;
 * see this module's documentation for what it guarantees.
 */
export class FileCookieStore extends BaseCookieStore {
  /** The absolute path of the cookie file. */
  readonly path: string
  private readonly lockPath: string
  private readonly settings: Required<FileStoreOptions>
  /** The file's cookies with this store's changes on top: what reads answer from. */
  private index: CookieIndex = new CookieIndex()
  /** `ino:size:mtime` of the file the index was built from; `undefined` until it was read. */
  private identity: string | undefined
  /** Changes not yet handed to a write. */
  private pending: CookieChange[] = []
  /** Changes of the write in progress. */
  private inflight: CookieChange[] = []
  /** Bumped by every write, so that a reload that raced with one is dropped. */
  private generation = 0
  private refreshing: Promise<void> | undefined
  private writing: Promise<void> | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  /** Why the file could not be read last time (a corrupt or foreign file). */
  private failure: unknown
  private swept = false

  constructor(path: string | URL, options: FileStoreOptions = {}) {
    super()
    if (typeof path !== 'string' && !(path instanceof URL)) throw invalidOption('path', 'createFileStore() needs the path of the cookie file')
    this.synchronous = false
    this.path = resolve(path instanceof URL ? fileURLToPath(path) : path)
    this.lockPath = `${this.path}.lock`
    this.settings = { ...DEFAULTS }
    for (const key of Object.keys(DEFAULTS) as Array<keyof FileStoreOptions>) {
      const value = own<unknown>(options, key)
      if (value === undefined) continue
      if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) throw invalidOption(key, `the file store's \`${key}\` must be a number >= 0`)
      this.settings[key] = value
    }
  }

  /**
   * Reads the file now (it is otherwise read on first use), so that a corrupt or foreign file is
   * reported before any request: rejects with a `CookieStoreError`. A missing file is an empty store.
   */
  async load(): Promise<void> {
    await this.refresh()
  }

  /**
   * Writes the pending changes now and resolves once they are on disk; `session.close()` calls
   * it. Rejects with a `CookieStoreError` when the file is corrupt or foreign (it is then left
   * untouched), or cannot be written.
   */
  async flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    if (this.failure !== undefined) await this.refresh()
    do {
      await this.write()
    } while (this.pending.length > 0)
  }

  protected async lookup(domain: Nullable<string>, path: Nullable<string>, key: Nullable<string>): Promise<Cookie | undefined> {
    await this.refresh()
    return this.index.get(domain, path, key)
  }

  protected async search(domain: Nullable<string>, path: Nullable<string>, allowSpecialUseDomain: boolean): Promise<Cookie[]> {
    await this.refresh()
    return this.index.find(domain, path, allowSpecialUseDomain)
  }

  protected async list(): Promise<Cookie[]> {
    await this.refresh()
    return this.index.all()
  }

  protected async change(change: CookieChange): Promise<void> {
    // Never record a change for a file that cannot be read: it could only be lost, or overwrite it.
    if (this.identity === undefined || this.failure !== undefined) await this.refresh()
    this.index.apply(change)
    this.pending.push(change)
    this.schedule()
  }

  /** Brings the index up to date with the file when the file changed (or was never read). */
  private refresh(): Promise<void> {
    this.refreshing ??= this.reload().finally(() => {
      this.refreshing = undefined
    })
    return this.refreshing
  }

  private async reload(): Promise<void> {
    const generation = this.generation
    try {
      if (this.identity !== undefined && this.failure === undefined && await this.statIdentity() === this.identity) return
      const { cookies, identity } = await this.readCookies()
      this.failure = undefined
      // A write finished meanwhile: its state is newer than what was read here.
      if (generation !== this.generation) return
      const index = CookieIndex.of(cookies)
      for (const change of this.inflight) index.apply(change)
      for (const change of this.pending) index.apply(change)
      this.index = index
      this.identity = identity
    }
    catch (error) {
      this.failure = error
      throw error
    }
  }

  private schedule(): void {
    // A write in progress schedules the next one when it ends.
    if (this.timer !== undefined || this.writing) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      // A failed background write keeps its changes pending: the next change or flush() retries.
      this.write().then(() => {
        if (this.pending.length > 0) this.schedule()
      }, () => {})
    }, this.settings.writeDelay)
  }

  /** One write after any write in progress (writes of one store never overlap). */
  private write(): Promise<void> {
    const run = (this.writing ?? Promise.resolve()).catch(() => {}).then(() => this.writeNow())
    const tracked: Promise<void> = run.finally(() => {
      if (this.writing === tracked) this.writing = undefined
    })
    tracked.catch(() => {})
    this.writing = tracked
    return run
  }

  private async writeNow(): Promise<void> {
    if (this.pending.length === 0) return
    const batch = this.pending
    this.pending = []
    this.inflight = batch
    this.generation++
    try {
      await this.withLock(async () => {
        // The file as it is now (another process may have written it), this store's changes on top.
        const { cookies } = await this.readCookies()
        const merged = CookieIndex.of(cookies)
        for (const change of batch) merged.apply(change)
        await this.writeAtomically(stringifyDocument(merged.all(), true))
        this.identity = await this.statIdentity()
        this.failure = undefined
        for (const change of this.pending) merged.apply(change)
        this.index = merged
        this.inflight = []
        this.generation++
        if (!this.swept) {
          this.swept = true
          await this.sweep()
        }
      })
    }
    catch (error) {
      this.pending = [...batch, ...this.pending]
      this.inflight = []
      // The file became unreadable: refuse further changes until it is repaired.
      if (error instanceof CookieStoreError && error.code === 'ERR_COOKIE_STORE_FORMAT') this.failure = error
      throw error
    }
  }

  /** The file's cookies and identity; an empty store when there is no file. */
  private async readCookies(): Promise<{ cookies: Cookie[], identity: string }> {
    let text: string
    let identity: string
    try {
      const handle = await open(this.path, 'r')
      try {
        const stats = await handle.stat()
        identity = `${stats.ino}:${stats.size}:${stats.mtimeMs}`
        text = await handle.readFile('utf8')
      }
      finally {
        await handle.close()
      }
    }
    catch (error) {
      if (errorCode(error) === 'ENOENT') return { cookies: [], identity: 'missing' }
      throw this.ioError('read', error)
    }
    return { cookies: parseDocument(text, this.path, `the file ${this.path}`), identity }
  }

  private async statIdentity(): Promise<string> {
    try {
      const stats = await stat(this.path)
      return `${stats.ino}:${stats.size}:${stats.mtimeMs}`
    }
    catch (error) {
      if (errorCode(error) === 'ENOENT') return 'missing'
      throw this.ioError('read', error)
    }
  }

  /** Writes a temporary file next to the cookie file, syncs it, and renames it over the cookie file. */
  private async writeAtomically(text: string): Promise<void> {
    const temporary = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.${randomHex()}.tmp`)
    let handle: Awaited<ReturnType<typeof open>> | undefined
    try {
      handle = await open(temporary, 'wx', this.settings.mode)
      await handle.writeFile(text)
      await handle.sync()
      await handle.close()
      handle = undefined
      await rename(temporary, this.path)
    }
    catch (error) {
      await handle?.close().catch(() => {})
      await unlink(temporary).catch(() => {})
      throw this.ioError('write', error)
    }
  }

  /** Runs `task` holding the lock file. */
  private async withLock<T>(task: () => Promise<T>): Promise<T> {
    const info: LockInfo = { pid: process.pid, host: hostName(), token: randomHex() }
    const started = Date.now()
    for (let attempt = 0; ; attempt++) {
      let handle: Awaited<ReturnType<typeof open>> | undefined
      try {
        handle = await open(this.lockPath, 'wx', this.settings.mode)
        await handle.writeFile(JSON.stringify(info))
        await handle.close()
        break
      }
      catch (error) {
        const code = errorCode(error)
        if (handle) {
          // Created but not written: do not leave a lock behind.
          await handle.close().catch(() => {})
          await unlink(this.lockPath).catch(() => {})
          throw this.ioError('lock', error)
        }
        if (code === 'ENOENT' && attempt === 0) {
          await mkdir(dirname(this.path), { recursive: true }).catch((mkdirError: unknown) => {
            throw this.ioError('create the folder of', mkdirError)
          })
          continue
        }
        if (code !== 'EEXIST') throw this.ioError('lock', error)
        if (await this.takeOverStaleLock()) continue
        if (Date.now() - started >= this.settings.lockTimeout) {
          throw new CookieStoreError('ERR_COOKIE_STORE_LOCKED', this.path, `the lock file ${this.lockPath} was held by another process for more than ${this.settings.lockTimeout} ms; if no process is using ${this.path}, remove the lock file`)
        }
        await sleep(Math.min(4 * 2 ** Math.min(attempt, 4), 50) * (0.5 + Math.random()))
      }
    }
    try {
      return await task()
    }
    finally {
      await this.releaseLock(info.token)
    }
  }

  /** Removes the lock file when it is stale; true when the caller should try again at once. */
  private async takeOverStaleLock(): Promise<boolean> {
    let text: string
    let age: number
    try {
      const handle = await open(this.lockPath, 'r')
      try {
        age = Date.now() - (await handle.stat()).mtimeMs
        text = await handle.readFile('utf8')
      }
      finally {
        await handle.close()
      }
    }
    catch (error) {
      if (errorCode(error) === 'ENOENT') return true
      throw this.ioError('read the lock of', error)
    }
    const holder = parseLock(text)
    const dead = holder !== undefined && holder.pid !== process.pid && holder.host === hostName() && isAlive(holder.pid) === false
    if (!dead && age <= this.settings.staleLockTime) return false
    // Move it aside, then make sure it was the lock judged stale and not a new one.
    const aside = `${this.lockPath}.${randomHex()}.stale`
    try {
      await rename(this.lockPath, aside)
    }
    catch (error) {
      if (errorCode(error) === 'ENOENT') return true
      throw this.ioError('take over the lock of', error)
    }
    const moved = await readText(aside)
    if (moved !== text) await link(aside, this.lockPath).catch(() => {})
    await unlink(aside).catch(() => {})
    return true
  }

  private async releaseLock(token: string): Promise<void> {
    // Only this store's own lock (a lock taken over as stale belongs to someone else now).
    if (parseLock(await readText(this.lockPath))?.token === token) await unlink(this.lockPath).catch(() => {})
  }

  /** Removes the temporary files of dead processes and lock files moved aside long ago (after a crash). */
  private async sweep(): Promise<void> {
    const folder = dirname(this.path)
    const name = basename(this.path)
    let entries: string[]
    try {
      entries = await readdir(folder)
    }
    catch {
      return
    }
    for (const entry of entries) {
      const temporary = entry.startsWith(`.${name}.`) && entry.endsWith('.tmp') ? /^(\d+)\.[0-9a-f]+\.tmp$/.exec(entry.slice(name.length + 2)) : null
      if (temporary) {
        const pid = Number(temporary[1])
        if (pid !== process.pid && isAlive(pid) === false) await unlink(join(folder, entry)).catch(() => {})
      }
      else if (entry.startsWith(`${name}.lock.`) && entry.endsWith('.stale')) {
        const file = join(folder, entry)
        const stats = await stat(file).catch(() => undefined)
        if (stats && Date.now() - stats.mtimeMs > this.settings.staleLockTime) await unlink(file).catch(() => {})
      }
    }
  }

  private ioError(action: string, cause: unknown): CookieStoreError {
    if (cause instanceof CookieStoreError) return cause
    return new CookieStoreError('ERR_COOKIE_STORE_IO', this.path, `could not ${action} the cookie file ${this.path}: ${(cause as Error)?.message ?? String(cause)}`, { cause })
  }
}

/**
 * A cookie store in a JSON file, for Node, Deno and Bun: atomic, coalesced writes, safe to share
 * between processes (changes are merged under a lock file), flushed by `session.close()`.
 *
 * @param path The cookie file (a path or a `file:` URL); created on the first write, with its folder.
 * @example
 * ```ts
 * import { createSession } from 'fetch-session'
 * import { createFileStore } from 'fetch-session/stores/file'
 *
 * const session = createSession({ cookies: createFileStore('./cookies.json') })
 * await session.post('https://example.com/login', { body: { user, password } })
 * await session.close() // the login cookie is on disk; the next run starts logged in
 * ```
 */
export function createFileStore(path: string | URL, options?: FileStoreOptions): FileCookieStore {
  return new FileCookieStore(path, options)
}

function errorCode(error: unknown): string | undefined {
  return (error as { code?: string } | undefined)?.code
}

function randomHex(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8))
  return Array.from(bytes, byte => byte.toString(16).padStart(2, '0')).join('')
}

function sleep(ms: number): Promise<void> {
  return new Promise(done => setTimeout(done, ms))
}

async function readText(path: string): Promise<string> {
  try {
    const handle = await open(path, 'r')
    try {
      return await handle.readFile('utf8')
    }
    finally {
      await handle.close()
    }
  }
  catch {
    return ''
  }
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockInfo>
    if (typeof value.pid === 'number' && typeof value.token === 'string' && typeof value.host === 'string') return value as LockInfo
  }
  catch {}
  return undefined
}

/** The part of the `Deno` namespace used here (structural: no Deno types needed). */
interface DenoPermissions {
  permissions?: { querySync?: (descriptor: { name: string, kind?: string }) => { state: string } }
}

/** True when Deno grants `descriptor` without asking; always true elsewhere. */
function granted(descriptor: { name: string, kind?: string }): boolean {
  const deno = (globalThis as { Deno?: DenoPermissions }).Deno
  if (!deno) return true
  try {
    return deno.permissions?.querySync?.(descriptor).state === 'granted'
  }
  catch {
    return false
  }
}

let host: string | undefined
/** This machine's name, so that a lock's pid is only checked on the host that wrote it ('' when unknown). */
function hostName(): string {
  if (host === undefined) {
    try {
      host = granted({ name: 'sys', kind: 'hostname' }) ? hostname() : ''
    }
    catch {
      host = ''
    }
  }
  return host ?? ''
}

/** Whether a process of this host is alive; `undefined` when that cannot be known (Deno without --allow-run). */
function isAlive(pid: number): boolean | undefined {
  if (!granted({ name: 'run' })) return undefined
  try {
    process.kill(pid, 0)
    return true
  }
  catch (error) {
    const code = errorCode(error)
    if (code === 'ESRCH') return false
    return code === 'EPERM' ? true : undefined
  }
}
