/**
 * Entry for Node, Deno and Bun: `<runtime> example.mjs <baseURL>` prints the example's lines as
 * they happen. It does not call exit: a closed session lets the process end by itself.
 */
import { runExample } from '../example'

const scope = globalThis as { Deno?: { args: string[] }, process?: { argv: string[], exitCode?: number } }
const args = scope.Deno ? scope.Deno.args : scope.process!.argv.slice(2)

try {
  await runExample({ baseURL: args[0]!, print: line => console.log(line) })
}
catch (error) {
  console.log(`FAILED: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`)
  if (scope.Deno) (scope.Deno as unknown as { exitCode: number }).exitCode = 1
  else scope.process!.exitCode = 1
}
