/**
 * The soak: N requests (200,000 by default) through one session with deadlines and one
 * long-lived signal shared by every request, 32 in flight. Every 10,000 requests the in-flight
 * requests drain, the heap is collected and sampled. Prints one JSON line: the samples, the
 * least-squares slope of the heap (bytes per 10,000 requests), the warnings that fired, the
 * listeners left on the signal and the timers left.
 *
 *   node --expose-gc bench/soak.mjs <base URL> [requests]
 */
import { getEventListeners } from 'node:events'
import { getHeapStatistics } from 'node:v8'
import { createSession } from '../dist/adapters/node.js'

const [base, total = '200000'] = process.argv.slice(2)
const requests = Number(total)
const every = 10_000
const concurrency = 32
const timeout = { total: 10_000, attempt: 5_000 }
const warnings = []
process.on('warning', warning => warnings.push(`${warning.name}: ${warning.message}`))

const controller = new AbortController()
const session = createSession({ baseURL: base, timeout, signal: controller.signal })

async function batch(count) {
  let next = 0
  const worker = async () => {
    while (next++ < count) {
      const data = await session('/json')
      if (data.id !== 1) throw new Error(`unexpected body ${JSON.stringify(data)}`)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

const heap = () => {
  globalThis.gc()
  globalThis.gc()
  return getHeapStatistics().used_heap_size
}

await batch(2000)
const samples = [{ requests: 0, heap: heap() }]
const started = process.hrtime.bigint()
for (let done = 0; done < requests; done += every) {
  await batch(Math.min(every, requests - done))
  samples.push({ requests: Math.min(done + every, requests), heap: heap() })
}
const wallMs = Number(process.hrtime.bigint() - started) / 1e6

// Least squares over the samples after the first (the first batch still fills caches and JIT code).
const points = samples.slice(1)
const meanX = points.reduce((sum, point) => sum + point.requests, 0) / points.length
const meanY = points.reduce((sum, point) => sum + point.heap, 0) / points.length
let numerator = 0
let denominator = 0
for (const point of points) {
  numerator += (point.requests - meanX) * (point.heap - meanY)
  denominator += (point.requests - meanX) ** 2
}
const slopePer10k = denominator ? (numerator / denominator) * 10_000 : 0
const listeners = getEventListeners(controller.signal, 'abort').length
const timers = process.getActiveResourcesInfo().filter(name => name === 'Timeout').length
await session.close()
process.stdout.write(`${JSON.stringify({ requests, every, concurrency, timeout, wallMs, samples, slopePer10k, warnings, listeners, timers })}\n`)
process.exit(0)
