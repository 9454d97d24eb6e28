/**
 * A setup file (vitest.config.ts `setupFiles`): a test file during which Node emitted a process
 * warning (`MaxListenersExceededWarning`, a deprecation, an experimental feature…) fails at its
 * end, naming the warning. Node still prints the warning itself; this makes it a failure that
 * the run's summary names with its file, instead of a line lost in the output (issue 11, item 26:
 * a clean run prints no warning).
 */
import { afterAll, beforeAll } from 'vitest'

interface WarningLog {
  warnings: Error[]
}

const KEY = Symbol.for('fetch-session.test.warnings')
const state = globalThis as { [KEY]?: WarningLog }

// One listener per process, however many test files the process runs.
if (!state[KEY]) {
  const log: WarningLog = { warnings: [] }
  state[KEY] = log
  process.on('warning', warning => void log.warnings.push(warning))
}
const log = state[KEY]!

beforeAll(() => {
  log.warnings.length = 0
})

afterAll(async () => {
  // A warning is emitted on the next tick after its cause.
  await new Promise(resolve => setImmediate(resolve))
  const warnings = log.warnings.splice(0)
  if (warnings.length > 0) {
    throw new Error(`Node emitted ${warnings.length} warning${warnings.length === 1 ? '' : 's'} while this file ran:\n${warnings.map(warning => `  ${warning.name}: ${warning.message}`).join('\n')}`)
  }
})
