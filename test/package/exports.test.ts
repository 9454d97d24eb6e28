/**
 * The package's entry points: export conditions in the order the design asks for, one subpath per
 * runtime, and the same public names from every entry (the snapshot fails when one is added or
 * lost by accident).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

beforeAll(() => {
  if (!existsSync(join(root, 'dist/adapters/node.js'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'pipe' })
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

  it('every entry exports the same public names', async () => {
    const entries = ['index', 'adapters/node', 'adapters/deno', 'adapters/bun', 'adapters/workerd', 'adapters/browser']
    const names = await Promise.all(entries.map(async entry => Object.keys(await import(join(root, 'dist', `${entry}.js`))).sort()))
    for (const list of names.slice(1)) expect(list).toEqual(names[0])
    expect(names[0]).toMatchInlineSnapshot(`
      [
        "$fetch",
        "AbortError",
        "DEFAULT_RETRY_METHODS",
        "DEFAULT_RETRY_STATUS_CODES",
        "FetchError",
        "HTTPError",
        "InvalidRequestError",
        "NetworkError",
        "RETRY_DEFAULTS",
        "RedirectError",
        "SessionClosedError",
        "TimeoutError",
        "UnsupportedOptionError",
        "createSession",
        "isSessionError",
        "parseRetryAfter",
      ]
    `)
  })
})
