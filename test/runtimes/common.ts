/**
 * Shared by the per-runtime runners: bundles the conformance suite with the package as built
 * (`dist/`, resolved through the package's export conditions for that runtime), finds the
 * runtime's binary, and checks a report against the README's runtime table.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import type { Report } from '../conformance/harness'
import { FEATURES } from '../conformance/suite'

export const root = resolve(import.meta.dirname, '../..')
export const outdir = join(root, '.tmp', 'conformance')

/** True on CI, where a runtime that cannot run is a failure, not a skip (see test/helpers/dependencies.ts). */
export { isCI } from '../helpers/dependencies'

/** A loopback port where nothing listens. */
export async function closedPort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>(done => probe.listen(0, '127.0.0.1', done))
  const port = (probe.address() as { port: number }).port
  await new Promise(done => probe.close(done))
  return port
}

/**
 * Resolves `fetch-session` the way a runtime does: the first key of `exports['.']` (in the
 * package's order) that is among the runtime's conditions or is `default`.
 */
export function resolvePackage(conditions: string[]): string {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> }
  for (const [condition, target] of Object.entries(manifest.exports['.']!)) {
    if (condition === 'types') continue
    if (condition === 'default' || conditions.includes(condition)) return join(root, target)
  }
  throw new Error(`no export of fetch-session matches ${conditions.join(', ')}`)
}

/**
 * Bundles `entry` (a file of test/conformance/entries) for `runtime`: `fetch-session` resolves to
 * the built package through its `exports` with the runtime's condition.
 */
export async function bundle(runtime: string, entry: string, options: { platform?: 'node' | 'neutral' | 'browser', format?: 'esm' | 'iife', conditions?: string[] } = {}): Promise<string> {
  if (!existsSync(join(root, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
  mkdirSync(outdir, { recursive: true })
  const outfile = join(outdir, `${runtime}-${entry}.${options.format === 'iife' ? 'js' : 'mjs'}`)
  const platform = options.platform ?? 'neutral'
  await build({
    entryPoints: [join(root, 'test/conformance/entries', `${entry}.ts`)],
    outfile,
    bundle: true,
    format: options.format ?? 'esm',
    platform,
    target: 'es2022',
    conditions: options.conditions ?? [runtime],
    mainFields: platform === 'node' ? ['module', 'main'] : ['module', 'browser', 'main'],
    alias: { 'fetch-session': resolvePackage(options.conditions ?? [runtime]) },
    logLevel: 'error',
    banner: platform === 'node' ? { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' } : undefined,
  })
  return outfile
}

/** The path of an npm-installed runtime binary (node_modules/.bin), if it is there. */
export function binary(name: string): string | undefined {
  const path = join(root, 'node_modules', '.bin', name)
  return existsSync(path) ? path : undefined
}

/** The runtimes a bundled entry runs in as a process of its own. */
export type ProcessRuntime = 'node' | 'deno' | 'bun'

const entryBundles = new Map<string, Promise<string>>()

/**
 * Bundles `entry` (a file of test/conformance/entries) for `runtime` once per process, runs it as
 * `command` (the runtime's binary and flags: `[process.execPath]`, `[deno, 'run', '-A', …]`,
 * `[bun, '--experimental-http2-fetch']`) with `input` as its JSON argument, asynchronously (the
 * test's servers answer from this process), and parses the last line it prints as JSON.
 */
export async function runEntry<T>(runtime: ProcessRuntime, entry: string, command: string[], input: unknown, options: { env?: NodeJS.ProcessEnv, timeout?: number } = {}): Promise<T> {
  const key = `${runtime}:${entry}`
  if (!entryBundles.has(key)) entryBundles.set(key, bundle(runtime, entry, { platform: runtime === 'node' ? 'node' : 'neutral', conditions: [runtime] }))
  const file = await entryBundles.get(key)!
  const [bin, ...flags] = command
  const { stdout } = await promisify(execFile)(bin!, [...flags, file, JSON.stringify(input)], { cwd: root, encoding: 'utf8', timeout: options.timeout ?? 60_000, env: options.env, maxBuffer: 16 * 1024 * 1024 })
    .catch((error: Error & { stdout?: string, stderr?: string }) => {
      throw new Error(`${entry} in ${runtime} failed: ${error.message}\n${error.stdout ?? ''}${error.stderr ?? ''}`)
    })
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as T
}

/** Prints the runtime's own pass count, the way CI logs show it. */
export function announce(report: Report): void {
  const failures = report.results.filter(result => result.status === 'failed').map(result => `\n  ✗ ${result.name}: ${result.error}`).join('')
  console.log(`[conformance] ${report.runtime}: ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped${failures}`)
}

/**
 * The README's runtime table, row by feature: `{ [feature]: { [runtime]: cell } }`.
 * A cell starting with ✅ claims the feature works there.
 */
export function readmeTable(): Record<string, Record<string, string>> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const section = readme.split('## Runtimes')[1]?.split('\n## ')[0] ?? ''
  const lines = section.split('\n').filter(line => line.startsWith('|'))
  const header = lines[0]?.split('|').slice(1, -1).map(cell => cell.trim().toLowerCase()) ?? []
  const table: Record<string, Record<string, string>> = {}
  for (const line of lines.slice(2)) {
    const cells = line.split('|').slice(1, -1).map(cell => cell.trim())
    const row: Record<string, string> = {}
    header.slice(1).forEach((runtime, index) => {
      row[runtime] = cells[index + 1] ?? ''
    })
    table[cells[0]!] = row
  }
  return table
}

/**
 * The README claims ✅ for a feature on this runtime exactly when the runtime ran tests of that
 * feature and they all passed. Returns the mismatches (empty when the README is right).
 */
export function readmeMismatches(report: Report): string[] {
  const table = readmeTable()
  const mismatches: string[] = []
  for (const feature of Object.values(FEATURES)) {
    const results = report.results.filter(result => result.features.includes(feature))
    const ran = results.filter(result => result.status !== 'skipped')
    const works = ran.length > 0 && ran.every(result => result.status === 'passed')
    const cell = table[feature]?.[report.runtime]
    if (cell === undefined) {
      mismatches.push(`README runtime table has no cell for "${feature}" / ${report.runtime}`)
      continue
    }
    if (works !== cell.startsWith('✅')) mismatches.push(`README says "${cell}" for "${feature}" on ${report.runtime}, the suite says ${works ? 'it works' : ran.length === 0 ? 'it does not apply' : 'it fails'}`)
  }
  return mismatches
}
