/**
 * Every ```ts block of the README runs, against the local test server: `https://httpbin.org` and
 * `https://example.com` are rewritten to the server's loopback URL and `'fetch-session'` to the source entry. A block that
 * throws, hangs or prints to stderr fails the test, so no example can rot. Subpaths
 * (`'fetch-session/stores/file'`…) are rewritten to their source file, as package.json's
 * `exports` names them; blocks run in a scratch folder (files they write stay there). A block
 * that cannot run offline (it needs Redis, Deno…) is marked ```ts no-run: it is only compiled.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { transform } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer } from './helpers/server'
import type { TestServer } from './helpers/server'

const root = resolve(import.meta.dirname, '..')
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map(match => match[1]!)
const noRunBlocks = [...readme.matchAll(/```ts no-run\n([\s\S]*?)```/g)].map(match => match[1]!)
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, string | Record<string, string>> }

/** `from 'fetch-session/<subpath>'` → the source file of that subpath (dist/x.js → src/x.ts). */
function rewriteSubpaths(code: string): string {
  return code.replace(/from '(fetch-session\/[^']+)'/g, (text, specifier: string) => {
    const target = manifest.exports[`.${specifier.slice('fetch-session'.length)}`]
    const built = typeof target === 'string' ? target : target?.default
    if (!built) return text
    return `from '${join(root, built.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'))}'`
  })
}
const workdir = join(root, '.tmp', 'readme')
let server: TestServer

beforeAll(async () => {
  server = await startServer()
  mkdirSync(workdir, { recursive: true })
})
afterAll(async () => {
  await server.close()
  rmSync(workdir, { recursive: true, force: true })
})

describe('README examples', () => {
  it('has examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6)
  })

  it.each(blocks.map((code, index) => [index + 1, code] as const))('block %i runs', async (index, code) => {
    const source = code
      .replaceAll('https://httpbin.org', server.url)
      .replaceAll('https://example.com', server.url)
      .replaceAll(`from 'fetch-session'`, `from '${join(root, 'src/index.ts')}'`)
    const file = join(workdir, `block-${index}.ts`)
    writeFileSync(file, rewriteSubpaths(source))
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', file], { cwd: workdir, encoding: 'utf8', timeout: 30_000 })
    expect(stderr).toBe('')
    expect(stdout).not.toContain('undefined')
  })

  it.each(noRunBlocks.map((code, index) => [index + 1, code] as const))('no-run block %i compiles and names real subpaths', async (_index, code) => {
    await transform(code, { loader: 'ts', format: 'esm' })
    expect(rewriteSubpaths(code)).not.toMatch(/from 'fetch-session\//)
  })
})

describe('README benchmarks', () => {
  it('shows the figures of the last `npm run bench` (bench/results.json), as bench/readme.mjs writes them', async () => {
    const { benchBlock, START, END } = await import(join(root, 'bench/readme.mjs')) as {
      benchBlock: (run: unknown) => string
      START: string
      END: string
    }
    const start = readme.indexOf(START)
    const end = readme.indexOf(END)
    expect(start).toBeGreaterThan(-1)
    expect(end).toBeGreaterThan(start)
    const run = JSON.parse(readFileSync(join(root, 'bench/results.json'), 'utf8'))
    const block = readme.slice(start, end + END.length)
    expect(block).toBe(benchBlock(run))
    expect(block).toMatch(/\| small JSON, sequential \| 1\.00 \(\d+ µs\) \|/)
  })
})
