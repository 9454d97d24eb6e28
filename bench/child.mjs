/**
 * One client under test, in a process of its own (forked by bench/run.mjs with --expose-gc and an
 * IPC channel), alive for the whole run so that it stays warm between its turns. It answers two
 * messages:
 *
 *   { type: 'warm', scenario, ms }                   run the scenario for `ms`, checking every result
 *   { type: 'measure', scenario, warmupMs, windowMs, scale } a short re-warm (checked), then
 *                                                    measured windows
 *   (after both, the scenario's `verify`, if it has one)
 *   { type: 'heap' }                                 the heap after a full collection, and every warning
 *
 * A measurement is made of windows of `windowMs`, at least 4, until 3 of them were quiet: on
 * Linux, /proc tells how much CPU the rest of the machine (other than this process and the server)
 * used during each window; above 15% of a core the window is "disturbed" (other work shares the
 * cores and caches). The best quiet window (least CPU per request: other work only ever adds, so
 * the best window is the closest to the client's own cost, as timeit and pyperf report the best
 * run) gives CPU per request (process.cpuUsage(): user + system, all threads, compiler and GC
 * included) and requests per second; means over all windows are reported too. Over the whole
 * measured time: the bytes allocated on the JS heap per request (v8.GCProfiler: the heap growth
 * between collections, summed). Warnings fired are reported too.
 *
 *   node --expose-gc bench/child.mjs <client> <comma-separated base URLs> [server pid]
 */
import { readFileSync } from 'node:fs'
import { GCProfiler, getHeapStatistics } from 'node:v8'
import { CLIENTS } from './clients.mjs'
import { MAX_WINDOWS, MIN_WINDOWS, QUIET_WINDOWS, SCENARIOS, WINDOW_MS } from './scenarios.mjs'

const [clientName, basesArg, serverPid] = process.argv.slice(2)
const entry = CLIENTS[clientName]
if (!entry) throw new Error(`unknown client ${clientName}`)
const bases = basesArg.split(',')
const warnings = []
process.on('warning', warning => warnings.push(`${warning.name}: ${warning.message}`))

/** Runs requests (`concurrency` in flight) until `ms` have passed or `max` were started; returns how many were done. */
async function drive(client, scenario, ms, max, check) {
  const deadline = performance.now() + ms
  let next = 0
  let done = 0
  const worker = async () => {
    while (next < max && (next < scenario.concurrency || performance.now() < deadline)) {
      const index = next++
      const result = await scenario.run(client, bases, index)
      done++
      if (check) {
        const problem = scenario.check(result, client)
        if (problem) throw new Error(`${clientName} / ${scenario.title}: ${problem}`)
      }
    }
  }
  await Promise.all(Array.from({ length: scenario.concurrency }, worker))
  return done
}

/**
 * The CPU time the rest of the machine used (everything but this process and the server), from
 * /proc (Linux; `undefined` elsewhere), in ms. A window in which other processes used more than
 * 15% of a core is "disturbed": they share the caches and the cores with the client under test.
 */
function machineBusyMs() {
  try {
    const cpu = readFileSync('/proc/stat', 'latin1').slice(0, 200).split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
    const busy = cpu.reduce((sum, value) => sum + value, 0) - cpu[3] - (cpu[4] ?? 0)
    const server = serverPid ? readFileSync(`/proc/${serverPid}/stat`, 'latin1').split(') ')[1].split(' ').slice(11, 13).map(Number) : [0, 0]
    // /proc counts in USER_HZ ticks, 100 per second on Linux.
    return { machine: busy * 10, server: (server[0] + server[1]) * 10 }
  }
  catch {
    return undefined
  }
}

const DISTURBED_SHARE = 0.15

