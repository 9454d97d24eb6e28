/**
 * Beyond the article: a session that outlives its process. requests can pickle `session.cookies`
 * by hand; here the cookie jar sits on a file store, so the login of one process is the next
 * process's login.
 *
 *   process 1: createSession({ cookies: createFileStore(file) }) → log in (CSRF form) → close() → exit
 *   process 2: createSession({ cookies: createFileStore(file) }) → GET /dashboard: still logged in
 *
 * The first process is a real child process: this file, run directly with the server's URL and
 * the cookie file as arguments.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createSession } from '../../src/index'
import { createFileStore } from '../../src/cookies/stores/file'
import { check, note, show, step } from '../util'
import type { Context } from '../util'

export const title = 'A persistent session: log in, stop the process, start again still logged in (file store)'

const self = fileURLToPath(import.meta.url)

/** Process 1: logs in with a file store, closes the session (which flushes the store) and returns. */
async function firstProcess(baseURL: string, file: string): Promise<void> {
  const session = createSession({ cookies: createFileStore(file), baseURL })
  try {
    const page = await session('/login', { responseType: 'text' })
    const csrfToken = /name="csrf_token" value="([^"]+)"/.exec(page)?.[1]
    check(csrfToken, 'a csrf_token on the login page')
    const dashboard = await session('/login', { method: 'POST', body: new URLSearchParams({ username: 'myuser', password: 'mypass', csrf_token: csrfToken }), responseType: 'text' })
    show(`[pid ${process.pid}] POST /login`, /Welcome, [^!]+!/.exec(dashboard)?.[0] ?? 'not logged in')
  }
  finally {
    await session.close()
  }
  show(`[pid ${process.pid}] session.close()`, 'cookies flushed to disk; exiting')
}

export async function run({ server }: Context): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'fetch-session-playground-'))
  const file = join(folder, 'cookies.json')
  try {
    step('process 1 (a child process): log in with a file store, close, exit')
    // Asynchronous: the server answers from this process.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', self, server.url, file], { encoding: 'utf8', timeout: 15_000 })
    process.stdout.write(stdout)
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { cookies: Array<{ key: string, value: string, httpOnly?: boolean }> }
    show('cookies.json', saved.cookies.map(cookie => `${cookie.key}=${cookie.value.slice(0, 8)}…${cookie.httpOnly ? ' (HttpOnly)' : ''}`))

    step(`process 2 (this one, pid ${process.pid}): a new session over the same file, no login`)
    const session = createSession({ cookies: createFileStore(file), baseURL: server.url })
    try {
      const dashboard = await session.raw('/dashboard', { responseType: 'text' })
      const welcome = /Welcome, [^!]+!/.exec(dashboard._data ?? '')?.[0]
      show('GET /dashboard', `${dashboard.status} ${welcome ?? 'redirected to /login'}`)
      check(welcome === 'Welcome, myuser!', 'the dashboard of myuser, without logging in again')
      check(dashboard.history?.length === 0, 'no redirect to /login')
      show('GET /protected', await session('/protected'))
    }
    finally {
      await session.close()
    }
    note('the file store writes atomically (temporary file + rename), coalesces bursts, and merges with other processes under a lock')
  }
  finally {
    rmSync(folder, { recursive: true, force: true })
  }
}

// Run directly: this is process 1.
if (process.argv[1] && resolve(process.argv[1]) === self) {
  await firstProcess(process.argv[2]!, process.argv[3]!)
}
