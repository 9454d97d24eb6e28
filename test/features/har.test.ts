/**
 * The HAR recording (issue 16 item 5): `har: true` and `session.har()`. A login flow (a form login
 * whose redirect sets the session cookie, a Bearer token refreshed after a 401, a secret in a
 * query) against the local server gives a HAR 1.2 log with an entry per request on the wire, no
 * secret in it, bodies cut at `maxBodySize`; the log passes the HAR 1.2 JSON schema (har-schema
 * with ajv) and Chromium's own DevTools HAR importer (the code behind the Network panel's "Import
 * HAR file"), run in headless Chromium.
 */
import { createRequire } from 'node:module'
import { chromium } from 'playwright-core'
import Ajv from 'ajv'
import addFormats from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { $fetch, createSession, InvalidRequestError } from '../../src/index'
import { createSession as createBrowserSession } from '../../src/adapters/browser'
import type { HarLog, Session } from '../../src/index'
import { dependencySkip, requireDependency } from '../helpers/dependencies'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { closedPort } from '../runtimes/common'

const require = createRequire(import.meta.url)

let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  await server.close()
})

interface Flow {
  har: HarLog
  secrets: string[]
}

/**
 * The login flow: the form (its CSRF token), the form login (302 to /dashboard, setting `sid`),
 * the dashboard, a Bearer call that gets a 401 and is sent again after the refresh (which logs in
 * with JSON and gets a token back), and a call with `?token=` in its URL whose echo repeats it.
 */
async function loginFlow(): Promise<Flow> {
  let token = ''
  const secrets = ['wonderland', 'expired-bearer-secret', 'query-secret-value']
  await using session: Session = createSession({
    baseURL: server.url,
    har: { maxBodySize: 4096 },
    auth: { bearer: 'expired-bearer-secret', refresh: async () => {
      token = (await session<{ token: string }>('/api/login', { method: 'POST', body: { username: 'alice', password: 'wonderland' } })).token
      return token
    } },
  })
  const form = await session<string>('/login', { responseType: 'text' })
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(form)![1]!
  await session('/login', { method: 'POST', body: new URLSearchParams({ username: 'alice', password: 'wonderland', csrf_token: csrf }) })
  await session('/api/users/1')
  await session('/get?token=query-secret-value&page=2')
  const cookies = (await session.cookies!.getCookies(server.url)).map(cookie => cookie.value)
  return { har: session.har(), secrets: [...secrets, csrf, token, ...cookies] }
}

