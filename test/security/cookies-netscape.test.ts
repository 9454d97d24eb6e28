/**
 * `toNetscape()` never writes a field that breaks the cookies.txt format (issue 12, item 4): a
 * cookie whose domain, path, name or value holds a tab, CR, LF or NUL is left out (the caller
 * hears of it through `onSkip`, and a comment line says so), so a hostile server can neither
 * forge the columns of its line nor make the saved login unreadable. tough-cookie keeps a tab in
 * a Path from a Set-Cookie (it refuses one in a name or value), which is what a server sends here;
 * the other fields are put in a jar directly. The file is read back by `fromNetscape()` and by the
 * real curl.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CookieJar } from 'tough-cookie'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession, fromNetscape, toNetscape } from '../../src/index'
import type { ToNetscapeOptions } from '../../src/cookies/netscape'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { requireDependency } from '../helpers/dependencies'

type Skipped = Parameters<NonNullable<ToNetscapeOptions['onSkip']>>[0]

const folder = mkdtempSync(join(tmpdir(), 'fetch-session-netscape-security-'))
let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  await server.close()
  rmSync(folder, { recursive: true, force: true })
})

/** A session logged in to the test server, whose server then sent hostile cookies with tabs in their Path. */
async function hostileJar(): Promise<CookieJar> {
  const session = createSession({ baseURL: server.url })
  await session.post('/api/login', { body: { username: 'myuser', password: 'mypass' } })
  await session('/set-cookie', {
    method: 'POST',
    body: [
      // Would forge a second line's worth of columns: a sid of the attacker's, replacing the login's on reading.
      'x=1; Path=/\tFALSE\t0\tsid\tFORGED',
      // Would make the file unreadable: "bogus" in the secure column.
      'y=1; Path=/\tbogus',
      // tough-cookie refuses a tab in a value: never stored, never written.
      'v=a\tb; Path=/',
      'theme=dark; Path=/',
    ],
  })
  const jar = session.cookies!
  await session.close()
  return jar
}

describe('toNetscape() and fields that would break the format', () => {
  it('a hostile Path with a tab: the file reads back whole, with the login and nothing forged; onSkip names what was left out', async (context) => {
    const jar = await hostileJar()
    expect((await jar.serialize()).cookies.map(cookie => cookie.key).sort()).toEqual(['sid', 'theme', 'x', 'y'])
    const skipped: Skipped[] = []
    const text = await toNetscape(jar, { onSkip: cookie => void skipped.push(cookie) })
    expect(skipped).toEqual([
      { name: 'x', domain: '127.0.0.1', path: '/\tFALSE\t0\tsid\tFORGED', field: 'path' },
      { name: 'y', domain: '127.0.0.1', path: '/\tbogus', field: 'path' },
    ])
    // Every cookie line has exactly seven columns; the comments say what was left out, on one line each.
    const lines = text.split('\n').filter(line => line !== '')
    for (const line of lines.filter(line => !line.startsWith('#') || line.startsWith('#HttpOnly_'))) expect(line.split('\t')).toHaveLength(7)
    expect(lines.filter(line => line.startsWith('# fetch-session left out'))).toEqual([
      '# fetch-session left out a cookie whose path holds a tab, CR, LF or NUL: {"name":"x","domain":"127.0.0.1","path":"/\\tFALSE\\t0\\tsid\\tFORGED"}',
      '# fetch-session left out a cookie whose path holds a tab, CR, LF or NUL: {"name":"y","domain":"127.0.0.1","path":"/\\tbogus"}',
    ])
    const back = await fromNetscape(text)
    const cookies = (await back.serialize()).cookies
    expect(cookies.map(cookie => `${cookie.key}=${cookie.value}`).sort()).toEqual([`sid=${(await jar.getCookies(server.url)).find(cookie => cookie.key === 'sid')!.value}`, 'theme=dark'])
    expect(cookies.find(cookie => cookie.key === 'sid')).toMatchObject({ httpOnly: true, path: '/' })
    expect(cookies.find(cookie => cookie.key === 'sid')!.secure).toBeFalsy()
    const session = createSession({ baseURL: server.url, cookies: back })
    expect(await session('/protected')).toEqual({ user: 'myuser', secret: 'the protected page' })
    await session.close()
    // The real curl reads the same file: it sends the login and the honest cookie, nothing forged.
    // curl is installed here and on CI (.ci/run); elsewhere this half skips, and the run says so.
    const curl = requireDependency('curl', context)
    const file = join(folder, 'hostile.txt')
    writeFileSync(file, text)
    const { stdout } = await promisify(execFile)(curl, ['--silent', '--show-error', '--max-time', '10', '-b', file, `${server.url}/cookies`], { encoding: 'utf8', timeout: 15_000 })
    expect(JSON.parse(stdout)).toEqual({ cookies: { sid: cookies.find(cookie => cookie.key === 'sid')!.value, theme: 'dark' } })
  })

  it('a tab, CR, LF or NUL in any field of a cookie put in the jar directly: left out, the rest written', async () => {
    const now = new Date().toISOString()
    const cookie = (fields: Record<string, string>): Record<string, unknown> => ({ key: 'k', value: 'v', domain: 'app.example', path: '/', hostOnly: true, creation: now, lastAccessed: now, ...fields })
    const jar = await CookieJar.deserialize({
      cookies: [
        cookie({ key: 'ok' }),
        cookie({ key: 'tabvalue', value: 'a\tb' }),
        cookie({ key: 'line\nname' }),
        cookie({ key: 'crpath', path: '/a\rb' }),
        cookie({ key: 'nul', value: 'a\0b' }),
        cookie({ key: 'tabdomain', domain: 'app.example\tTRUE' }),
      ],
    })
    const skipped: Skipped[] = []
    const text = await toNetscape(jar, { onSkip: item => void skipped.push(item) })
    expect(skipped.map(item => `${item.name}:${item.field}`)).toEqual(['tabvalue:value', 'line\nname:name', 'crpath:path', 'nul:value', 'tabdomain:domain'])
    expect(text).not.toContain('a\tb')
    expect(text).not.toContain('line\n')
    expect(text).not.toContain('\r')
    expect(text).not.toContain('\0')
    expect((await (await fromNetscape(text)).serialize()).cookies.map(item => item.key)).toEqual(['ok'])
    // Without onSkip the same file is written.
    expect(await toNetscape(jar)).toBe(text)
    await expect(toNetscape(jar, { onSkip: 'log' as never })).rejects.toMatchObject({ name: 'InvalidRequestError', option: 'onSkip' })
  })
})
