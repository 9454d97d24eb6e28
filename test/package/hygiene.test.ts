/**
 * Package hygiene, on what users install: publint and arethetypeswrong clean on the packed
 * tarball, and bundle-size ceilings per entry (minified + gzipped, dependencies included), set
 * from the first measurement (browser 18.9 KiB, generic 74.2 KiB) with some room; the HTTP cache
 * (http-cache-semantics and its middleware) is in every entry but the browser's.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { publint } from 'publint'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { npm } from './npm'

const root = resolve(import.meta.dirname, '../..')
let dir: string
let tarball: string

beforeAll(() => {
  if (!existsSync(join(root, 'dist/adapters/node.js'))) npm(['run', 'build'], { cwd: root, stdio: 'pipe' })
  dir = mkdtempSync(join(tmpdir(), 'fetch-session-hygiene-'))
  // --ignore-scripts: `prepack` would rebuild dist/ under the other test files (fresh-clone.test.ts packs with it).
  npm(['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: root, stdio: 'pipe' })
  tarball = join(dir, readdirSync(dir).find(name => name.endsWith('.tgz'))!)
}, 120_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('package hygiene', () => {
  it('publint finds nothing', async () => {
    const { messages } = await publint({ pkgDir: root, strict: true, pack: 'npm' })
    expect(messages).toEqual([])
  })

  it('arethetypeswrong finds nothing for an ESM-only package', async () => {
    const cli = join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js')
    const { stdout } = await promisify(execFile)(process.execPath, [cli, tarball, '--profile', 'esm-only', '--format', 'json'], { encoding: 'utf8', maxBuffer: 20_000_000 })
    const report = JSON.parse(stdout) as { analysis: { problems: Array<{ kind: string, resolutionKind?: string }> } }
    const problems = report.analysis.problems.filter(problem => problem.resolutionKind !== 'node10' && problem.resolutionKind !== 'node16-cjs')
    expect(problems).toEqual([])
  }, 60_000)

  const ceilings: Array<[string, string, string[], number]> = [
    // Issues 11 and 12 (network error codes, ParseError, one error rule, secret redaction, close()) took it
    // past 22 KB; issue 13 (the layer contracts, `use`, the hooks' resolved options) took the generic
    // entry to 83.8 KB, and the browser's stayed under 26 KB by leaving out the redirect and cookie
    // middleware the browser owns; issue 18 sets the real target (8 KB). Issue 14 added the HTTP
    // cache (http-cache-semantics and the cache middleware): the generic entry measured 91.3 KB; the
    // browser's, whose cache is the browser's, 26.0 KB with the cache option, the modes and a
    // createMemoryCacheStore() that keeps nothing (so isomorphic code bundles): 27 KB. Issue 16 added
    // tracing, the debug log, timings (Resource Timing in browsers) and the HAR recorder, which the
    // browser build leaves out (its devtools record): 28.3 KB and 96.6 KB, so 29 KB and 97 KB. Then
    // `schema` (SchemaError) and `session.paginate()` (issue 17): 29.3 KB and 97.6 KB, so 30 KB and 98 KB.
    // The fleet (issue 15: the option, the limiter's and the auth layer's hooks, FleetError; the Redis
    // store is a subpath of its own): 30.4 KB and 98.5 KB, so 31 KB and 99 KB.
    // Upload progress and download resume (issue 17) on top: 32.1 KB and 100.2 KB, so 33 KB and 101 KB.
    // Issue 18 set the targets: 8 KB for the browser, 68 KB for workerd, Deno and Bun (the package
    // adding 11 KB over tough-cookie's 57). They are missed (32.2 KB; 100.5, 104.2, 104.0 KB: the
    // README's Benchmarks section says by how much and why), so these ceilings hold today's sizes:
    // the entries cannot grow unseen. Each runtime's own entry is held, not only the generic one.
    ['browser', 'dist/adapters/browser.js', ['browser'], 33 * 1024],
    ['generic (with tough-cookie, the public suffix list and http-cache-semantics)', 'dist/index.js', [], 101 * 1024],
    ['workerd', 'dist/adapters/workerd.js', ['workerd'], 101 * 1024],
    ['deno', 'dist/adapters/deno.js', ['deno'], 105 * 1024],
    ['bun', 'dist/adapters/bun.js', ['bun'], 105 * 1024],
  ]
  it.each(ceilings)('the %s entry stays under its size ceiling', async (_, entry, conditions, ceiling) => {
    const output = await build({ entryPoints: [join(root, entry)], bundle: true, minify: true, write: false, format: 'esm', platform: 'browser', conditions, logLevel: 'error' })
    const gzipped = gzipSync(output.outputFiles[0]!.contents).length
    expect(gzipped).toBeLessThan(ceiling)
  })

  // A string of the cache middleware's own (its 504 for `only-if-cached`): dist/ is in chunks, so the
  // bundle's inputs do not name the middleware's module.
  const MIDDLEWARE_MARK = 'not in the cache: only-if-cached'
  const cacheIn = async (entry: string, conditions: string[], platform: 'browser' | 'node') => {
    const output = await build({ entryPoints: [join(root, entry)], bundle: true, write: false, metafile: true, format: 'esm', platform, conditions, external: ['undici'], logLevel: 'error' })
    const text = output.outputFiles[0]!.text
    return {
      policy: Object.keys(output.metafile.inputs).some(input => input.includes('node_modules/http-cache-semantics/')),
      middleware: text.includes(MIDDLEWARE_MARK),
      // http-cache-semantics' own words (a Cache-Control directive it reads).
      directive: text.includes('stale-while-revalidate'),
    }
  }

  it('the browser entry bundles neither http-cache-semantics nor the cache middleware (the browser\'s cache serves)', async () => {
    expect(await cacheIn('dist/adapters/browser.js', ['browser'], 'browser')).toEqual({ policy: false, middleware: false, directive: false })
  })

  it.each([['node'], ['deno'], ['bun'], ['workerd']])('the %s entry bundles both', async (runtime) => {
    expect(await cacheIn(`dist/adapters/${runtime}.js`, [runtime], 'node')).toEqual({ policy: true, middleware: true, directive: true })
  })
})
