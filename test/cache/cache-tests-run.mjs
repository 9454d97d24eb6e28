/**
 * One client's run of the cache-tests.fyi suite (the `http-cache-tests` package, by Mark
 * Nottingham), in a process of its own: the suite's runner keeps its tests and results in module
 * state, so each client gets a fresh copy. Run by test/cache/cache-tests.test.ts:
 *
 *   node --import tsx test/cache/cache-tests-run.mjs <client>
 *
 * Clients (the `CLIENTS` table): `undici` (undici's own cache interceptor with its defaults, a
 * shared cache, through undici's fetch), `fetch-session` (`createSession({ cache: true })`, a
 * private cache) and `fetch-session-shared` (`cache: { shared: true }`, the same mode as undici's
 * default). The session comes from src/adapters/node, what `import 'fetch-session'` is on Node.
 *
 * The suite's own server handlers answer on 127.0.0.1, a free port; the tests run as the suite's
 * CLI runs them (`runTests(tests, fetch, false, base)`: the proxy selection, 100 at a time, 3 s
 * pauses). The last line on stdout is `cache-tests-result ` and a JSON object: the client, its
 * cache mode, the suite's raw results (test id: `true`, or `[error name, message]`), the time.
 */
import { createServer } from 'node:http'
import handleConfig from 'http-cache-tests/server/handle-config.mjs'
import handleState from 'http-cache-tests/server/handle-state.mjs'
import handleTest from 'http-cache-tests/server/handle-test.mjs'
import { getResults, runTests } from 'http-cache-tests/client/runner.mjs'
import tests from 'http-cache-tests/tests/index.mjs'

/** The marker in front of the result line, for the parent to find it among the server's warnings. */
const RESULT_MARKER = 'cache-tests-result '

/** A request hung past this fails its test instead of hanging the run. */
const REQUEST_TIMEOUT_MS = 15_000

/**
 * The clients: each resolves to its cache mode, its fetch and how to release it.
 * @type {Record<string, () => Promise<{ mode: 'shared' | 'private', fetch: typeof fetch, close: () => Promise<void> }>>}
 */
const CLIENTS = {
  async undici() {
    const { Agent, fetch, interceptors } = await import('undici')
    const agent = new Agent()
    // interceptors.cache() defaults to type 'shared' (lib/interceptor/cache.js).
    const dispatcher = agent.compose(interceptors.cache())
    return { mode: 'shared', fetch: (url, init) => fetch(url, { ...init, dispatcher }), close: () => agent.close() }
  },
  'fetch-session': () => sessionClient({ cache: true }, 'private'),
  'fetch-session-shared': () => sessionClient({ cache: { shared: true } }, 'shared'),
}

/** A session with these options: its `native` fetch (cookies and redirects, no retries or parsing). */
async function sessionClient(options, mode) {
  const { createSession } = await import('../../src/adapters/node.ts')
  const session = createSession(options)
  return { mode, fetch: (url, init) => session.native(url, init), close: () => session.close() }
}

/**
 * The suite's own dispatch (server/server.mjs) without its file handler, pid file and
 * all-interfaces listen: config, test and state, on loopback.
 */
function startSuiteServer() {
  const server = createServer((request, response) => {
    const segments = new URL(request.url, 'http://127.0.0.1').pathname.split('/').slice(1)
    const handler = { config: handleConfig, test: handleTest, state: handleState }[segments.shift()]
    if (handler) handler(segments, request, response)
    else response.writeHead(404).end()
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(server))
  })
}

/**
 * The client's fetch as the suite calls it. Without a browser cache the suite puts
 * `cache: 'no-store'` on every request, for the browser cache in front of the proxy it tests
 * (client/fetching.mjs, "dirty hack for Fetch"); node-fetch, its default client, ignores it. Here
 * the cache under test is the client's own, which that mode would switch off (fetch-session), or
 * which undici's fetch would turn into `Cache-Control: no-cache` on the requests whose headers the
 * test sets. So it is dropped: no test of this selection sets a cache mode of its own (checked
 * in `main`). A deadline turns a hung request into that test's failure.
 */
function asSuiteFetch(clientFetch) {
  return (url, init = {}) => {
    const { cache, ...rest } = init
    if (cache !== undefined && cache !== 'no-store') throw new Error(`unexpected cache mode ${cache}`)
    return clientFetch(url, { ...rest, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
  }
}

/** Runs the suite on the client named on the command line, then prints the result line. */
async function main() {
  const name = process.argv[2]
  const makeClient = Object.hasOwn(CLIENTS, name) ? CLIENTS[name] : undefined
  if (!makeClient) throw new Error(`usage: cache-tests-run.mjs <${Object.keys(CLIENTS).join('|')}>`)
  const ownModes = tests.flatMap(suite => suite.tests).filter(test => !test.browser_only && test.requests.some(request => 'cache' in request))
  if (ownModes.length > 0) throw new Error(`tests with a cache mode of their own: ${ownModes.map(test => test.id).join(', ')}`)
  const server = await startSuiteServer()
  const client = await makeClient()
  const started = performance.now()
  try {
    // CACHE_TESTS_ONLY=id,id… runs only those tests (to look at one while working on the cache).
    const only = process.env.CACHE_TESTS_ONLY?.split(',')
    const selected = only ? tests.map(suite => ({ ...suite, tests: suite.tests.filter(test => only.includes(test.id)) })) : tests
    await runTests(selected, asSuiteFetch(client.fetch), false, `http://127.0.0.1:${server.address().port}`)
  } finally {
    await client.close()
    server.close()
  }
  const ms = Math.round(performance.now() - started)
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify({ client: name, mode: client.mode, ms, results: getResults() })}\n`)
}

await main()