async function measure(scenario, name, warmupMs, windowMs, scale) {
  // No forced collection here: after one, V8 runs 2 to 4 times slower for most of a second while
  // its young generation grows back, which would be measured. The heap is collected at the end.
  await drive(client, scenario, warmupMs, scenario.requests, true)
  const heapBefore = getHeapStatistics().used_heap_size
  const warningsBefore = warnings.length
  const profiler = new GCProfiler()
  profiler.start()
  const windows = []
  let requests = 0
  let wall = 0
  let cpuTotal = 0
  // Windows until QUIET_WINDOWS undisturbed ones (at least MIN_WINDOWS, at most MAX_WINDOWS).
  const maxWindows = Math.max(MIN_WINDOWS, Math.round(MAX_WINDOWS * scale))
  let quiet = 0
  while (windows.length < MIN_WINDOWS || (quiet < QUIET_WINDOWS && windows.length < maxWindows)) {
    const before = machineBusyMs()
    const cpuStart = process.cpuUsage()
    const wallStart = process.hrtime.bigint()
    const done = await drive(client, scenario, windowMs, Math.ceil(scenario.requests / MIN_WINDOWS), false)
    const windowWall = Number(process.hrtime.bigint() - wallStart) / 1e6
    const used = process.cpuUsage(cpuStart)
    const after = machineBusyMs()
    const others = before && after ? Math.max(0, (after.machine - before.machine) - (after.server - before.server) - (used.user + used.system) / 1000) / windowWall : undefined
    const disturbed = others !== undefined && others > DISTURBED_SHARE
    if (!disturbed) quiet++
    windows.push({ requests: done, cpuUs: (used.user + used.system) / done, rps: done / (windowWall / 1000), others, disturbed })
    requests += done
    wall += windowWall
    cpuTotal += used.user + used.system
  }
  const counted = quiet > 0 ? windows.filter(window => !window.disturbed) : windows
  const heapEnd = getHeapStatistics().used_heap_size
  const { statistics } = profiler.stop()
  // Allocated = growth before each collection + growth since the last one.
  let allocated = 0
  let base = heapBefore
  for (const gc of statistics) {
    allocated += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - base)
    base = gc.afterGC.heapStatistics.usedHeapSize
  }
  allocated += Math.max(0, heapEnd - base)
  return {
    client: clientName,
    scenario: name,
    requests,
    wallMs: wall,
    rps: Math.max(...counted.map(window => window.rps)),
    cpuUs: Math.min(...counted.map(window => window.cpuUs)),
    quietWindows: quiet,
    meanRps: requests / (wall / 1000),
    meanCpuUs: cpuTotal / requests,
    allocBytes: allocated / requests,
    gcs: statistics.length,
    windows,
    warnings: warnings.slice(warningsBefore),
  }
}

/** The scenario's own check of what the client did (e.g. the server saw one request of a cached response). */
async function verify(scenario) {
  const problem = await scenario.verify?.(client, bases)
  if (problem) throw new Error(`${clientName} / ${scenario.title}: ${problem}`)
}

const client = await entry.create()
const prepared = new Set()
process.on('message', async (message) => {
  try {
    if (message.type === 'heap') {
      globalThis.gc()
      globalThis.gc()
      process.send({ type: 'heap', heap: getHeapStatistics().used_heap_size, warnings })
      return
    }
    const scenario = SCENARIOS[message.scenario]
    if (!scenario) throw new Error(`unknown scenario ${message.scenario}`)
    if (!prepared.has(message.scenario)) {
      prepared.add(message.scenario)
      if (scenario.setup) await scenario.setup(client, bases)
    }
    if (message.type === 'warm') {
      const requests = await drive(client, scenario, message.ms, Number.POSITIVE_INFINITY, true)
      await verify(scenario)
      process.send({ type: 'warmed', requests })
    }
    else {
      const result = await measure(scenario, message.scenario, message.warmupMs, message.windowMs, message.scale)
      await verify(scenario)
      process.send({ type: 'result', result })
    }
  }
  catch (error) {
    process.send({ type: 'error', error: String(error?.stack ?? error) })
  }
})
process.on('disconnect', async () => {
  await client.close().catch(() => {})
  process.exit(0)
})
process.send({ type: 'ready' })
