/**
 * The package as published to JSR: `deno publish --dry-run` (type check, no slow types, the file
 * list) passes offline, and deno.json says what package.json says (version, entry points,
 * dependencies).
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { requireDependency } from '../helpers/dependencies'

const root = resolve(import.meta.dirname, '../..')
const readJson = (name: string): Record<string, any> => JSON.parse(readFileSync(join(root, name), 'utf8'))

describe('the JSR package', () => {
  it('passes `deno publish --dry-run` offline, with no slow types, shipping src, README and LICENSE', async (context) => {
    const deno = requireDependency('deno', context)
    // A fresh cache and an unreachable registry: the npm imports resolve from node_modules only.
    const cache = mkdtempSync(join(tmpdir(), 'fetch-session-deno-'))
    try {
      const { stdout, stderr } = await promisify(execFile)(deno, ['publish', '--dry-run', '--allow-dirty'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 50_000,
        env: { ...process.env, NO_COLOR: '1', DENO_DIR: cache, NPM_CONFIG_REGISTRY: 'http://127.0.0.1:9/' },
      })
      const output = `${stdout}\n${stderr}`
      expect(output).toContain('Success Dry run complete')
      // Slow types are errors (`error[missing-explicit-type]`…), reported as "Found N problems".
      expect(output).not.toMatch(/error\[|Found \d+ problem/)
      const files = [...output.matchAll(/file:\/\/\/\S+/g)].map(([url]) => url.slice(`file://${root}/`.length))
      expect(files).toContain('src/index.ts')
      for (const runtime of ['node', 'deno', 'bun', 'workerd', 'browser']) expect(files).toContain(`src/adapters/${runtime}.ts`)
      expect(files).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'deno.json']))
      expect(files.filter(file => !file.startsWith('src/') && !['README.md', 'LICENSE', 'deno.json'].includes(file))).toEqual([])
    }
    finally {
      rmSync(cache, { recursive: true, force: true })
    }
  }, 60_000)

  it('has the version, license, entry points and dependencies of package.json', () => {
    const pkg = readJson('package.json')
    const jsr = readJson('deno.json')
    expect(jsr.version).toBe(pkg.version)
    expect(jsr.license).toBe(pkg.license)
    // Each entry point of the npm package, from src/ instead of dist/ (JSR has no export conditions: `.` is the generic entry).
    const expected: Record<string, string> = {}
    for (const [subpath, target] of Object.entries(pkg.exports as Record<string, string | Record<string, string>>)) {
      if (subpath === './package.json') continue
      const built = typeof target === 'string' ? target : target.default!
      expected[subpath] = built.replace(/^\.\/dist\//, './src/').replace(/\.js$/, '.ts')
    }
    expect(jsr.exports).toEqual(expected)
    const imports: Record<string, string> = {}
    for (const [name, range] of Object.entries(pkg.dependencies as Record<string, string>)) imports[name] = `npm:${name}@${range}`
    expect(jsr.imports).toEqual(imports)
  })
})
