/**
 * The debug log: one line per request and hop (with the cache's decision and the time), per retry
 * and per token refresh, secrets redacted; `DEBUG=fetch-session` in the environment turns it on,
 * as the `debug` package reads that variable.
 */
import { execFile } from 'node:child_process'
import { writeFileSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession, InvalidRequestError } from '../../src/index'
import { debugFromEnvironment } from '../../src/debug'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

const root = resolve(import.meta.dirname, '../..')
let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  await server.close()
})

describe('debug', () => {
  it('a line per hop, retry and refresh, with the cache\'s decision and the time; no secret in any', async () => {
    const lines: string[] = []
    const { token } = await (await fetch(`${server.url}/api/login`, { method: 'POST', body: JSON.stringify({ username: 'alice', password: 'wonderland' }) })).json() as { token: string }
    await using session = createSession({
      baseURL: server.url,
      debug: line => lines.push(line),
      cache: true,
      retry: { limit: 2, delay: 1 },
      auth: { bearer: 'expired-secret-token', refresh: () => token },
    })
    await session('/redirect/1?token=query-secret')
    await session('/cache/debug?cc=max-age=60')
    await session('/cache/debug?cc=max-age=60')
    await session(`/flaky/debug-${Date.now()}?fail=1`)
    await session('/api/users/7')
    const text = lines.join('\n')
    const port = new URL(server.url).port
    expect(lines[0]).toMatch(new RegExp(`^fetch-session GET http://127\\.0\\.0\\.1:${port}/redirect/1\\?token=REDACTED → 302 cache miss \\(\\d+ ms\\)$`))
    expect(lines[1]).toMatch(/^fetch-session GET http:\/\/127\.0\.0\.1:\d+\/get \(hop 1\) → 200 cache miss \(\d+ ms\)$/)
    expect(lines[2]).toMatch(/\/cache\/debug\?cc=max-age=60 → 200 cache miss \(\d+ ms\)$/)
    expect(lines[3]).toMatch(/\/cache\/debug\?cc=max-age=60 → 200 cache hit \(\d+ ms\)$/)
    expect(lines[4]).toMatch(/\/flaky\/debug-\d+\?fail=1 → 503 /)
    expect(lines[5]).toMatch(/^fetch-session retry 1 of 2: GET http:\/\/127\.0\.0\.1:\d+\/flaky\/debug-\d+\?fail=1 in \d+ ms \(HTTPError 503\)$/)
    expect(lines[6]).toMatch(/\/flaky\/debug-\d+\?fail=1 → 200 /)
    expect(text).toMatch(/fetch-session refresh: GET http:\/\/127\.0\.0\.1:\d+\/api\/users\/7 got 401, refreshing the token/)
    for (const secret of ['query-secret', 'expired-secret-token', token, 'wonderland']) expect(text).not.toContain(secret)
  })

  it('a network error is a line too, its message redacted', async () => {
    const lines: string[] = []
    await using session = createSession({ debug: line => lines.push(line), retry: false })
    await expect(session('http://127.0.0.1:1/x?api_key=key-secret')).rejects.toThrow()
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^fetch-session GET http:\/\/127\.0\.0\.1:1\/x\?api_key=REDACTED failed: /)
    expect(lines[0]).not.toContain('key-secret')
  })

  it('DEBUG names fetch-session as the debug package reads it', () => {
    expect(['fetch-session', '*', 'fetch-*', 'app,fetch-session', 'app fetch-session'].map(debugFromEnvironment)).toEqual([true, true, true, true, true])
    expect(['', 'app', '*,-fetch-session', 'fetch-session-other', undefined].map(value => debugFromEnvironment(value))).toEqual([false, false, false, false, false])
  })

  it('DEBUG=fetch-session prints the lines to stderr; a session with debug: false prints none', async () => {
    const dir = join(root, '.tmp', 'debug')
    mkdirSync(dir, { recursive: true })
    const script = join(dir, 'debug-env.mts')
    writeFileSync(script, `import { createSession } from ${JSON.stringify(join(root, 'src/index.ts'))}
const on = createSession()
await on(${JSON.stringify(`${server.url}/get`)})
const off = createSession({ debug: false })
await off(${JSON.stringify(`${server.url}/headers`)})
await on.close(); await off.close()
`)
    const { stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { cwd: root, env: { ...process.env, DEBUG: 'fetch-session' } })
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^fetch-session GET http:\/\/127\.0\.0\.1:\d+\/get → 200 \(\d+ ms\)$/)])
  })

  it('debug is a session option, and must be a boolean or a function', () => {
    expect(() => createSession({ debug: 'yes' as never })).toThrow(InvalidRequestError)
    expect(() => createSession().mount('http://a.test', { debug: true } as never)).toThrow(/`debug` is a session option/)
  })
})
