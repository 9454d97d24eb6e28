/**
 * A quick A/B tool for working on the transport (not part of `npm run bench`): several clients in
 * one process, warmed up together, then measured in alternating windows, so that a noisy machine
 * hits them alike. Prints the median and the minimum CPU µs per request of each client.
 *
 *   node bench/ab.mjs <scenario> <client,client…> [windows] [requests per window]
 */
import { fork } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CLIENTS } from './clients.mjs'
import { SCENARIOS } from './scenarios.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const [scenarioName, names, windows = '15', size = '1000'] = process.argv.slice(2)
const scenario = SCENARIOS[scenarioName]
const server = fork(join(here, 'server.mjs'), [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
const { ports } = await new Promise(resolve => server.stdout.once('data', chunk => resolve(JSON.parse(String(chunk)))))
const bases = ports.map((port, index) => `http://127.0.0.${index + 1}:${port}`)

const clients = []
for (const name of names.split(',')) {
  const client = await CLIENTS[name].create()
  if (scenario.setup) await scenario.setup(client, bases)
  clients.push({ name, client, cpu: [] })
}
let index = 0
const drive = async (client, count) => {
  let next = 0
  const worker = async () => {
    while (next++ < count) await scenario.run(client, bases, index++)
  }
  await Promise.all(Array.from({ length: scenario.concurrency }, worker))
}
for (const entry of clients) await drive(entry.client, Number(size) * 3)
for (let round = 0; round < Number(windows); round++) {
  for (const entry of clients) {
    const start = process.cpuUsage()
    await drive(entry.client, Number(size))
    const used = process.cpuUsage(start)
    entry.cpu.push((used.user + used.system) / Number(size))
  }
}
for (const { name, cpu, client } of clients) {
  const problem = await scenario.verify?.(client, bases)
  if (problem) throw new Error(`${name}: ${problem}`)
  const sorted = [...cpu].sort((a, b) => a - b)
  console.log(`${name.padEnd(24)} median ${sorted[sorted.length >> 1].toFixed(1).padStart(7)} µs   min ${sorted[0].toFixed(1).padStart(7)} µs`)
  await client.close()
}
server.disconnect()
server.kill()
process.exit(0)
