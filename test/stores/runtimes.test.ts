/**
 * The persistent stores outside Node: the file store in Deno and Bun (one file shared by Node,
 * Deno and Bun processes at the same time, nothing lost, a login made in Deno used by Bun), and
 * the Web Storage store over Deno's real `localStorage`, which keeps a login between two Deno
 * processes. The sessions and the stores are the built package, resolved through its export
 * conditions for the runtime (`fetch-session`, `fetch-session/stores/*`).
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { CookieJar } from 'tough-cookie'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFileStore } from '../../src/cookies/stores/file'
import { requireDependency } from '../helpers/dependencies'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { resolvePackage } from '../runtimes/common'
import { childEnv } from '../runtimes/deno-and-bun'
import type { RuntimePlan } from './fixtures/runtime'
import { root } from './helpers'

const run = promisify(execFile)
let server: TestServer
const folder = mkdtempSync(join(tmpdir(), 'fetch-session-runtimes-'))
const denoDir = join(folder, 'deno-dir')

beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  await server?.close()
  rmSync(folder, { recursive: true, force: true })
  for (const result of await Promise.allSettled(Object.values(bundles))) {
    if (result.status === 'fulfilled') rmSync(result.value, { force: true })
  }
})

const bundles: Partial<Record<'deno' | 'bun', Promise<string>>> = {}

/** fixtures/runtime.ts for `runtime`: `fetch-session` is dist/ through its export condition; node: built-ins stay imports. */
async function bundleFor(runtime: 'deno' | 'bun'): Promise<string> {
  if (!existsSync(join(root, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
  const outdir = join(root, '.tmp', 'stores')
  mkdirSync(outdir, { recursive: true })
  const outfile = join(outdir, `runtime-${runtime}-${process.pid}.mjs`)
  await build({
    entryPoints: [join(root, 'test/stores/fixtures/runtime.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: [runtime],
    mainFields: ['module', 'main'],
    alias: { 'fetch-session': resolvePackage([runtime]) },
    external: ['node:*'],
    logLevel: 'error',
    plugins: [{
      // The fixture imports the stores from source (for the type checker); bundle the built ones instead.
      name: 'built-stores',
      setup(build) {
        build.onResolve({ filter: /\/src\/cookies\/stores\/[\w-]+$/ }, args => ({ path: resolveSubpath(`./stores/${args.path.split('/').at(-1)}`, [runtime]) }))
      },
    }],
  })
  return outfile
}

/** The file a subpath of the package resolves to under `conditions` (the first matching key, in the manifest's order). */
function resolveSubpath(subpath: string, conditions: string[]): string {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> }
  for (const [condition, target] of Object.entries(manifest.exports[subpath]!)) {
    if (condition !== 'types' && (condition === 'default' || conditions.includes(condition))) return join(root, target)
  }
  throw new Error(`no export of fetch-session${subpath.slice(1)} matches ${conditions.join(', ')}`)
}

/** The hostile sites of the flood tests: the test server under eight more loopback addresses. */
const floodHosts = Array.from({ length: 8 }, (_, index) => `127.0.0.${index + 2}`)

/**
 * Runs fixtures/runtime.ts in Deno (only the permissions the store needs; `location` gives its
 * localStorage an origin of its own) or Bun.
 */
async function inRuntime(runtime: 'deno' | 'bun', bin: string, plan: RuntimePlan, options: { location?: string } = {}): Promise<Record<string, any>> {
  const file = await (bundles[runtime] ??= bundleFor(runtime))
  const command = runtime === 'deno'
    ? [bin, 'run', '--no-config', '--no-lock', `--allow-read=${folder}`, `--allow-write=${folder}`, `--allow-net=${['127.0.0.1', ...floodHosts].join(',')}`, ...(options.location ? [`--location=${options.location}`] : []), file, JSON.stringify(plan)]
    : [bin, file, JSON.stringify(plan)]
  const { stdout } = await run(command[0]!, command.slice(1), { cwd: root, encoding: 'utf8', timeout: 50_000, env: childEnv({ DENO_DIR: denoDir, NO_COLOR: '1' }) })
  return JSON.parse(stdout.trim().split('\n').at(-1)!)
}

describe('the file store in Deno and Bun', () => {
  it('Node, Deno and Bun share one file at the same time: nothing is lost, Deno\'s login is Bun\'s', async (context) => {
    const deno = requireDependency('deno', context)
    const bun = requireDependency('bun', context)
    const path = join(folder, 'shared', 'cookies.json')
    const node = createFileStore(path, { writeDelay: 0 })
    await new CookieJar(node).setCookie('node=1; Path=/', server.url)
    await node.flush()
    // Deno logs in and sets 15 cookies while Bun sets 15 of its own, one write per response each.
    const [fromDeno, fromBun] = await Promise.all([
      inRuntime('deno', deno, { store: { kind: 'file', path }, baseURL: server.url, login: { username: 'alice', password: 'wonderland' }, set: { prefix: 'deno', count: 15 } }),
      inRuntime('bun', bun, { store: { kind: 'file', path }, baseURL: server.url, set: { prefix: 'bun', count: 15 } }),
    ])
    expect(fromDeno.welcome).toBe('Welcome, alice!')
    expect(fromDeno.protected).toMatchObject({ status: 200, body: { user: 'alice' } })
    expect(fromDeno.cookies).toEqual(expect.arrayContaining(['node', 'sid', 'deno0', 'deno14']))
    expect(fromBun.cookies).toEqual(expect.arrayContaining(['node', 'bun0', 'bun14']))
    const expected = ['node', 'sid', 'csrf_id', ...Array.from({ length: 15 }, (_, index) => `deno${index}`), ...Array.from({ length: 15 }, (_, index) => `bun${index}`)]
    expect((await new CookieJar(createFileStore(path)).getCookies(server.url)).map(cookie => cookie.key).sort()).toEqual(expected.sort())
    // A later Bun process is logged in with the session Deno started.
    const later = await inRuntime('bun', bun, { store: { kind: 'file', path }, baseURL: server.url })
    expect(later.protected).toMatchObject({ status: 200, body: { user: 'alice' } })
  }, 60_000)
})

describe('the web storage store in Deno', () => {
  it('keeps a login in Deno\'s localStorage from one process to the next', async (context) => {
    const deno = requireDependency('deno', context)
    const key = `login-${Date.now()}`
    const first = await inRuntime('deno', deno, { store: { kind: 'web-storage', key }, baseURL: server.url, login: { username: 'myuser', password: 'mypass' } })
    expect(first.welcome).toBe('Welcome, myuser!')
    const second = await inRuntime('deno', deno, { store: { kind: 'web-storage', key }, baseURL: server.url })
    expect(second.protected).toMatchObject({ status: 200, body: { user: 'myuser' } })
    expect(second.cookies).toEqual(['csrf_id', 'sid'])
    // Another key of the same localStorage is another jar: not logged in.
    const other = await inRuntime('deno', deno, { store: { kind: 'web-storage', key: `${key}-other` }, baseURL: server.url })
    expect(other.protected).toMatchObject({ status: 401 })
  }, 60_000)
})

describe('a hostile site cannot fill Web Storage (issue 12 item 3)', () => {
  // Eight hostile sites set the 180 cookies of 4000 characters the jar admits per domain: 5.9 MB.
  const flood = (): RuntimePlan['flood'] => ({ origins: floodHosts.map(host => `http://${host}:${server.port}`), count: 180, size: 4000 })
  const login = { username: 'alice', password: 'wonderland' }

  it('Deno\'s real localStorage (10 MB quota, 8 MB of it the app\'s own data): the flood stays within the budget, a login works and the next process has it', async (context) => {
    const deno = requireDependency('deno', context)
    const key = `flood-${Date.now()}`
    const location = 'http://flood.localhost/'
    const first = await inRuntime('deno', deno, { store: { kind: 'web-storage', key, filler: 8_000_000 }, baseURL: server.url, flood: flood(), login, reload: true }, { location })
    expect(first.flood).toBe('ok')
    expect(first.used).toBeLessThanOrEqual(1_000_000)
    expect(first.welcome).toBe('Welcome, alice!')
    expect(first.reloaded).toMatchObject({ status: 200, body: { user: 'alice' } })
    const second = await inRuntime('deno', deno, { store: { kind: 'web-storage', key }, baseURL: server.url }, { location })
    expect(second.protected).toMatchObject({ status: 200, body: { user: 'alice' } })
  }, 120_000)

  it('Bun, over a Storage with a 5 MiB quota: the flood stays within the budget, a login works and survives a reload', async (context) => {
    const bun = requireDependency('bun', context)
    const result = await inRuntime('bun', bun, { store: { kind: 'quota-storage' }, baseURL: server.url, flood: flood(), login, reload: true })
    expect(result.flood).toBe('ok')
    expect(result.used).toBeLessThanOrEqual(1_000_000)
    expect(result.welcome).toBe('Welcome, alice!')
    expect(result.reloaded).toMatchObject({ status: 200, body: { user: 'alice' } })
  }, 120_000)
})
