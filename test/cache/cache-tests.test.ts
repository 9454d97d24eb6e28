/**
 * The HTTP cache (issue 14) against the cache-tests.fyi suite (the `http-cache-tests` package, by
 * Mark Nottingham), side by side with undici's own cache interceptor, in one run.
 *
 * How to run: `npx vitest run test/cache/cache-tests.test.ts` (about 25 s). One client alone, by
 * hand: `node --import tsx test/cache/cache-tests-run.mjs undici` (or `fetch-session`,
 * `fetch-session-shared`): its raw results as JSON on the last line.
 *
 * Each client runs in a child process of its own (test/cache/cache-tests-run.mjs: the suite's
 * runner keeps its state in module variables), against the suite's server handlers on
 * 127.0.0.1, with the suite's proxy selection (329 tests, 100 at a time; no browser cache).
 * The three children run at once: mostly they wait out the suite's 3 s pauses.
 *
 * Each test is then judged by the suite's own rule, `determineTestResult` of its lib/display.mjs
 * (what cache-tests.fyi shows): a `required` test passes or fails, an `optimal` one passes or
 * falls short (⚠️), a `check` says yes or no; a setup failure, a retried request and a failed
 * dependency are outcomes of their own. "Passed" is the suite's own pass types: pass and yes.
 *
 * undici's interceptor defaults to a shared cache; `cache: true` is a private one. The tests a
 * private cache may rightly fail (`s-maxage`, `private`, `Authorization`: the tests whose name
 * says "shared", and those that depend on them) are left out of that comparison only; the
 * session with `cache: { shared: true }` is compared on all of them.
 *
 * The counts go to .tmp/cache-tests-results.json (ignored by git) and to one line on the
 * console, `cache-tests: fetch-session N passed of M, undici interceptor K passed of M`.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const RUNNER = 'test/cache/cache-tests-run.mjs'
const RESULT_MARKER = 'cache-tests-result '
const CLIENTS = ['undici', 'fetch-session', 'fetch-session-shared'] as const
type Client = typeof CLIENTS[number]
const MODES: Record<Client, 'shared' | 'private'> = { 'undici': 'shared', 'fetch-session': 'private', 'fetch-session-shared': 'shared' }

/** A test of the suite, as tests/index.mjs has it (the fields read here). */
interface SuiteTest {
  id: string
  name: string
  kind?: Kind
  depends_on?: string[]
  browser_only?: boolean
}
type Kind = 'required' | 'optimal' | 'check'
/** The suite's raw result of one test: `true`, or the error's name and message. */
type RawResult = true | [string, string]
type Outcome = 'pass' | 'fail' | 'optional_fail' | 'yes' | 'no' | 'setup_fail' | 'harness_fail' | 'dependency_fail' | 'retry' | 'untested'

/** lib/display.mjs's result types, by the console symbol (their third member) that names each. */
const OUTCOME_BY_SYMBOL: Record<string, Outcome> = {
  '✅': 'pass',
  '⛔️': 'fail',
  '⚠️': 'optional_fail',
  'Y': 'yes',
  'N': 'no',
  '🔹': 'setup_fail',
  '⁉️': 'harness_fail',
  '⚪️': 'dependency_fail',
  '↻': 'retry',
  '-': 'untested',
}
/** The suite's `passTypes` (lib/display.mjs): what counts as passed, also for a dependency. */
const PASSED = new Set<Outcome>(['pass', 'yes'])

interface Run {
  client: Client
  mode: 'shared' | 'private'
  ms: number
  results: Record<string, RawResult>
  outcomes: Record<string, Outcome>
}

/** Every test set of tests/index.mjs, for `determineTestResult` to look dependencies up in. */
let suites: Array<{ tests: SuiteTest[] }>
let suite: SuiteTest[]
let runs: Record<Client, Run>

/** One client's run, in its own process: the suite's raw results. */
async function runClient(client: Client): Promise<Omit<Run, 'outcomes'>> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', RUNNER, client], { cwd: root, encoding: 'utf8', timeout: 100_000, maxBuffer: 20_000_000 })
  const line = stdout.split('\n').find(text => text.startsWith(RESULT_MARKER))
  if (!line) throw new Error(`${client}: no result line in\n${stdout}`)
  return JSON.parse(line.slice(RESULT_MARKER.length)) as Omit<Run, 'outcomes'>
}

/** Each test's outcome by the suite's rule (dependencies honoured, as cache-tests.fyi does). */
async function judge(results: Record<string, RawResult>): Promise<Record<string, Outcome>> {
  const display = await import('http-cache-tests/lib/display.mjs' as string) as { determineTestResult: (suites: unknown, id: string, results: unknown) => string[] }
  return Object.fromEntries(suite.map(test => {
    const symbol = display.determineTestResult(suites, test.id, results)[2]!
    const outcome = OUTCOME_BY_SYMBOL[symbol]
    if (!outcome) throw new Error(`unknown result symbol ${symbol} for ${test.id}`)
    return [test.id, outcome]
  }))
}

const kindOf = (test: SuiteTest): Kind => test.kind ?? 'required'
const passed = (run: Run, id: string): boolean => PASSED.has(run.outcomes[id]!)

