/**
 * Runs playground/runtimes/example.ts in one runtime, offline, against the local test server:
 *
 *   npm run play:node      node, the bundle resolved through the `node` export condition
 *   npm run play:deno      deno run -A (`deno` condition)
 *   npm run play:bun       bun (`bun` condition)
 *   npm run play:workerd   a worker in workerd that runs the example inside one request (`workerd` condition)
 *   npm run play:browser   a page in headless Chromium served from the test server (`browser` condition)
 *
 * The example is bundled with esbuild, `fetch-session` resolved through the package's `exports`
 * as built in dist/ (built first when missing). Prints a heading, the example's lines and the
 * duration; exits non-zero when the runtime is missing (code 2) or the example failed (code 1).
 */
import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { startServer } from '../../test/helpers/server'
import type { TestServer } from '../../test/helpers/server'
import { binary, resolvePackage, root } from '../../test/runtimes/common'
import { childEnv } from '../../test/runtimes/deno-and-bun'
import { startWorkerd, stopChild, workerdBinary, workerdConfig } from '../../test/runtimes/workerd-process'

const RUNTIMES = ['node', 'deno', 'bun', 'workerd', 'browser'] as const
type Runtime = typeof RUNTIMES[number]

/** A runtime that cannot run here (its binary is missing): exit code 2. */
class MissingRuntime extends Error {}

/** How long the example may take in any runtime before the launcher gives up. */
const LIMIT_MS = 30_000

const here = join(root, 'playground', 'runtimes')
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
/** Flags for a quiet, offline headless Chromium in a container (as in test/runtimes/browser.test.ts). */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']
/** The binary that runs `runtime`, or a `MissingRuntime` error saying how to get it. */
function requireRuntime(runtime: Runtime): string {
  const found = runtime === 'node'
    ? process.execPath
    : runtime === 'workerd'
      ? workerdBinary()
      : runtime === 'browser'
        ? (existsSync(chromiumPath) ? chromiumPath : undefined)
        : binary(runtime)
  if (found) return found
  const how = runtime === 'browser'
    ? `Chromium is missing at ${chromiumPath}: \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`
    : `the ${runtime} binary is missing: \`npm install\` installs the ${runtime} devDependency`
  throw new MissingRuntime(how)
}

/** Builds dist/ when it is missing (the bundles resolve `fetch-session` to the built package). */
async function ensureBuilt(): Promise<void> {
  if (existsSync(join(root, 'dist/index.js'))) return
  console.error('dist/ is missing: running `npm run build` first')
  await new Promise<void>((resolve, reject) => {
    // The build's output goes to stderr, so stdout stays the example's.
    const child = spawn('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 2, 2] })
    child.once('error', reject)
    child.once('exit', code => code === 0 ? resolve() : reject(new Error(`npm run build exited with ${code}`)))
  })
}

/** Bundles an entry of playground/runtimes/entries for `runtime` into `outfile`. */
async function bundleExample(runtime: Runtime, entry: 'cli' | 'worker' | 'browser', outfile: string): Promise<string> {
  const conditions = runtime === 'workerd' ? ['workerd', 'worker'] : [runtime]
  const platform = runtime === 'node' ? 'node' : runtime === 'browser' ? 'browser' : 'neutral'
  const target = resolvePackage(conditions)
  await build({
    entryPoints: [join(here, 'entries', `${entry}.ts`)],
    outfile,
    bundle: true,
    format: 'esm',
    platform,
    target: 'es2022',
    conditions,
    mainFields: platform === 'node' ? ['module', 'main'] : ['module', 'browser', 'main'],
    alias: { 'fetch-session': target },
    logLevel: 'error',
    banner: platform === 'node' ? { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' } : undefined,
  })
  return target
}

/** What a run produced. */
interface Outcome {
  lines: string[]
  /** Why it failed, when it did (the lines are what it printed before). */
  error?: string
}

/** Node, Deno or Bun: the bundle as a script of its own; its stdout lines are the example's. */
async function runCli(runtime: 'node' | 'deno' | 'bun', bin: string, file: string, server: TestServer): Promise<Outcome> {
  const command = runtime === 'deno' ? ['run', '-A', '--no-config', '--no-lock', file] : [file]
  try {
    const { stdout } = await promisify(execFile)(bin, [...command, server.url], { cwd: root, encoding: 'utf8', timeout: LIMIT_MS, env: childEnv() })
    return { lines: stdout.trimEnd().split('\n') }
  }
  catch (error) {
    const failure = error as Error & { stdout?: string, stderr?: string, killed?: boolean }
    const lines = failure.stdout?.trimEnd().split('\n').filter(Boolean) ?? []
    return { lines, error: failure.killed ? `did not end within ${LIMIT_MS} ms` : `${failure.message}${failure.stderr ? `\n${failure.stderr}` : ''}` }
  }
}

/** workerd: serve a worker that runs the example inside one request, and ask it once. */
async function runWorkerd(bin: string, dir: string, server: TestServer): Promise<Outcome> {
  // `embed` paths are relative to the config file, which sits next to the example.
  const configFile = join(dir, 'config.capnp')
  writeFileSync(configFile, workerdConfig('example.mjs'))
  const worker = await startWorkerd(bin, configFile, dir)
  try {
    const response = await fetch(`http://127.0.0.1:${worker.port}/?base=${encodeURIComponent(server.url)}`, { signal: AbortSignal.timeout(LIMIT_MS) })
    const text = await response.text()
    let answer: { lines?: string[], error?: string }
    try {
      answer = JSON.parse(text) as typeof answer
    }
    catch {
      return { lines: [], error: `the worker answered ${response.status}: ${text}\n${worker.logs()}` }
    }
    return { lines: answer.lines ?? [], error: answer.error ?? (response.ok ? undefined : `the worker answered ${response.status}\n${worker.logs()}`) }
  }
  finally {
    await stopChild(worker.child)
  }
}

/** The browser: headless Chromium opens the page the test server serves, and we read what it shows. */
async function runBrowser(executablePath: string, server: TestServer): Promise<Outcome> {
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 20_000 })
  const pageErrors: string[] = []
  try {
    const page = await browser.newPage()
    page.on('pageerror', error => pageErrors.push(String(error)))
    await page.goto(`${server.url}/__static/index.html`, { timeout: 20_000 })
    const state = await page.waitForFunction(() => ['done', 'failed'].includes(document.body.dataset.state ?? '') && document.body.dataset.state, undefined, { timeout: LIMIT_MS })
      .then(handle => handle.jsonValue() as Promise<string>)
      .catch((error: Error) => `did not finish: ${pageErrors.join('; ') || error.message}`)
    const text = await page.locator('#lines').innerText()
    const lines = text.split('\n').filter(Boolean)
    if (state !== 'done') return { lines, error: state === 'failed' ? lines.at(-1) : state }
    if (pageErrors.length > 0) return { lines, error: `errors in the page: ${pageErrors.join('; ')}` }
    return { lines }
  }
  finally {
    await browser.close()
  }
}

