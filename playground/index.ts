/**
 * The playground: one TypeScript counterpart of every Python example in the seed article
 * ("What is the difference between Session and regular requests in Requests?"), in order, all
 * against the local test server (never a public host).
 *
 *   npm run playground
 *
 * Each scenario prints what it shows; one that fails prints `FAILED: …` and sets a non-zero exit
 * code without stopping the others.
 */
import { startServer } from '../test/helpers/server'
import * as s01 from './scenarios/01-stateless-vs-session'
import * as s02 from './scenarios/02-login-protected'
import * as s03 from './scenarios/03-connection-pooling'
import * as s04 from './scenarios/04-header-persistence'
import * as s05 from './scenarios/05-configuration-persistence'
import * as s06 from './scenarios/06-custom-adapters-retry'
import * as s07 from './scenarios/07-api-client'
import * as s08 from './scenarios/08-scraping-with-login'
import * as s09 from './scenarios/09-always-close-sessions'
import * as s10 from './scenarios/10-timeouts'
import * as s11 from './scenarios/11-error-handling'
import * as s12 from './scenarios/12-when-to-use-each'
import * as s13 from './scenarios/13-persistent-session'
import * as s14 from './scenarios/14-download-progress'
import * as s15 from './scenarios/15-http-cache'
import * as s16 from './scenarios/16-observability'
import * as s17 from './scenarios/17-upload-progress'
import * as s18 from './scenarios/18-resumed-download'
import * as s19 from './scenarios/19-fleet'
import { describeError, ms, section } from './util'
import type { Scenario } from './util'

const scenarios: Scenario[] = [s01, s02, s03, s04, s05, s06, s07, s08, s09, s10, s11, s12, s13, s14, s15, s16, s17, s18, s19]

/** A scenario that takes longer than this is reported as failed, so the run always ends. */
const SCENARIO_LIMIT_MS = 20_000

async function withLimit(run: () => Promise<void>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${SCENARIO_LIMIT_MS} ms`)), SCENARIO_LIMIT_MS)
  })
  try {
    await Promise.race([run(), limit])
  }
  finally {
    clearTimeout(timer)
  }
}

const server = await startServer()
console.log(`fetch-session playground: local test server at ${server.url}`)

const failed: string[] = []
try {
  for (const [index, scenario] of scenarios.entries()) {
    section(index + 1, scenario.title)
    const start = performance.now()
    try {
      await withLimit(() => scenario.run({ server }))
      console.log(`  ok (${ms(performance.now() - start)})`)
    }
    catch (error) {
      failed.push(`${index + 1}`)
      process.exitCode = 1
      console.log(`  FAILED: ${describeError(error)}`)
    }
  }
}
finally {
  await server.close()
}

const ok = scenarios.length - failed.length
console.log(`\n${scenarios.length} scenarios, ${ok} ok${failed.length > 0 ? `, ${failed.length} failed (${failed.join(', ')})` : ''}`)