describe('HAR', () => {
  let flow: Flow
  beforeAll(async () => {
    flow = await loginFlow()
  })

  it('an entry per request on the wire, in order: methods, statuses, redirects, resends', () => {
    const entries = flow.har.log.entries
    const rows = entries.map(entry => [entry.request.method, new URL(entry.request.url as string).pathname, entry.response.status, entry.response.redirectURL])
    expect(rows).toEqual([
      ['GET', '/login', 200, ''],
      ['POST', '/login', 302, `${server.url}/dashboard`],
      ['GET', '/dashboard', 200, ''],
      ['GET', '/api/users/1', 401, ''],
      ['POST', '/api/login', 200, ''],
      ['GET', '/api/users/1', 200, ''],
      ['GET', '/get', 200, ''],
    ])
    expect(flow.har.log.version).toBe('1.2')
    // The redirect hop and the resend after the refresh say so.
    expect(entries.map(entry => [entry._fetchSessionHop, entry._resendCount])).toEqual([[0, 0], [0, 0], [1, 1], [0, 0], [0, 0], [0, 1], [0, 0]])
    const post = entries[1]!.request
    expect(post.postData).toEqual({ mimeType: 'application/x-www-form-urlencoded;charset=UTF-8', text: 'username=alice&password=REDACTED&csrf_token=REDACTED' })
    expect(post.bodySize).toBe('username=alice&password=wonderland&csrf_token='.length + flow.secrets[3]!.length)
    expect(entries[1]!.response.cookies).toEqual([{ name: 'sid', value: 'REDACTED', path: '/', httpOnly: true }])
    expect(entries[2]!.request.cookies).toEqual(expect.arrayContaining([{ name: 'sid', value: 'REDACTED' }]))
    expect(entries[5]!.request.headers).toContainEqual({ name: 'authorization', value: 'Bearer REDACTED' })
    expect(entries[6]!.request.queryString).toEqual([{ name: 'token', value: 'REDACTED' }, { name: 'page', value: '2' }])
    const dashboard = entries[2]!.response.content as Record<string, unknown>
    expect(dashboard.mimeType).toBe('text/html; charset=utf-8')
    expect(dashboard.text).toContain('Welcome, alice!')
    for (const entry of entries) {
      expect(Date.parse(entry.startedDateTime)).not.toBeNaN()
      expect(entry.time).toBeGreaterThanOrEqual(0)
      expect(entry.timings).toMatchObject({ blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0 })
      expect(entry.timings.wait).toBeGreaterThanOrEqual(0)
    }
  })

  it('no secret anywhere: password, tokens, cookie values, the CSRF token, a ?token= value', () => {
    const text = JSON.stringify(flow.har)
    expect(flow.secrets.length).toBeGreaterThanOrEqual(6)
    for (const secret of flow.secrets) expect(text, secret).not.toContain(secret)
    expect(text).toContain('REDACTED')
    // Its echo in a body too: the /get echo repeated the URL, the Cookie and the Authorization header.
    const echo = flow.har.log.entries[6]!.response.content as { text: string }
    expect(JSON.parse(echo.text).url).toBe(`${server.url}/get?token=REDACTED&page=2`)
  })

  it('passes the HAR 1.2 JSON schema (har-schema, with ajv)', async () => {
    const validate = harValidator()
    expect(flow.har.log.entries.length).toBe(7)
    expect(validate(flow.har), JSON.stringify(validate.errors)).toBe(true)
    // A request that got no response is an entry too (status 0, `_error`), and valid.
    await using session = createSession({ har: true, retry: 0 })
    await expect(session(`http://127.0.0.1:${await closedPort()}/nothing`)).rejects.toThrow()
    const failed = session.har()
    expect(failed.log.entries.map(entry => [entry.response.status, typeof entry.response._error])).toEqual([[0, 'string']])
    expect(validate(failed), JSON.stringify(validate.errors)).toBe(true)
  })

  it('bodies are kept up to maxBodySize, and say when they were cut, not read or cancelled', async () => {
    await using session = createSession({ baseURL: server.url, har: { maxBodySize: 100 } })
    await session('/anything', { method: 'POST', body: 'x'.repeat(300), headers: { 'content-type': 'text/plain' } })
    await session('/bytes/300', { responseType: 'arrayBuffer' })
    const unread = await session.native(`${server.url}/bytes/50`)
    const [echo, bytes, pending] = session.har().log.entries
    expect(echo!.request.postData).toEqual({ mimeType: 'text/plain', text: 'x'.repeat(100), comment: 'truncated to maxBodySize: 100 of 300 bytes' })
    expect(echo!.request.bodySize).toBe(300)
    expect((echo!.response.content as { text: string }).text).toHaveLength(100)
    expect(bytes!.response.content).toEqual({ size: 300, mimeType: 'application/octet-stream', text: expect.any(String), encoding: 'base64', comment: 'truncated to maxBodySize: 100 of 300 bytes' })
    expect(atob((bytes!.response.content as { text: string }).text)).toHaveLength(100)
    expect(bytes!.response.bodySize).toBe(300)
    // The recording never reads a body: it is empty until the caller reads it, then complete.
    expect(pending!.response.content).toEqual({ size: 0, mimeType: 'application/octet-stream', comment: 'the body was not read to its end (0 bytes read)' })
    expect((await unread.arrayBuffer()).byteLength).toBe(50)
    expect(session.har().log.entries[2]!.response.content).toEqual({ size: 50, mimeType: 'application/octet-stream', text: expect.any(String), encoding: 'base64' })
  })

  it('keeps maxEntries (the oldest go), shares the recording with extend() children, and gives fresh snapshots', async () => {
    await using session = createSession({ baseURL: server.url, har: { maxEntries: 2 } })
    const child = session.extend({ headers: { 'x-child': '1' } })
    await session('/get?n=1')
    await child('/get?n=2')
    const before = session.har()
    await session('/get?n=3')
    expect(session.har().log.entries.map(entry => entry.request.url)).toEqual([`${server.url}/get?n=2`, `${server.url}/get?n=3`])
    expect(child.har().log.entries).toHaveLength(2)
    expect(before.log.entries.map(entry => entry.request.url)).toEqual([`${server.url}/get?n=1`, `${server.url}/get?n=2`])
    before.log.entries.length = 0
    expect(session.har().log.entries).toHaveLength(2)
    expect(JSON.parse(JSON.stringify(session.har()))).toEqual(session.har())
    // A child given `har: false` records nothing; without `har`, a session records nothing.
    const quiet = session.extend({ har: false })
    await quiet('/get?n=4')
    expect(quiet.har().log.entries).toEqual([])
    expect(session.har().log.entries.at(-1)!.request.url).toBe(`${server.url}/get?n=3`)
  })

  it('is refused on a mount, a request and $fetch.create(), and checks its bounds', async () => {
    await using session = createSession({ baseURL: server.url })
    const refused = (run: () => unknown): void => {
      let error: unknown
      try {
        run()
      }
      catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(InvalidRequestError)
      expect((error as InvalidRequestError).option).toMatch(/^har/)
    }
    refused(() => session.mount(server.url, { har: true } as never))
    refused(() => $fetch.create({ har: true } as never))
    refused(() => createSession({ har: 5 as never }))
    refused(() => createSession({ har: { maxBodySize: -1 } }))
    refused(() => createSession({ har: { maxEntries: 0 } }))
    await expect(session('/get', { har: true } as never)).rejects.toMatchObject({ option: 'har' })
  })
})

