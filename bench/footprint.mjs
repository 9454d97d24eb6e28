/**
 * The figures of `npm run bench` that a warm process does not show (issue 18):
 *
 * - cold: each client in a fresh process per scenario (bench/cold-child.mjs): 3,000 requests of
 *   warm-up, 3,000 measured, what a serverless invocation sees; ratios to undici.request in a fresh
 *   process of its own, in the same repeat (the clients' order rotated every repeat);
 * - import: `await import(name)` in a fresh Node process, fetch-session against ky, interleaved,
 *   the median of 7 each;
 * - bundles: `createSession` and `$fetch` bundled by esbuild (minified, gzipped) with each
 *   runtime's export condition, against tough-cookie alone (what the package adds over it), ky and ofetch;
 * - installed: the bytes a user installs with the package (its dependencies' closure), and which
 *   entries load undici at all.
 *
 *   node bench/footprint.mjs [--quick]     prints the figures as JSON (run.mjs runs it too)
 */
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { JAR_ONLY } from './clients.mjs'
import { COOKIE_SCENARIOS } from './scenarios.mjs'
import { median } from './stats.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const run = promisify(execFile)

/** The clients and scenarios of the cold-process figure. */
export const COLD_CLIENTS = ['undici.request', 'undici.request+tough', '$fetch', 'session']
export const COLD_SCENARIOS = ['json', 'cookies', 'redirect']


/**
 * Fresh processes: `repeats` of each client in each scenario, interleaved. Returns
 * `{ [scenario]: { [client]: { cpuRuns, cpuUs, cpuRatio } } }`, the ratio being the median of each
 * repeat's ratio to undici.request's.
 */
export async function coldRuns({ bases, repeats = 3, warmup = 3000, measured = 3000, log = () => {} }) {
  const samples = {}
  for (let repeat = 0; repeat < repeats; repeat++) {
    for (const scenario of COLD_SCENARIOS) {
      const clients = COLD_CLIENTS.filter(client => !JAR_ONLY.has(client) || COOKIE_SCENARIOS.has(scenario))
      const rotated = clients.map((_, index) => clients[(index + repeat) % clients.length])
      // The redirect chain is 4 requests per call: a quarter of the calls.
      const scale = scenario === 'redirect' ? 0.25 : 1
      for (const client of rotated) {
        const { stdout } = await run(process.execPath, [join(here, 'cold-child.mjs'), client, scenario, bases.join(','), String(Math.round(warmup * scale)), String(Math.round(measured * scale))], { cwd: root, timeout: 120_000 })
        const result = JSON.parse(stdout.trim().split('\n').at(-1))
        ;((samples[scenario] ??= {})[client] ??= []).push(result.cpuUs)
        log(`cold ${repeat + 1}/${repeats}  ${scenario.padEnd(9)} ${client.padEnd(22)} ${result.cpuUs.toFixed(1).padStart(7)} µs CPU`)
      }
    }
  }
  const results = {}
  for (const [scenario, byClient] of Object.entries(samples)) {
    const floor = byClient['undici.request']
    results[scenario] = {}
    for (const [client, runs] of Object.entries(byClient)) {
      results[scenario][client] = { cpuRuns: runs, cpuUs: median(runs), cpuRatio: median(runs.map((value, index) => value / floor[index])) }
    }
  }
  return results
}

/** `await import(name)` in fresh processes, interleaved: `{ [name]: { runs, medianMs } }`. */
export async function importTimes({ modules = ['fetch-session', 'ky'], runs = 7 } = {}) {
  const times = Object.fromEntries(modules.map(name => [name, []]))
  for (let index = 0; index < runs; index++) {
    for (const name of modules) {
      const script = `const start = performance.now(); await import(${JSON.stringify(name)}); process.stdout.write(String(performance.now() - start))`
      // From the package's own folder: `fetch-session` resolves to this package (its exports, dist/), ky to node_modules.
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root })
      times[name].push(Number(stdout))
    }
  }
  return Object.fromEntries(Object.entries(times).map(([name, values]) => [name, { runs: values, medianMs: median(values) }]))
}

