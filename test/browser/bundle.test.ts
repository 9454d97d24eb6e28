/**
 * The browser build never loads tough-cookie (nor its dependency tldts): a browser session keeps
 * no jar, so a bundler resolving `fetch-session` with the `browser` condition must not pull them
 * in. Checked two ways on the built package (`dist/`, as `npm run build` makes it):
 *   1. esbuild bundles `fetch-session` for the browser: no input from tough-cookie or tldts, and
 *      none of their code in the output;
 *   2. the import graph of dist/adapters/browser.js (its relative imports followed through dist/)
 *      never names 'tough-cookie' or 'tldts'.
 * Each check is also run on the workerd build, which does use tough-cookie, to prove it can fail.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { build } from 'esbuild'
import { beforeAll, describe, expect, it } from 'vitest'
import { resolvePackage, root } from '../runtimes/common'

const FORBIDDEN = ['tough-cookie', 'tldts']

/** Names from tough-cookie's and tldts' code (not minified by these bundles), absent from ours. */
const FINGERPRINTS = ['MemoryCookieStore', 'permuteDomain', 'canonicalDomain', 'getPublicSuffix']

beforeAll(() => {
  if (!existsSync(join(root, 'dist/adapters/browser.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
})

/** Bundles `import * from 'fetch-session'` for a browser, resolving the package through `conditions`. */
async function bundleFor(conditions: string[]): Promise<{ text: string, inputs: string[] }> {
  const result = await build({
    stdin: { contents: 'export * from \'fetch-session\'', resolveDir: root, loader: 'js' },
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions,
    alias: { 'fetch-session': resolvePackage(conditions) },
    logLevel: 'silent',
  })
  return { text: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile.inputs) }
}

const IMPORT = /(?:^|[;\s])(?:import|export)\s*(?:[\w*${}\s,]*?\sfrom\s*)?["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)/g

/** Every module specifier a dist file imports or re-exports (static and dynamic). */
function specifiers(file: string): string[] {
  const code = readFileSync(file, 'utf8')
  return [...code.matchAll(IMPORT)].map(match => (match[1] ?? match[2])!)
}

/** Walks a dist entry's relative imports; returns the files reached and the packages they name. */
function importGraph(entry: string): { files: string[], packages: Set<string> } {
  const files: string[] = []
  const packages = new Set<string>()
  const pending = [resolve(entry)]
  while (pending.length > 0) {
    const file = pending.pop()!
    if (files.includes(file)) continue
    files.push(file)
    for (const specifier of specifiers(file)) {
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier))
      else packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!)
    }
  }
  return { files: files.map(file => relative(root, file)), packages }
}

describe('the browser build never imports tough-cookie or tldts', () => {
  it('a browser bundle of fetch-session has no tough-cookie / tldts input nor code', async () => {
    const { text, inputs } = await bundleFor(['browser'])
    expect(inputs).toContain('dist/adapters/browser.js')
    expect(inputs.filter(input => FORBIDDEN.some(name => input.includes(`node_modules/${name}/`)))).toEqual([])
    expect(FINGERPRINTS.filter(fingerprint => text.includes(fingerprint))).toEqual([])
    // What it does contain: the engine over ofetch.
    expect(inputs.some(input => input.includes('node_modules/ofetch/'))).toBe(true)
  })

  it('control: the workerd bundle does contain them (the check can fail)', async () => {
    const { text, inputs } = await bundleFor(['workerd'])
    expect(inputs.some(input => input.includes('node_modules/tough-cookie/'))).toBe(true)
    expect(inputs.some(input => input.includes('node_modules/tldts'))).toBe(true)
    expect(FINGERPRINTS.filter(fingerprint => !text.includes(fingerprint))).toEqual([])
  })

  it('dist/adapters/browser.js never reaches tough-cookie through its imports', () => {
    const graph = importGraph(join(root, 'dist/adapters/browser.js'))
    expect(graph.files.length).toBeGreaterThan(1)
    expect(graph.files.every(file => file.startsWith('dist/') && existsSync(join(root, file)))).toBe(true)
    expect([...graph.packages].filter(name => FORBIDDEN.includes(name))).toEqual([])
    expect([...graph.packages].sort()).toEqual(['ofetch'])
  })

  it('control: dist/adapters/workerd.js does reach tough-cookie', () => {
    expect(importGraph(join(root, 'dist/adapters/workerd.js')).packages.has('tough-cookie')).toBe(true)
  })
})
