/**
 * Profiles one client in one scenario: runs bench/child.mjs under `node --cpu-prof` against a
 * fresh server and prints where the client's CPU goes: self time by function and by package /
 * file, as a share of all samples.
 *
 *   node bench/profile.mjs <client> <scenario> [seconds measured] [--top N]
 *
 * Set PROFILE_FILTER to a substring (a file, `dist/`) to list only matching functions by total time.
 */
import { fork } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const topIndex = args.indexOf('--top')
const top = topIndex === -1 ? 30 : Number(args.splice(topIndex, 2)[1])
const [client, scenario, seconds = '8'] = args
const dir = mkdtempSync(join(tmpdir(), 'fetch-session-prof-'))

const server = fork(join(here, 'server.mjs'), [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
const { ports } = await new Promise(resolve => server.stdout.once('data', chunk => resolve(JSON.parse(String(chunk)))))
const bases = ports.map((port, index) => `http://127.0.0.${index + 1}:${port}`)
const worker = fork(join(here, 'child.mjs'), [client, bases.join(','), String(server.pid)], { execArgv: ['--expose-gc', '--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval', '200'] })
const next = () => new Promise(resolve => worker.once('message', resolve))
await next()
worker.send({ type: 'warm', scenario, ms: 3000 })
await next()
worker.send({ type: 'measure', scenario, warmupMs: 100, windowMs: (Number(seconds) * 1000) / 4, scale: 0.4 })
const { result } = await next()
worker.disconnect()
await new Promise(resolve => worker.once('exit', resolve))
server.disconnect()
server.kill()
console.log(`${client} / ${scenario}: ${result.cpuUs.toFixed(1)} µs CPU per request (best window), ${result.meanCpuUs.toFixed(1)} (mean), ${result.requests} requests measured; the profile covers the warm-up too`)

const profile = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]), 'utf8'))
rmSync(dir, { recursive: true })
const byId = new Map(profile.nodes.map(node => [node.id, node]))
const counts = new Map()
for (const sample of profile.samples) counts.set(sample, (counts.get(sample) ?? 0) + 1)
const total = profile.samples.length
const byFunction = new Map()
const byFile = new Map()
const where = (url) => {
  if (!url) return '(native / V8)'
  const modules = url.lastIndexOf('node_modules/')
  if (modules !== -1) return url.slice(modules + 13).split('/').slice(0, url.includes('node_modules/@') ? 2 : 1).join('/')
  if (url.startsWith('node:')) return url
  return url.replace(/^file:\/\//, '').replace(`${join(here, '..')}/`, '')
}
for (const [id, count] of counts) {
  const { callFrame } = byId.get(id)
  const file = where(callFrame.url)
  const name = `${callFrame.functionName || '(anonymous)'}  ${file}:${callFrame.lineNumber + 1}`
  byFunction.set(name, (byFunction.get(name) ?? 0) + count)
  byFile.set(file, (byFile.get(file) ?? 0) + count)
}
const show = (title, map, limit) => {
  console.log(`\n${title}`)
  for (const [name, count] of [...map].sort((a, b) => b[1] - a[1]).slice(0, limit)) console.log(`${(100 * count / total).toFixed(1).padStart(5)}%  ${name}`)
}
// Inclusive ("total") time: each sample counts once for every distinct function on its stack.
const parent = new Map()
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
const inclusive = new Map()
const label = ({ callFrame }) => `${callFrame.functionName || '(anonymous)'}  ${where(callFrame.url)}:${callFrame.lineNumber + 1}`
for (const [id, count] of counts) {
  const seen = new Set()
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const name = label(byId.get(at))
    if (seen.has(name)) continue
    seen.add(name)
    inclusive.set(name, (inclusive.get(name) ?? 0) + count)
  }
}
const idle = (byFunction.get('(idle)  (native / V8):0') ?? 0)
console.log(`\nsamples: ${total}, idle: ${(100 * idle / total).toFixed(1)}% (shares below are of all samples)`)
show('self time by file / package', byFile, 25)
show('self time by function', byFunction, top)
// PROFILE_CALLERS=name: the call paths (5 frames up) that lead to functions named `name`.
const callersOf = process.env.PROFILE_CALLERS
if (callersOf) {
  const paths = new Map()
  for (const [id, count] of counts) {
    const frames = []
    let hit = false
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at)
      if (!hit && node.callFrame.functionName === callersOf) hit = true
      if (hit) frames.push(label(node).replace(/\s+/g, ' '))
      if (frames.length > 6) break
    }
    if (hit) paths.set(frames.join(' < '), (paths.get(frames.join(' < ')) ?? 0) + count)
  }
  show(`call paths to ${callersOf}`, paths, 12)
}
const filter = process.env.PROFILE_FILTER
show(`total (inclusive) time by function${filter ? ` matching ${filter}` : ''}`, new Map([...inclusive].filter(([name]) => !filter || name.includes(filter))), top)
