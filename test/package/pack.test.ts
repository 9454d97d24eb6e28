/**
 * The package as shipped: build, `npm pack`, install the tarball in an empty folder, import it by
 * name from plain Node ESM, and make a real session round trip against the test server.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { npm } from './npm'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

const root = resolve(import.meta.dirname, '../..')
let server: TestServer
let dir: string

beforeAll(async () => {
  server = await startServer()
  dir = mkdtempSync(join(tmpdir(), 'fetch-session-pack-'))
  // `npm test` builds first; build here only when run alone (rebuilding would race the other files).
  if (!existsSync(join(root, 'dist/adapters/node.js'))) npm(['run', 'build'], { cwd: root, stdio: 'pipe' })
  // --ignore-scripts: `prepack` would rebuild dist/ under the other test files (fresh-clone.test.ts packs with it).
  npm(['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: root, stdio: 'pipe' })
  const tarball = readdirSync(dir).find(name => name.endsWith('.tgz'))!
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }))
  npm(['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, tarball)], { cwd: dir, stdio: 'pipe' })
}, 180_000)

afterAll(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('the packed tarball', () => {
  it('ships only dist, README and LICENSE', () => {
    const files = npm(['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    const paths: string[] = JSON.parse(files)[0].files.map((file: { path: string }) => file.path)
    expect(paths.every(path => path.startsWith('dist/') || ['package.json', 'README.md', 'LICENSE'].includes(path))).toBe(true)
    expect(paths).toContain('dist/index.js')
    expect(paths).toContain('dist/index.d.ts')
  })

  it('installs and works when imported by name from plain Node ESM', async () => {
    const script = `
      import { createSession, $fetch, HTTPError, FetchError } from 'fetch-session'
      const base = process.argv[1]
      const session = createSession({ baseURL: base })
      await session('/cookies/set/packed/yes')
      const cookies = await session('/cookies')
      const stateless = await $fetch(base + '/cookies')
      let kind
      try { await session('/status/404') } catch (error) { kind = [error.name, error instanceof HTTPError, error instanceof FetchError].join(',') }
      await session.close()
      console.log(JSON.stringify({ cookies, stateless, kind }))
    `
    // Asynchronous: the test server runs in this process and must keep answering.
    const result = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, server.url], { cwd: dir, encoding: 'utf8', timeout: 30_000 })
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toEqual({
      cookies: { cookies: { packed: 'yes' } },
      stateless: { cookies: {} },
      kind: 'HTTPError,true,true',
    })
  })
})