/** How many tests of each kind had each outcome. */
function countByKind(run: Run): Record<Kind, Partial<Record<Outcome, number>>> {
  const counts: Record<Kind, Partial<Record<Outcome, number>>> = { required: {}, optimal: {}, check: {} }
  for (const test of suite) {
    const outcome = run.outcomes[test.id]!
    const row = counts[kindOf(test)]
    row[outcome] = (row[outcome] ?? 0) + 1
  }
  return counts
}

/** The tests only a shared cache is held to: named so by the suite, and those depending on them. */
function sharedOnly(): Set<string> {
  const ids = new Set(suite.filter(test => /\bshared\b/i.test(test.name)).map(test => test.id))
  let size = 0
  while (size !== ids.size) {
    size = ids.size
    for (const test of suite) {
      if (test.depends_on?.some(id => ids.has(id))) ids.add(test.id)
    }
  }
  return ids
}

/** The required and optimal tests `baseline` passes and `run` does not, but those left out. */
function missing(run: Run, baseline: Run, leftOut: Set<string> = new Set()): string[] {
  return suite
    .filter(test => kindOf(test) !== 'check' && !leftOut.has(test.id))
    .filter(test => passed(baseline, test.id) && !passed(run, test.id))
    .map(test => `${test.id} (${run.outcomes[test.id]}: ${JSON.stringify(run.results[test.id])})`)
}

function summaryLine(): string {
  const total = suite.length
  const count = (client: Client): number => suite.filter(test => passed(runs[client], test.id)).length
  const perKind = (client: Client): string => (['required', 'optimal', 'check'] as const)
    .map(kind => `${kind} ${suite.filter(test => kindOf(test) === kind && passed(runs[client], test.id)).length}/${suite.filter(test => kindOf(test) === kind).length}`)
    .join(', ')
  return [
    `cache-tests: fetch-session ${count('fetch-session')} passed of ${total}, undici interceptor ${count('undici')} passed of ${total}`,
    ...CLIENTS.map(client => `  ${client} (${runs[client].mode}, ${(runs[client].ms / 1000).toFixed(1)} s): ${perKind(client)}`),
  ].join('\n')
}

function writeSummary(): void {
  const dir = join(root, '.tmp')
  mkdirSync(dir, { recursive: true })
  const clients = Object.fromEntries(CLIENTS.map(client => {
    const run = runs[client]
    return [client, { mode: run.mode, ms: run.ms, total: suite.length, passed: suite.filter(test => passed(run, test.id)).length, byKind: countByKind(run), outcomes: run.outcomes, results: run.results }]
  }))
  writeFileSync(join(dir, 'cache-tests-results.json'), `${JSON.stringify({ suite: 'http-cache-tests', clients }, null, 2)}\n`)
}

beforeAll(async () => {
  suites = (await import('http-cache-tests/tests/index.mjs' as string) as { default: typeof suites }).default
  // The proxy selection, as runTests(…, false, …) makes it.
  suite = suites.flatMap(set => set.tests).filter(test => test.browser_only !== true)
  const raw = await Promise.all(CLIENTS.map(runClient))
  runs = Object.fromEntries(await Promise.all(raw.map(async run => [run.client, { ...run, outcomes: await judge(run.results) }]))) as Record<Client, Run>
  writeSummary()
  console.log(summaryLine())
}, 120_000)

describe('the cache-tests.fyi suite', () => {
  it('runs every test of its proxy selection on each client, in the cache mode said, without a harness failure or a retried request', () => {
    expect(suite.length).toBe(329)
    for (const client of CLIENTS) {
      const run = runs[client]
      expect(run.mode, client).toBe(MODES[client])
      expect(Object.keys(run.results).sort(), client).toEqual(suite.map(test => test.id).sort())
      expect(suite.filter(test => ['untested', 'harness_fail'].includes(run.outcomes[test.id]!)).map(test => test.id), client).toEqual([])
    }
    // ↻: the server saw one request twice. undici's interceptor does so once (304-etag-update-response-ETag).
    for (const client of ['fetch-session', 'fetch-session-shared'] as const) {
      expect(suite.filter(test => runs[client].outcomes[test.id] === 'retry').map(test => test.id), client).toEqual([])
    }
  })

  it('sees undici\'s interceptor reuse a fresh response, and not one without freshness, with max-age=0 or no-store (the harness sees a cache)', () => {
    const { outcomes } = runs.undici
    const ids = ['freshness-none', 'freshness-max-age', 'freshness-max-age-0', 'cc-resp-no-store']
    expect(ids.map(id => outcomes[id])).toEqual(['yes', 'pass', 'pass', 'pass'])
  })

  it('fetch-session (cache: true, private) passes every required and optimal test undici\'s interceptor passes, but those only a shared cache is held to', () => {
    const leftOut = sharedOnly()
    expect(leftOut.size).toBe(11)
    const ids = missing(runs['fetch-session'], runs.undici, leftOut)
    if (ids.length > 0) console.log(`fetch-session (private) does not pass ${ids.length} that undici's interceptor passes:\n  ${ids.join('\n  ')}`)
    expect(ids).toEqual([])
  })

  it('fetch-session (cache: { shared: true }) passes every required and optimal test undici\'s interceptor (shared) passes', () => {
    const ids = missing(runs['fetch-session-shared'], runs.undici)
    if (ids.length > 0) console.log(`fetch-session (shared) does not pass ${ids.length} that undici's interceptor passes:\n  ${ids.join('\n  ')}`)
    expect(ids).toEqual([])
  })
})
