/**
 * The package's entry points: export conditions in the order the design asks for, one subpath per
 * runtime, and the same public names from every entry (the snapshot fails when one is added or
 * lost by accident).
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { beforeAll, describe, expect, it } from 'vitest'
import { npm } from './npm'

const root = resolve(import.meta.dirname, '../..')
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

beforeAll(() => {
  if (!existsSync(join(root, 'dist/adapters/node.js'))) npm(['run', 'build'], { cwd: root, stdio: 'pipe' })
}, 120_000)

describe('exports', () => {
  it('selects the adapter by condition, in the order types, deno, bun, workerd, browser, node, default', () => {
    expect(Object.keys(manifest.exports['.'])).toEqual(['types', 'deno', 'bun', 'workerd', 'browser', 'node', 'default'])
    for (const runtime of ['deno', 'bun', 'workerd', 'browser', 'node']) {
      expect(manifest.exports['.'][runtime]).toBe(`./dist/adapters/${runtime}.js`)
      expect(manifest.exports[`./${runtime}`]).toEqual({ types: './dist/index.d.ts', default: `./dist/adapters/${runtime}.js` })
    }
  })

  it('every file the exports name exists after the build', () => {
    const files = new Set<string>()
    const walk = (value: unknown): void => {
      if (typeof value === 'string') files.add(value)
      else if (value && typeof value === 'object') Object.values(value).forEach(walk)
    }
    walk(manifest.exports)
    for (const file of files) expect(existsSync(join(root, file)), file).toBe(true)
  })

  it('declares the Node versions it is tested on', () => {
    expect(manifest.engines).toEqual({ node: '>=20.18.1' })
  })

  it('has one subpath per cookie store; the file store\'s browser condition is a stub without file system code', () => {
    expect(manifest.exports['./stores/file']).toEqual({
      'types': './dist/cookies/stores/file.d.ts',
      'browser': './dist/cookies/stores/file-browser.js',
      'default': './dist/cookies/stores/file.js',
    })
    for (const store of ['web-storage', 'unstorage']) {
      expect(manifest.exports[`./stores/${store}`]).toEqual({ types: `./dist/cookies/stores/${store}.d.ts`, default: `./dist/cookies/stores/${store}.js` })
    }
    // unstorage (and ioredis, for the fleet) are optional peer dependencies, never dependencies.
    expect(manifest.peerDependencies).toEqual({ ioredis: expect.any(String), unstorage: expect.any(String) })
    expect(manifest.peerDependenciesMeta).toEqual({ ioredis: { optional: true }, unstorage: { optional: true } })
    expect(Object.keys(manifest.dependencies)).not.toContain('unstorage')
    expect(Object.keys(manifest.dependencies)).not.toContain('ioredis')
  })

  it('the fleet on Redis has a subpath of its own; under workerd and browser it is a stub with the same names that says why not (issue 15)', async () => {
    expect(manifest.exports['./fleet/redis']).toEqual({
      'types': './dist/fleet/redis.d.ts',
      'workerd': './dist/fleet/redis-unsupported.js',
      'browser': './dist/fleet/redis-unsupported.js',
      'default': './dist/fleet/redis.js',
    })
    const names = async (file: string): Promise<string[]> => Object.keys(await import(join(root, 'dist/fleet', file))).sort()
    expect(await names('redis.js')).toEqual(['REDIS_FLEET_DEFAULTS', 'createRedisFleet'])
    expect(await names('redis-unsupported.js')).toEqual(await names('redis.js'))
    const { REDIS_FLEET_DEFAULTS: defaults } = await import(join(root, 'dist/fleet/redis.js'))
    const { REDIS_FLEET_DEFAULTS: stub } = await import(join(root, 'dist/fleet/redis-unsupported.js'))
    expect(stub).toEqual(defaults)
    // The stub loads neither ioredis's helpers nor node: modules.
    const bundled = await build({ entryPoints: [join(root, 'dist/fleet/redis-unsupported.js')], bundle: true, write: false, format: 'esm', platform: 'neutral', logLevel: 'silent' })
    expect(bundled.outputFiles[0]!.text).not.toMatch(/["']node:|redis-semaphore|rate-limiter-flexible/)
  })

  it('the HTTP cache\'s unstorage store has a subpath of its own, with no node: module (issue 14)', async () => {
    expect(manifest.exports['./cache/unstorage']).toEqual({ types: './dist/cache/unstorage.d.ts', default: './dist/cache/unstorage.js' })
    expect(Object.keys(await import(join(root, 'dist/cache/unstorage.js'))).sort()).toEqual(['createUnstorageCacheStore'])
    const bundled = await build({ entryPoints: [join(root, 'dist/cache/unstorage.js')], bundle: true, write: false, format: 'esm', platform: 'neutral', logLevel: 'silent' })
    expect(bundled.outputFiles[0]!.text).not.toMatch(/["']node:/)
  })

  it('each store subpath exports its store, and the browser stub the same names', async () => {
    const names = async (file: string): Promise<string[]> => Object.keys(await import(join(root, 'dist/cookies/stores', file))).sort()
    expect(await names('file.js')).toEqual(['CookieStoreError', 'FileCookieStore', 'createFileStore'])
    expect(await names('file-browser.js')).toEqual(await names('file.js'))
    expect(await names('web-storage.js')).toEqual(['CookieStoreError', 'WebStorageCookieStore', 'createWebStorageStore'])
    expect(await names('unstorage.js')).toEqual(['CookieStoreError', 'UnstorageCookieStore', 'createUnstorageStore'])
  })

  it('bundlers resolve fetch-session/stores/file by condition: a browser bundle has no node: module, no tough-cookie, and says why', async () => {
    // node_modules/fetch-session -> this package, so that esbuild resolves the subpath through its exports.
    const modules = mkdtempSync(join(tmpdir(), 'fetch-session-modules-'))
    try {
      symlinkSync(root, join(modules, 'fetch-session'), 'dir')
      const bundleFor = async (platform: 'browser' | 'node', conditions: string[]) => {
        const result = await build({
          stdin: { contents: 'export { createFileStore } from \'fetch-session/stores/file\'', resolveDir: modules, loader: 'js' },
          bundle: true,
          write: false,
          metafile: true,
          format: 'esm',
          platform,
          conditions,
          nodePaths: [modules],
          preserveSymlinks: false,
          external: platform === 'node' ? ['tough-cookie'] : [],
          logLevel: 'silent',
        })
        return { text: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile.inputs) }
      }
      const browser = await bundleFor('browser', ['browser'])
      expect(browser.inputs).toContain('dist/cookies/stores/file-browser.js')
      expect(browser.inputs).not.toContain('dist/cookies/stores/file.js')
      expect(browser.inputs.some(input => input.includes('node_modules/tough-cookie/') || input.includes('node_modules/tldts'))).toBe(false)
      expect(browser.text).not.toMatch(/["']node:/)
      const { createFileStore } = await import(`data:text/javascript;base64,${Buffer.from(browser.text).toString('base64')}`)
      expect(() => createFileStore('./cookies.json')).toThrow(/needs a file system \(Node, Deno or Bun\), and this is a browser build/)
      for (const runtime of ['node', 'deno', 'bun']) {
        const server = await bundleFor('node', [runtime])
        expect(server.inputs).toContain('dist/cookies/stores/file.js')
        expect(server.text).toMatch(/from ["']node:fs\/promises["']/)
      }
    }
    finally {
      rmSync(modules, { recursive: true, force: true })
    }
  })

  it('the browser build alone never loads tough-cookie: fromNetscape() says so, unless given the jar to fill', async () => {
    const script = `
      const { fromNetscape, toNetscape } = await import(${JSON.stringify(join(root, 'dist/adapters/browser.js'))})
      const error = await fromNetscape('').catch(error => error)
      const jar = { serialize: async () => ({ cookies: [{ key: 'a', value: '1', domain: 'app.example', path: '/', hostOnly: true }] }) }
      console.log(JSON.stringify({ message: error.message, text: await toNetscape(jar) }))
    `
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' })
    const { message, text } = JSON.parse(stdout)
    expect(message).toBe('fetch-session: fromNetscape() needs tough-cookie, which this build does not load (the browser build: the browser keeps its own cookies); pass the jar to fill: fromNetscape(text, { jar: new CookieJar() })')
    expect(text).toContain('app.example\tFALSE\t/\tFALSE\t0\ta\t1')
  })

  it('fromNetscape() alone, bundled with tree shaking (sideEffects: false), builds jars', async () => {
    // It builds them with the CookieJar its own module imports, not one registered by another module.
    // In the checkout, so that the bundle's external packages (undici, tough-cookie…) resolve.
    const dir = join(root, '.tmp', `netscape-bundle-${process.pid}`)
    try {
      const outfile = join(dir, 'out.mjs')
      await build({
        stdin: { contents: `import { fromNetscape } from ${JSON.stringify(join(root, 'dist/adapters/node.js'))}\nconst jar = await fromNetscape('app.example\\tFALSE\\t/\\tFALSE\\t0\\tsid\\t42\\n')\nconsole.log(await jar.getCookieString('http://app.example/'))`, resolveDir: root, loader: 'js' },
        bundle: true, packages: 'external', format: 'esm', platform: 'node', treeShaking: true, outfile, logLevel: 'silent',
      })
      const { stdout } = await promisify(execFile)(process.execPath, [outfile], { encoding: 'utf8' })
      expect(stdout.trim()).toBe('sid=42')
    }
    finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('every entry exports the same public names (the browser\'s createMemoryCacheStore keeps nothing: the browser\'s HTTP cache serves there)', async () => {
    const entries = ['index', 'adapters/node', 'adapters/deno', 'adapters/bun', 'adapters/workerd', 'adapters/browser']
    const names = await Promise.all(entries.map(async entry => Object.keys(await import(join(root, 'dist', `${entry}.js`))).sort()))
    for (const list of names.slice(1)) expect(list).toEqual(names[0])
    const browser = await import(join(root, 'dist/adapters/browser.js')) as { createMemoryCacheStore: () => { get: (key: string) => unknown, set: (key: string, record: unknown, ttl: number) => void, size: number } }
    const inert = browser.createMemoryCacheStore()
    inert.set('k', { kind: 'variants', vary: [], id: '1' }, 1000)
    expect([inert.get('k'), inert.size]).toEqual([undefined, 0])
    expect(names[0]).toMatchInlineSnapshot(`
      [
        "$fetch",
        "AbortError",
        "AuthError",
        "BodyTooLargeError",
        "CookieStoreError",
        "DEFAULT_RETRY_METHODS",
        "DEFAULT_RETRY_STATUS_CODES",
        "FetchError",
        "FleetError",
        "HTTPError",
        "InvalidRequestError",
        "NETWORK_ERROR_CODES",
        "NetworkError",
        "ParseError",
        "RETRY_DEFAULTS",
        "RedirectError",
        "SchemaError",
        "SessionClosedError",
        "TimeoutError",
        "UnsupportedOptionError",
        "createMemoryCacheStore",
        "createSession",
        "fromNetscape",
        "isSessionError",
        "parseRetryAfter",
        "toNetscape",
      ]
    `)
  })
})