const noChromium = dependencySkip('chromium', 'HAR: Chromium\'s DevTools import', import.meta.filename)

describe.skipIf(noChromium !== undefined)('HAR: Chromium\'s DevTools import', () => {
  it('the log loads in DevTools\' HAR importer (the Network panel\'s "Import HAR file")', async () => {
    const flow = await loginFlow()
    const browser = await chromium.launch({ executablePath: requireDependency('chromium'), args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'], timeout: 20_000 })
    try {
      const page = await browser.newPage()
      // Chromium's own DevTools front end, bundled in the browser: its modules are the importer's.
      await page.goto('devtools://devtools/bundled/devtools_app.html', { timeout: 20_000 })
      const requests = await page.evaluate(importInDevTools, JSON.stringify(flow.har))
      expect(requests.imported).toBe(7)
      expect(requests.rows.map(row => [row.method, new URL(row.url).pathname, row.status])).toEqual(flow.har.log.entries.map(entry => [entry.request.method, new URL(entry.request.url as string).pathname, entry.response.status]))
      expect(requests.rows[1]!.form).toBe('username=alice&password=REDACTED&csrf_token=REDACTED')
      expect(requests.rows[2]!.content).toContain('Welcome, alice!')
      expect(requests.rows[6]!.requestHeaders).toContain('authorization: Bearer REDACTED')
    }
    finally {
      await browser.close()
    }
  }, 60_000)
})

interface ImportedRow {
  url: string
  method: string
  status: number
  form: string | null
  content: string
  requestHeaders: string
}

/**
 * Runs in the DevTools page what its Network panel's `onLoadFromFile` runs: `new HARRoot(JSON)`,
 * `Importer.requestsFromHARLog(root.log)`, `NetworkLog.importRequests(requests)`.
 */
async function importInDevTools(text: string): Promise<{ imported: number, rows: ImportedRow[] }> {
  // Through `Function`: Vite would rewrite an `import()` written here, and this runs in the page.
  const load = new Function('path', 'return import(path)') as (path: string) => Promise<any>
  const HAR = await load('./models/har/har.js')
  const Logs = await load('./models/logs/logs.js')
  const root = new HAR.HARFormat.HARRoot(JSON.parse(text))
  const requests = HAR.Importer.Importer.requestsFromHARLog(root.log)
  const log = Logs.NetworkLog.NetworkLog.instance()
  log.importRequests(requests)
  const rows: ImportedRow[] = []
  for (const request of requests) {
    const content = await request.requestContentData()
    rows.push({
      url: request.url(),
      method: request.requestMethod,
      status: request.statusCode,
      form: await request.requestFormData(),
      content: content.error ? `error: ${content.error}` : content.isTextContent ? content.text : content.base64,
      requestHeaders: request.requestHeaders().map((header: { name: string, value: string }) => `${header.name}: ${header.value}`).join('\n'),
    })
  }
  return { imported: log.requests().length, rows }
}

/** The HAR 1.2 schema of har-schema (draft-06), compiled by ajv 8 with its formats. */
function harValidator(): ReturnType<Ajv['compile']> {
  const ajv = new Ajv({ strict: false, allErrors: true })
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'))
  addFormats(ajv)
  const schemas = require('har-schema') as Record<string, object>
  for (const schema of Object.values(schemas)) ajv.addSchema(schema)
  return ajv.getSchema('har.json#')!
}

describe('HAR in browsers', () => {
  it('is refused with UnsupportedOptionError: the browser\'s devtools record the traffic, and the build has no recorder', () => {
    expect(() => createBrowserSession({ har: true })).toThrow(expect.objectContaining({ name: 'UnsupportedOptionError', option: 'har', runtime: 'browser', message: expect.stringMatching(/Export HAR/) }))
    expect(createBrowserSession().har().log.entries).toEqual([])
  })
})