/** True when `import('fetch-session')` alone loads undici in a fresh Node process. */
export async function importLoadsUndici() {
  const script = 'import { createRequire } from \'node:module\'; await import(\'fetch-session\'); process.stdout.write(String(Object.keys(createRequire(import.meta.url).cache).some(key => key.includes(\'/node_modules/undici/\'))))'
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root })
  return stdout === 'true'
}

/** The entries whose bundles are measured: `[name, export condition, esbuild platform]`. */
const BUNDLES = [['browser', 'browser', 'browser'], ['workerd', 'workerd', 'browser'], ['deno', 'deno', 'node'], ['bun', 'bun', 'node']]

async function gzippedBundle(contents, conditions, platform) {
  const output = await build({ stdin: { contents, resolveDir: root, loader: 'js' }, bundle: true, minify: true, write: false, metafile: true, format: 'esm', platform, conditions, logLevel: 'silent' })
  const inputs = Object.keys(output.metafile.inputs)
  return { bytes: gzipSync(output.outputFiles[0].contents).length, undici: inputs.some(input => input.includes('node_modules/undici/')) }
}

/**
 * `createSession` and `$fetch` bundled for each runtime, minified and gzipped, and what tough-cookie
 * (with tldts, its public suffix list) weighs bundled alone on that runtime: what the package adds
 * is the difference. ky and ofetch (their default export) for comparison, in the browser build.
 */
export async function bundleSizes() {
  const sizes = {}
  for (const [name, condition, platform] of BUNDLES) {
    const own = await gzippedBundle('export { createSession, $fetch } from \'fetch-session\'', [condition], platform)
    const tough = name === 'browser' ? { bytes: 0 } : await gzippedBundle('export { CookieJar, MemoryCookieStore, Cookie } from \'tough-cookie\'', [condition], platform)
    sizes[name] = { bytes: own.bytes, toughCookieBytes: tough.bytes, addedBytes: own.bytes - tough.bytes, undici: own.undici }
  }
  sizes.ky = { bytes: (await gzippedBundle('export { default } from \'ky\'', ['browser'], 'browser')).bytes }
  sizes.ofetch = { bytes: (await gzippedBundle('export { ofetch } from \'ofetch\'', ['browser'], 'browser')).bytes }
  return sizes
}

/** The bytes on disk of a package folder, its nested node_modules left out. */
function folderBytes(folder) {
  let total = 0
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue
    const path = join(folder, entry.name)
    total += entry.isDirectory() ? folderBytes(path) : statSync(path).size
  }
  return total
}

/**
 * What installing the package puts on disk: its dependencies' closure (from node_modules, as
 * npm laid it out here; optional peers left out) and the package's own files (dist/), with and
 * without undici's share (undici and what only it needs).
 */
export function installedSize() {
  const manifest = name => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'))
  const closure = (names, seen = new Set()) => {
    for (const name of names) {
      if (seen.has(name)) continue
      seen.add(name)
      closure(Object.keys(manifest(name).dependencies ?? {}), seen)
    }
    return seen
  }
  const own = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const all = closure(Object.keys(own.dependencies))
  const withoutUndici = closure(Object.keys(own.dependencies).filter(name => name !== 'undici'))
  const bytesOf = names => [...names].reduce((sum, name) => sum + folderBytes(join(root, 'node_modules', name)), 0)
  const dist = folderBytes(join(root, 'dist'))
  return { bytes: dist + bytesOf(all), withoutUndiciBytes: dist + bytesOf(withoutUndici), packages: all.size }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const imports = await importTimes()
  const bundles = await bundleSizes()
  console.log(JSON.stringify({ imports, importLoadsUndici: await importLoadsUndici(), bundles, installed: installedSize() }, null, 2))
}
