/**
 * One client in a fresh process, as a serverless invocation sees it (issue 18): the client made,
 * the scenario set up, WARMUP requests (checked), then MEASURED requests timed (CPU of this
 * process: user + system, all threads, the compiler's included). Prints one JSON line.
 *
 *   node bench/cold-child.mjs <client> <scenario> <comma-separated base URLs> [warm-up] [measured]
 */
import { CLIENTS } from './clients.mjs'
import { SCENARIOS } from './scenarios.mjs'

const [clientName, scenarioName, basesArg, warmup = '3000', measured = '3000'] = process.argv.slice(2)
const bases = basesArg.split(',')
const scenario = SCENARIOS[scenarioName]
const client = await CLIENTS[clientName].create()
if (scenario.setup) await scenario.setup(client, bases)
let index = 0
for (let count = 0; count < Number(warmup); count++) {
  const problem = scenario.check(await scenario.run(client, bases, index++), client)
  if (problem) throw new Error(`${clientName} / ${scenario.title}: ${problem}`)
}
const start = process.cpuUsage()
const wallStart = performance.now()
for (let count = 0; count < Number(measured); count++) await scenario.run(client, bases, index++)
const used = process.cpuUsage(start)
const wallMs = performance.now() - wallStart
await client.close()
process.stdout.write(`${JSON.stringify({ client: clientName, scenario: scenarioName, cpuUs: (used.user + used.system) / Number(measured), wallMs })}\n`)
process.exit(0)
