/**
 * undici is loaded only where and when it is used (issue 18): importing fetch-session on Node does
 * not load it (about 100 ms of a cold process), a session loads it when it is made and sends on it;
 * the Deno, Bun, workerd and browser entries never reach it. The options undici would have refused
 * when the pool was made still fail at createSession(), as typed errors.
 */
import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { createSession, InvalidRequestError } from '../../src/adapters/node'
import { startServer } from '../helpers/server'

const root = resolve(import.meta.dirname, '../..')
const run = promisify(execFile)

// In a fresh process, on the built package as a user imports it.
const PROBE = `
import { createRequire } from 'node:module'
import { createServer } from 'node:http'
const seen = () => Object.keys(createRequire(import.meta.url).cache).some(key => key.includes('/node_modules/undici/'))
const steps = {}
const { createSession, $fetch } = await import('fetch-session')
steps.imported = seen()
const server = createServer((_, res) => res.end('{"ok":true}')).listen(0, '127.0.0.1')
await new Promise(done => server.once('listening', done))
const url = 'http://127.0.0.1:' + server.address().port + '/'
const session = createSession()
steps.sent = (await session(url)).ok
steps.afterSession = seen()
steps.stateless = (await $fetch(url)).ok
await session.close()
server.close()
process.stdout.write(JSON.stringify(steps))
`

describe('undici on Node: loaded when a session needs it', () => {
  it('import("fetch-session") loads no undici; the first session and $fetch do, and send', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', PROBE], { cwd: root })
    expect(JSON.parse(stdout)).toEqual({ imported: false, sent: true, afterSession: true, stateless: true })
  }, 30_000)

  it.each(['deno', 'bun', 'workerd', 'browser'])('the %s entry bundles no undici', async (condition) => {
    const output = await build({ entryPoints: [resolve(root, `dist/adapters/${condition}.js`)], bundle: true, write: false, metafile: true, format: 'esm', platform: condition === 'browser' || condition === 'workerd' ? 'browser' : 'node', conditions: [condition], logLevel: 'silent' })
    expect(Object.keys(output.metafile.inputs).filter(input => input.includes('node_modules/undici/'))).toEqual([])
  })

  it('a proxy URL undici cannot use fails at createSession(), typed, without the URL (it may hold a password)', () => {
    for (const proxy of ['not a url', 'ftp://user:secret@proxy.test:21', { url: 'socks://user:secret@proxy.test:1080', noProxy: 'localhost' }]) {
      let thrown: unknown
      try {
        createSession({ proxy } as never)
      }
      catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(InvalidRequestError)
      expect((thrown as InvalidRequestError).option).toBe('proxy')
      expect((thrown as Error).message).toMatch(/the proxy URL of the proxy option (is not a valid URL|must start with http: or https:)/)
      expect((thrown as Error).message).not.toContain('secret')
    }
  })

  it('a session closed before its first request made no pool, and a request sent as it closes fails with SessionClosedError', async () => {
    const server = await startServer()
    try {
      const session = createSession({ baseURL: server.url })
      await session.close()
      await expect(session('/json')).rejects.toMatchObject({ name: 'SessionClosedError' })
      const other = createSession({ baseURL: server.url })
      const pending = other('/json')
      await other.close()
      await expect(pending).rejects.toMatchObject({ name: 'SessionClosedError' })
    }
    finally {
      await server.close()
    }
  })
})
