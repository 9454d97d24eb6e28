/**
 * `npm run bench`: the whole benchmark, in one run.
 *
 * 1. Starts the loopback server (bench/server.mjs) in its own process.
 * 2. Starts one process per client (bench/child.mjs, a second one for its 1 MiB downloads), so its
 *    CPU and heap are measured alone, and warms each up.
 * 3. For each round, each scenario, each client (in an order rotated every round): measures it.
 * 4. Runs the soak (bench/soak.mjs): 200,000 requests through one session.
 * 5. Takes the median of the rounds, writes bench/RESULTS.md (keeping what follows its
 *    `bench:notes` marker: dated sections of one-off runs) and bench/results.json, and the
 *    summary table of the README (between its `bench:start` and `bench:end` markers; bench/readme.mjs).
 *
 * 5. Then the footprint (bench/footprint.mjs): each client in fresh processes (3,000 requests of
 *    warm-up, 3,000 measured), `import()` time against ky's, bundle sizes per runtime, installed size.
 *
 * Options: --rounds N (default 3), --clients a,b, --scenarios a,b, --no-soak, --no-footprint, --quick (a quarter
 * of the time, for trying the harness), --pin (server and client on cores 0 and 1),
 * --out FILE (default bench/RESULTS.md; its raw results go next to it, FILE.json, and the README
 * is left alone).
 */
import { execFile, fork, spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus, freemem, loadavg, release, totalmem, type } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { CLIENTS, JAR_ONLY } from './clients.mjs'
import { bundleSizes, coldRuns, importLoadsUndici, importTimes, installedSize } from './footprint.mjs'
import { targetRows, updateReadme } from './readme.mjs'
import { COOKIE_SCENARIOS, FIRST_WARMUP_MS, MAX_WINDOWS, MIN_WINDOWS, QUIET_WINDOWS, SCENARIOS, WARMUP_MS, WINDOW_MS } from './scenarios.mjs'
import { median } from './stats.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const run = promisify(execFile)
const started = Date.now()
const loadStart = loadavg()

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`)
  return index === -1 ? fallback : args[index + 1]
}
const rounds = Number(option('rounds', 3))
const quick = args.includes('--quick')
const soak = !args.includes('--no-soak')
const out = option('out', join(here, 'RESULTS.md'))

// Which clients run in which scenario: the jar variants only where cookies matter (JAR_ONLY, COOKIE_SCENARIOS).
const clientNames = option('clients', Object.keys(CLIENTS).join(',')).split(',')
const scenarioNames = option('scenarios', Object.keys(SCENARIOS).join(',')).split(',')
// A client with an HTTP cache runs only in the cache scenarios, and only they and the floor run there.
const runsIn = (client, scenario) => (!JAR_ONLY.has(client) || COOKIE_SCENARIOS.has(scenario))
  && (SCENARIOS[scenario].cached ? CLIENTS[client].cache || CLIENTS[client].floor : !CLIENTS[client].cache)
const plan = scenarioNames.map(scenario => ({
  scenario,
  clients: clientNames.filter(client => runsIn(client, scenario)),
}))

const log = message => process.stderr.write(`${message}\n`)
/** The marker after which the results file keeps its hand-written sections across runs. */
const NOTES = '<!-- bench:notes: kept by bench/run.mjs when it rewrites this file -->'

// --pin: the server on core 0, the client on core 1 (taskset). Off by default: on a machine shared
// with other work, a pinned client cannot move away from a busy core.
const pin = args.includes('--pin') && cpus().length >= 2 && await run('taskset', ['-V']).then(() => true, () => false)
const pinned = (cpu, command, commandArgs) => (pin ? ['taskset', ['-c', String(cpu), command, ...commandArgs]] : [command, commandArgs])
const server = fork(join(here, 'server.mjs'), [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
if (pin) await run('taskset', ['-pc', '0', String(server.pid)])
const { ports } = await new Promise((resolve, reject) => {
  server.once('error', reject)
  server.stdout.once('data', chunk => resolve(JSON.parse(String(chunk))))
})
const bases = ports.map((port, index) => `http://127.0.0.${index + 1}:${port}`)

