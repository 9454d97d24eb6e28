/**
 * Entry for Node, Deno and Bun: `<runtime> conformance.mjs '<env json>' [filter]` prints the report
 * as one line of JSON and exits.
 */
import { runConformance } from '../run'

const runtime = globalThis as { Deno?: { args: string[], exit: (code: number) => never }, process?: { argv: string[], exit: (code: number) => never } }
const args = runtime.Deno ? runtime.Deno.args : runtime.process!.argv.slice(2)
const report = await runConformance(JSON.parse(args[0]!), args[1])
console.log(JSON.stringify(report))
// The suite closes its sessions; exit anyway so a leaked handle shows up as a failure elsewhere, not a hang here.
if (runtime.Deno) runtime.Deno.exit(0)
else runtime.process!.exit(0)