const HOW: Record<Runtime, string> = {
  node: 'node',
  deno: 'deno run -A',
  bun: 'bun',
  workerd: 'workerd serve, the example inside one request to a worker',
  browser: 'headless Chromium, a page served from the test server, read back with playwright',
}

async function main(runtime: Runtime): Promise<number> {
  const started = performance.now()
  const bin = requireRuntime(runtime)
  await ensureBuilt()
  mkdirSync(join(root, '.tmp'), { recursive: true })
  const dir = mkdtempSync(join(root, '.tmp', `play-${runtime}-`))
  let server: TestServer | undefined
  try {
    const entry = runtime === 'workerd' ? 'worker' : runtime === 'browser' ? 'browser' : 'cli'
    const file = join(dir, 'example.mjs')
    const [target, started_] = await Promise.all([
      bundleExample(runtime, entry, file),
      startServer(runtime === 'browser' ? { staticDir: dir } : {}),
    ])
    server = started_
    if (runtime === 'browser') writeFileSync(join(dir, 'index.html'), readFileSync(join(here, 'index.html')))

    console.log(`=== fetch-session playground: ${runtime} ===`)
    console.log(`  ${HOW[runtime]}; fetch-session is ${relative(root, target)} (the "${runtime}" export condition); server ${server.url}`)
    const outcome = runtime === 'workerd'
      ? await runWorkerd(bin, dir, server)
      : runtime === 'browser'
        ? await runBrowser(bin, server)
        : await runCli(runtime, bin, file, server)
    for (const line of outcome.lines) console.log(`  ${line}`)
    const failed = outcome.error !== undefined || outcome.lines.some(line => line.startsWith('FAILED') || line.includes('(unexpected)'))
    if (outcome.error !== undefined) console.log(`  FAILED: ${outcome.error}`)
    console.log(`--- ${runtime}: ${failed ? 'failed' : 'ok'}, ${outcome.lines.length} lines in ${(performance.now() - started).toFixed(0)} ms`)
    return failed ? 1 : 0
  }
  finally {
    await server?.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const runtime = process.argv[2] as Runtime
if (!RUNTIMES.includes(runtime)) {
  console.error(`usage: tsx playground/runtimes/play.ts <${RUNTIMES.join('|')}>`)
  process.exit(64)
}
let code: number
try {
  code = await main(runtime)
}
catch (error) {
  console.error(`play:${runtime}: ${error instanceof Error ? error.message : String(error)}`)
  code = error instanceof MissingRuntime ? 2 : 1
}
// Everything this launcher started is closed by now; exit anyway so nothing left over can keep it waiting.
process.exit(code)
