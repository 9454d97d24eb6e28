/** `npm run playground` on a fresh checkout: every seed scenario runs offline and prints its result. */
import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..')

describe('playground', () => {
  it('runs every scenario of the seed article and exits cleanly', async () => {
    const started = Date.now()
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'playground/index.ts'], { cwd: root, encoding: 'utf8', timeout: 120_000 })
    expect(stdout).toMatch(/\n19 scenarios, 19 ok\n?$/)
    expect(stdout).not.toContain('FAILED')
    for (const title of ['Stateless $fetch vs a session', 'Login, then a protected page', 'Connection pooling', 'Header persistence', 'Configuration persistence', 'retries with session.mount()', 'APIClient', 'CSRF token', 'Always close sessions', 'Timeouts', 'Error handling', 'A persistent session']) {
      expect(stdout).toContain(title)
    }
    // the cookie of the session example comes back; the stateless one does not
    expect(stdout).toContain(`session /cookies                   { cookies: { sessioncookie: '123456789' } }`)
    expect(stdout).toContain('Welcome, myuser!')
    // Connection pooling: without reuse every call opens a connection; one session reuses its own
    // (undici may open a second); over https that also shows in the time (the scenario checks it).
    for (const scheme of ['plain http', 'https']) {
      const lesson = stdout.split(`x GET /get over ${scheme}`)[1]!.split('  -- ')[0]!
      expect(lesson, scheme).toMatch(/a new session per call +\d+ ms \([\d.]+ ms a call\), 20 new TCP connections\n/)
      expect(lesson, scheme).toMatch(/one session, Connection: close +\d+ ms \([\d.]+ ms a call\), 20 new TCP connections\n/)
      expect(lesson, scheme).toMatch(/one session +\d+ ms \([\d.]+ ms a call\), [12] new TCP connections?\n/)
    }
    expect(stdout).toMatch(/one session \/ Connection: close +\d+% of the time/)
    expect(stdout).toMatch(/\[#{30}\] 100% 4194304 \/ 4194304 bytes/)
    expect(stdout).toContain('refreshes                          1')
    // the persistent session: logged in by a child process, still logged in here without a login
    expect(stdout).toMatch(/GET \/dashboard +200 Welcome, myuser!/)
    // The fleet: two processes shared 10 a second, or (without redis-server) one line saying what it needs.
    expect(stdout).toMatch(/requests the server saw +20\n|skipped: this scenario needs redis-server/)
    expect(Date.now() - started).toBeLessThan(60_000)
  }, 120_000)
})