/** The scenarios in the order they run in each round (download last: it churns the heap). */
const ORDER = ['json', 'json-32', 'cache-hit', 'cookies', 'redirect', 'regular', 'download'].filter(scenario => scenarioNames.includes(scenario))
const scale = quick ? 0.25 : 1

/**
 * One process per client, alive for the whole run (bench/child.mjs), driven over IPC; the 1 MiB
 * download runs in a second process of each client, so that the large buffers it churns do not
 * change the heap, and the cost of collecting it, in which the small requests are measured.
 */
const HEAVY = new Set(['download'])
// V8's memory reducer shrinks the heap of a process that has gone idle, and the process then runs
// slower until its heap has grown back: a client waiting for its turn is idle in a way a busy
// client never is, so it is off in the client processes (BENCH_CHILD_FLAGS replaces it).
const CHILD_FLAGS = (process.env.BENCH_CHILD_FLAGS ?? '--no-memory-reducer').split(' ').filter(Boolean)
const workerKey = (client, scenario) => (HEAVY.has(scenario) ? `${client} (download)` : client)
const workers = new Map()
const startWorker = async (key, client) => {
  const childArgs = ['--expose-gc', ...CHILD_FLAGS, join(here, 'child.mjs'), client, bases.join(','), String(server.pid)]
  const [command, commandArgs] = pinned(1, process.execPath, childArgs)
  const worker = spawn(command, commandArgs, { cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const queue = []
  worker.on('message', message => queue.shift()?.(message))
  const ask = message => new Promise((resolve, reject) => {
    queue.push((answer) => {
      if (answer.type === 'error') reject(new Error(`${key}: ${answer.error}`))
      else resolve(answer)
    })
    if (message) worker.send(message)
  })
  const ready = ask()
  worker.once('exit', code => queue.shift()?.({ type: 'error', error: `exited with ${code}` }))
  await ready
  workers.set(key, { worker, ask, client })
}

// Warm every client up once, scenario by scenario (V8 takes seconds to compile a client's hot
// paths, and its compiler threads count in the CPU): the rounds then measure warm processes.
for (const client of clientNames) {
  const scenarios = ORDER.filter(scenario => plan.some(entry => entry.scenario === scenario && entry.clients.includes(client)))
  for (const scenario of scenarios) {
    const key = workerKey(client, scenario)
    const first = !workers.has(key)
    if (first) await startWorker(key, client)
    await workers.get(key).ask({ type: 'warm', scenario, ms: (first ? FIRST_WARMUP_MS : WARMUP_MS) * scale })
  }
  log(`warmed up ${client}`)
}

/** @type {Record<string, Record<string, any[]>>} */
const samples = {}
for (let round = 0; round < rounds; round++) {
  for (const scenario of ORDER) {
    const clients = plan.find(entry => entry.scenario === scenario).clients
    const rotated = clients.map((_, index) => clients[(index + round) % clients.length])
    for (const client of rotated) {
      const { warmupMs } = SCENARIOS[scenario]
      const { result } = await workers.get(workerKey(client, scenario)).ask({ type: 'measure', scenario, warmupMs: warmupMs * scale, windowMs: WINDOW_MS * scale, scale })
      ;((samples[scenario] ??= {})[client] ??= []).push(result)
      log(`round ${round + 1}/${rounds}  ${scenario.padEnd(9)} ${client.padEnd(22)} ${result.rps.toFixed(0).padStart(6)} req/s ${result.cpuUs.toFixed(1).padStart(7)} µs CPU (mean ${result.meanCpuUs.toFixed(1)}) ${(result.allocBytes / 1024).toFixed(1).padStart(7)} KiB  ${result.quietWindows}/${result.windows.length} quiet${result.warnings.length ? `  warnings: ${result.warnings.join('; ')}` : ''}`)
    }
  }
}
/** The heap each client process keeps after a full collection, at the end of the run. */
const heaps = {}
for (const [key, { ask, client }] of workers) {
  if (key === client) heaps[client] = (await ask({ type: 'heap' })).heap
}
for (const { worker } of workers.values()) worker.disconnect()

let soakResult
if (soak) {
  log('soak: 200,000 requests through one session…')
  const [command, commandArgs] = pinned(1, process.execPath, ['--expose-gc', join(here, 'soak.mjs'), bases[0], quick ? '20000' : '200000'])
  const { stdout } = await run(command, commandArgs, { cwd: root, timeout: 300_000, maxBuffer: 1 << 20 })
  soakResult = JSON.parse(stdout.trim().split('\n').at(-1))
  log(`soak: ${soakResult.requests} requests in ${(soakResult.wallMs / 1000).toFixed(1)} s, heap slope ${soakResult.slopePer10k.toFixed(0)} B per 10,000 requests, ${soakResult.warnings.length} warnings`)
}
let footprint
if (!args.includes('--no-footprint')) {
  log('footprint: fresh processes, import time, bundles…')
  const cold = await coldRuns({ bases, repeats: quick ? 1 : 3, warmup: quick ? 1000 : 3000, measured: quick ? 1000 : 3000, log })
  const imports = await importTimes({ runs: quick ? 3 : 7 })
  footprint = { cold, imports, importLoadsUndici: await importLoadsUndici(), bundles: await bundleSizes(), installed: installedSize() }
  log(`footprint: import ${imports['fetch-session'].medianMs.toFixed(0)} ms (ky ${imports.ky.medianMs.toFixed(0)} ms), browser bundle ${(footprint.bundles.browser.bytes / 1024).toFixed(1)} KB`)
}
server.disconnect()
server.kill()


/**
 * Medians per scenario and client. Ratios are the median of each round's ratio (the client against
 * undici.request in the same round), which cancels most of what a busy machine does to both.
 */
const results = {}
for (const [scenario, byClient] of Object.entries(samples)) {
  results[scenario] = {}
  const floorRuns = byClient['undici.request'] ?? []
  for (const [client, runs] of Object.entries(byClient)) {
    const ratios = key => runs.map((r, round) => (floorRuns[round] ? r[key] / floorRuns[round][key] : Number.NaN)).filter(Number.isFinite)
    results[scenario][client] = {
      rps: median(runs.map(r => r.rps)),
      cpuUs: median(runs.map(r => r.cpuUs)),
      allocBytes: median(runs.map(r => r.allocBytes)),
      rpsRatio: median(ratios('rps')),
      cpuRatio: median(ratios('cpuUs')),
      // The best round of each against the best round of the floor: what the client costs when
      // neither was slowed by the machine (this 2-core VM has slow phases of a second or more).
      cpuBestRatio: Math.min(...runs.map(r => r.cpuUs)) / Math.min(...floorRuns.map(r => r.cpuUs)),
      allocRatio: median(ratios('allocBytes')),
      cpuRuns: runs.map(r => r.cpuUs),
      warnings: runs.flatMap(r => r.warnings),
    }
  }
}

const versions = {}
for (const name of ['undici', 'ofetch', 'ky', 'got', 'axios', 'fetch-cookie', 'tough-cookie']) {
  versions[name] = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version
}
const ownVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version
let commit = ''
try {
  commit = (await run('git', ['rev-parse', '--short', 'HEAD'], { cwd: root })).stdout.trim()
  const { stdout: dirty } = await run('git', ['status', '--porcelain', '--', 'src'], { cwd: root })
  if (dirty.trim()) commit += ' + uncommitted changes'
}
catch {}

const fmt = (value, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
const ratio = value => (Number.isFinite(value) ? `${value.toFixed(2)}x` : '–')
const floor = scenario => results[scenario]?.['undici.request']

const lines = []
lines.push('# Benchmark results', '')
lines.push(`Written by \`npm run bench\` (bench/run.mjs) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, in ${((Date.now() - started) / 1000).toFixed(0)} s.`, '')
lines.push(`- Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${fmt(totalmem() / 2 ** 30, 1)} GiB RAM (${fmt(freemem() / 2 ** 30, 1)} free), ${type()} ${release()}`)
const measurements = Object.values(samples).flatMap(byClient => Object.values(byClient).flat())
const unquiet = measurements.filter(r => r.quietWindows === 0).length
const disturbedWindows = measurements.flatMap(r => r.windows).filter(w => w.disturbed).length
const allWindows = measurements.flatMap(r => r.windows).length
lines.push(`- Other work on the machine during the run: load average ${loadStart.map(value => value.toFixed(2)).join(' ')} at the start, ${loadavg().map(value => value.toFixed(2)).join(' ')} at the end; ${disturbedWindows} of ${allWindows} measured windows disturbed; ${unquiet} of ${measurements.length} measurements without a quiet window (their best window counts).${unquiet > measurements.length / 10 ? ' **The machine was busy: these numbers are noisy; run again on a quiet machine.**' : ''}`)
lines.push(`- Node ${process.version} (its bundled undici ${process.versions.undici}), fetch-session ${ownVersion}${commit ? ` (${commit})` : ''} from dist/`)
lines.push(`- ${Object.entries(versions).map(([name, version]) => `${name} ${version}`).join(', ')}`)
lines.push(`- One process per client (and another for its 1 MiB downloads, whose buffers would change the heap the small requests are measured in), alive for the whole run: warmed up once (${FIRST_WARMUP_MS / 1000} s on its first scenario, ${WARMUP_MS / 1000} s on each next one; every result checked), then ${rounds} rounds; each round measures every scenario, the clients one after the other in an order rotated every round: ${SCENARIOS.json.warmupMs / 1000} s of re-warm, then windows of ${WINDOW_MS / 1000} s (at least ${MIN_WINDOWS}, until ${QUIET_WINDOWS} were quiet, at most ${MAX_WINDOWS}). A window is quiet when the rest of the machine (other than the client and the server) used less than 15% of a core during it (/proc/stat); the best quiet window counts (least CPU per request, as timeit and pyperf report the best run: other work only ever adds; all windows and their means are in bench/results.json). No collection is forced before a measurement, and the client processes run with \`${CHILD_FLAGS.join(' ')}\` (after a forced collection, or once V8's memory reducer has shrunk the heap of a process idle while the others take their turns, V8 runs 2 to 4 times slower for a while). Medians of the rounds are shown.${quick ? ' **Quick mode: a quarter of the time, numbers are rough.**' : ''}`)
lines.push(`- The server and each client run in their own processes${pin ? ', pinned to different cores (taskset)' : ''}. ` + 'CPU is the client process\'s own (`process.cpuUsage()`, user + system, all its threads, GC included) over the measured requests, after a warm-up. Allocation is the JS heap allocated per request (v8.GCProfiler: heap growth between collections, summed). Ratios are to `undici.request` in the same scenario and round, median over the rounds (req/s: higher is better; CPU and allocation: lower is better).')
lines.push('')

lines.push('## CPU per request, as a ratio to undici.request', '')
const summaryClients = Object.keys(CLIENTS).filter(client => clientNames.includes(client))
lines.push(`| scenario | ${summaryClients.map(client => CLIENTS[client].label).join(' | ')} |`)
lines.push(`| --- | ${summaryClients.map(() => '---').join(' | ')} |`)
for (const scenario of scenarioNames) {
  const base = floor(scenario)
  const cells = summaryClients.map((client) => {
    const result = results[scenario]?.[client]
    if (!result || !base) return '–'
    const note = SCENARIOS[scenario].note?.(CLIENTS[client]) && client !== 'undici.request' ? '*' : ''
    return client === 'undici.request' ? `1.00 (${fmt(result.cpuUs)} µs)` : `${result.cpuRatio.toFixed(2)}${note}`
  })
  lines.push(`| ${SCENARIOS[scenario].title} | ${cells.join(' | ')} |`)
}
lines.push('', '\\* does not do the whole job in that scenario (no cookie jar, or the cookies set on redirect hops are lost): not comparable.', '')

for (const scenario of scenarioNames) {
  const base = floor(scenario)
  if (!results[scenario]) continue
  lines.push(`## ${SCENARIOS[scenario].title}`, '')
  lines.push('| client | req/s | ratio | CPU µs/req | ratio | alloc KiB/req | ratio | note |')
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |')
  for (const client of summaryClients) {
    const result = results[scenario][client]
    if (!result) continue
    const note = [SCENARIOS[scenario].note?.(CLIENTS[client]), result.warnings.length ? `warnings: ${[...new Set(result.warnings)].join('; ')}` : undefined].filter(Boolean).join('; ')
    lines.push(`| ${CLIENTS[client].label} | ${fmt(result.rps)} | ${ratio(result.rpsRatio)} | ${fmt(result.cpuUs, 1)} | ${ratio(result.cpuRatio)} | ${fmt(result.allocBytes / 1024, 1)} | ${ratio(result.allocRatio)} | ${client === 'undici.request' ? 'the floor' : note} |`)
  }
  lines.push('')
}

if (results.json && results.regular) {
  lines.push('## Keep-alive against "regular requests" (a new connection per request)', '')
  lines.push('Requests per second of small JSON on a kept-alive pool, divided by the same requests when the server closes the connection after each response (what `requests.get()` without a session does).', '')
  lines.push('| client | keep-alive req/s | new connection req/s | speed-up |')
  lines.push('| --- | ---: | ---: | ---: |')
  for (const client of summaryClients) {
    const kept = results.json[client]
    const fresh = results.regular[client]
    if (!kept || !fresh) continue
    lines.push(`| ${CLIENTS[client].label} | ${fmt(kept.rps)} | ${fmt(fresh.rps)} | ${(kept.rps / fresh.rps).toFixed(1)}x |`)
  }
  lines.push('')
}

lines.push('## Heap kept by each client process', '')
lines.push('The JS heap after a full collection at the end of the run, in the process where each client did every scenario but the download: what its module code, pool and caches keep.', '')
lines.push('| client | heap after GC |')
lines.push('| --- | ---: |')
for (const client of summaryClients) {
  if (heaps[client] !== undefined) lines.push(`| ${CLIENTS[client].label} | ${fmt(heaps[client] / 2 ** 20, 1)} MiB |`)
}
lines.push('')

if (footprint) {
  const { cold, imports, bundles, installed } = footprint
  lines.push('## Fresh processes (what a serverless invocation sees)', '')
  lines.push('Each client in a fresh Node process per scenario: the client made, 3,000 requests of warm-up (750 calls of the 3-hop chain), then 3,000 measured (750 calls); CPU of the process per request (per call for the chain). Ratios to `undici.request` in a fresh process of its own in the same repeat, median of the repeats (3, the clients\' order rotated).', '')
  lines.push('| scenario | undici.request | undici.request + tough-cookie (by hand) | fetch-session $fetch | fetch-session session |')
  lines.push('| --- | ---: | ---: | ---: | ---: |')
  for (const [scenario, byClient] of Object.entries(cold)) {
    const cell = client => (byClient[client] ? (client === 'undici.request' ? `1.00 (${fmt(byClient[client].cpuUs, 1)} µs)` : `${byClient[client].cpuRatio.toFixed(2)}${client === '$fetch' && scenario !== 'json' ? '*' : ''}`) : '–')
    lines.push(`| ${SCENARIOS[scenario].title} | ${['undici.request', 'undici.request+tough', '$fetch', 'session'].map(cell).join(' | ')} |`)
  }
  lines.push('', '\\* no jar: not comparable (see above).', '')
  lines.push('## Import time and size', '')
  lines.push(`- \`await import()\` in a fresh Node process, median of ${imports.ky.runs.length} (interleaved): fetch-session **${fmt(imports['fetch-session'].medianMs, 1)} ms**, ky ${fmt(imports.ky.medianMs, 1)} ms (${(imports['fetch-session'].medianMs / imports.ky.medianMs).toFixed(2)}x). undici loaded by the import: ${footprint.importLoadsUndici ? 'yes' : 'no'} (a session loads it when it is made).`)
  lines.push('- `createSession` and `$fetch` bundled by esbuild, minified and gzipped, per export condition (tough-cookie alone, with tldts and its public suffix list, bundled for the same runtime; what the package adds is the difference):', '')
  lines.push('| entry | bundle | tough-cookie alone | the package adds | undici in it |')
  lines.push('| --- | ---: | ---: | ---: | --- |')
  for (const name of ['browser', 'workerd', 'deno', 'bun']) {
    const size = bundles[name]
    lines.push(`| ${name} | ${fmt(size.bytes / 1024, 1)} KB | ${size.toughCookieBytes ? `${fmt(size.toughCookieBytes / 1024, 1)} KB` : '– (the browser keeps cookies)'} | ${fmt(size.addedBytes / 1024, 1)} KB | ${size.undici ? 'yes' : 'no'} |`)
  }
  lines.push(`| ky (browser) | ${fmt(bundles.ky.bytes / 1024, 1)} KB | | | |`, `| ofetch (browser) | ${fmt(bundles.ofetch.bytes / 1024, 1)} KB | | | |`, '')
  lines.push(`- Installed with the package (its files and its dependencies' closure, ${installed.packages} packages, as npm laid them out here): ${fmt(installed.bytes / 2 ** 20, 1)} MB, of which undici ${fmt((installed.bytes - installed.withoutUndiciBytes) / 2 ** 20, 1)} MB (loaded by the Node entry only).`, '')
}

const targets = targetRows({ results, samples, footprint })
if (targets.length) {
  lines.push('## Targets', '')
  lines.push('Measured: the median over the rounds of the ratio in each round (the verdict is on it); best rounds: the best round of each against the best round of the other, which this machine\'s slow phases do not reach.', '')
  lines.push('| target | measured (median) | best rounds | |')
  lines.push('| --- | ---: | ---: | --- |')
  for (const [target, value, best, verdict] of targets) lines.push(`| ${target} | ${value} | ${best} | ${verdict} |`)
  lines.push('')
}

if (soakResult) {
  lines.push('## Soak', '')
  lines.push(`${fmt(soakResult.requests)} requests through one session (cookies on, \`timeout: ${JSON.stringify(soakResult.timeout)}\`, one long-lived \`signal\` shared by every request, ${soakResult.concurrency} in flight) in ${fmt(soakResult.wallMs / 1000, 1)} s (${fmt(soakResult.requests / (soakResult.wallMs / 1000))} req/s). Heap after GC, sampled every ${fmt(soakResult.every)} requests:`, '')
  lines.push(`- heap slope: **${fmt(soakResult.slopePer10k)} bytes per 10,000 requests** (least squares over the samples after the first; ${fmt(soakResult.samples[1]?.heap / 1024 ** 2, 2)} MiB after ${fmt(soakResult.every)} requests, ${fmt(soakResult.samples.at(-1).heap / 1024 ** 2, 2)} MiB at the end)`)
  lines.push(`- warnings fired: **${soakResult.warnings.length}**${soakResult.warnings.length ? ` (${soakResult.warnings.join('; ')})` : ''}; abort listeners left on the long-lived signal: ${soakResult.listeners}; active timers at the end: ${soakResult.timers}`)
  lines.push(`- samples (requests: heap MiB): ${soakResult.samples.map(sample => `${fmt(sample.requests / 1000)}k: ${fmt(sample.heap / 1024 ** 2, 2)}`).join(', ')}`)
  lines.push('')
}

lines.push('Reproduce with `npm run bench` (builds first; about 6 to 9 minutes on 2 cores). Raw medians and every run: bench/results.json.', '')
// What follows NOTES in the file written over (dated sections of one-off runs, by hand) is kept.
let notes = ''
try {
  const previous = readFileSync(out, 'utf8')
  if (previous.includes(NOTES)) notes = `\n${previous.slice(previous.indexOf(NOTES))}`
}
catch {}
writeFileSync(out, lines.join('\n') + notes)
// A run written elsewhere (--out) keeps its raw results next to it, and leaves bench/results.json alone.
const rawOut = out === join(here, 'RESULTS.md') ? join(here, 'results.json') : out.replace(/(\.md)?$/, '.json')
writeFileSync(rawOut, `${JSON.stringify({ date: new Date().toISOString(), env: { node: process.version, cpu: cpus()[0]?.model ?? 'unknown CPU', cores: cpus().length, commit }, rounds, quick, results, heaps, samples, soak: soakResult, footprint }, null, 2)}\n`)
if (out === join(here, 'RESULTS.md')) log(`README: ${updateReadme(join(root, 'README.md'), join(here, 'results.json'))}`)
log(`wrote ${out} in ${((Date.now() - started) / 1000).toFixed(0)} s`)
