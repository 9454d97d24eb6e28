/**
 * The external programs and packages the tests need (a browser, servers, runtimes, tools), in one
 * table, and the one way a test asks for them:
 *
 *   const nginx = requireDependency('nginx', context)            // in a test
 *   const why = dependencySkip('redis-server', 'unstorage over Redis')  // at collection, for describe.skipIf
 *
 * Locally a missing dependency skips, with the reason; each skip is appended to a log file that
 * the reporter (test/helpers/dependency-reporter.ts) prints once at the end of `npm test`, as
 * `skipped: <suite> — <reason>`. With `CI=true` nothing is skipped: a test that needs a missing
 * dependency fails, saying what is missing and how to install it (.ci/run installs all of them).
 */
import { execFileSync } from 'node:child_process'
import { accessSync, appendFileSync, constants, existsSync } from 'node:fs'
import { delimiter, join, relative, resolve } from 'node:path'
import { workerdBinary } from '../runtimes/workerd-process'

const root = resolve(import.meta.dirname, '../..')

/** True on CI (`CI` set, and not `false` or `0`), where a missing dependency is a failure, not a skip. */
export const isCI: boolean = Boolean(process.env.CI) && !/^(?:false|0)$/i.test(process.env.CI ?? '')

/** The environment variable naming the file where skips are logged (set by vitest.config.ts). */
export const SKIP_LOG_VARIABLE = 'FETCH_SESSION_SKIP_LOG'

/** The Python that has Debian's python3-httpbin, gunicorn and python3-requests (the default `python3` on PATH may be another one). */
export const DEBIAN_PYTHON = '/usr/bin/python3'

/** The path of `name` if it is an executable on the PATH (looked up without spawning anything). */
export function findOnPath(name: string, extra: string[] = []): string | undefined {
  const folders = [...(process.env.PATH ?? '').split(delimiter), ...extra]
  for (const folder of folders) {
    if (!folder) continue
    const path = join(folder, name)
    try {
      accessSync(path, constants.X_OK)
      return path
    }
    catch {}
  }
  return undefined
}

/** True when `python` imports every one of `modules` (one short child process, run once per module set). */
function pythonImports(python: string, modules: string[]): boolean {
  if (!existsSync(python)) return false
  try {
    execFileSync(python, ['-c', modules.map(module => `import ${module}`).join('; ')], { stdio: 'ignore', timeout: 10_000 })
    return true
  }
  catch {
    return false
  }
}

/** One dependency: how to find it, and how to install it. */
export interface Dependency {
  /** What it is, for messages: `Chromium (/usr/bin/chromium)`. */
  description: string
  /** Its path (or a short description of what was found) when it is here, else `undefined`. */
  find: () => string | undefined
  /** How to get it. */
  install: string
}

/** Programs in /usr/sbin are not on a non-root PATH. */
const SBIN = ['/usr/sbin', '/sbin']
const npmBinary = (name: string): string | undefined => {
  const path = join(root, 'node_modules', '.bin', name)
  return existsSync(path) ? path : undefined
}
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
/** Node 22, outside the project's node_modules: as a devDependency, its `node` bin would run every npm script on Node 22. */
const NODE22 = join(root, '.tmp', 'node22', 'node_modules', 'node', 'bin', 'node')

/** Every external dependency of the test suite. `.ci/run` installs the Debian ones. */
export const DEPENDENCIES = {
  'chromium': { description: `Chromium (${chromiumPath})`, find: () => existsSync(chromiumPath) ? chromiumPath : undefined, install: '`apt-get install -y chromium` (or set CHROMIUM_PATH)' },
  'redis-server': { description: 'redis-server', find: () => findOnPath('redis-server', SBIN), install: '`apt-get install -y redis-server`' },
  'squid': { description: 'squid', find: () => findOnPath('squid', SBIN), install: '`apt-get install -y squid`' },
  'nginx': { description: 'nginx', find: () => findOnPath('nginx', SBIN), install: '`apt-get install -y nginx`' },
  'httpbin': { description: `httpbin under gunicorn (${DEBIAN_PYTHON} -m gunicorn httpbin:app)`, find: () => pythonImports(DEBIAN_PYTHON, ['httpbin', 'gunicorn']) ? DEBIAN_PYTHON : undefined, install: '`apt-get install -y python3-httpbin gunicorn`' },
  'requests': { description: `Python requests (${DEBIAN_PYTHON})`, find: () => pythonImports(DEBIAN_PYTHON, ['requests']) ? DEBIAN_PYTHON : undefined, install: '`apt-get install -y python3-requests`' },
  'deno': { description: 'the deno binary (node_modules/.bin/deno)', find: () => npmBinary('deno'), install: '`npm install`' },
  'bun': { description: 'the bun binary (node_modules/.bin/bun)', find: () => npmBinary('bun'), install: '`npm install`' },
  'workerd': { description: 'the workerd binary (the npm workerd package and its platform package)', find: workerdBinary, install: '`npm install`' },
  'curl': { description: 'curl', find: () => findOnPath('curl'), install: '`apt-get install -y curl`' },
  'openssl': { description: 'openssl', find: () => findOnPath('openssl'), install: '`apt-get install -y openssl`' },
  // nock 15 needs Node 22 (its interceptors call Promise.withResolvers): test/node/mocks.test.ts runs it in a child process there.
  'node22': { description: `Node 22 from the npm \`node\` package (${NODE22})`, find: () => existsSync(NODE22) ? NODE22 : undefined, install: '`npm install --prefix .tmp/node22 --no-save --no-audit --no-fund node@22`' },
} satisfies Record<string, Dependency>

/** A name of `DEPENDENCIES`. */
export type DependencyName = keyof typeof DEPENDENCIES

const found = new Map<DependencyName, string | undefined>()

/** The dependency's path when it is here (looked up once per process), else `undefined`. */
export function findDependency(name: DependencyName): string | undefined {
  if (!found.has(name)) found.set(name, DEPENDENCIES[name].find())
  return found.get(name)
}

/** Why `name` cannot be used: `nginx is missing: `apt-get install -y nginx` (.ci/run installs it)`. */
export function missingMessage(name: DependencyName): string {
  const dependency: Dependency = DEPENDENCIES[name]
  return `${dependency.description} is missing: ${dependency.install} (.ci/run installs it)`
}

/** One skip, as the reporter reads it. */
export interface SkipRecord {
  /** The test file, relative to the project. */
  file: string
  /** The suite or test that was skipped. */
  suite: string
  /** A whole suite (`dependencySkip()`) or one test (`requireDependency()`). */
  kind: 'suite' | 'test'
  dependency: DependencyName
  reason: string
}

function record(entry: SkipRecord): void {
  const log = process.env[SKIP_LOG_VARIABLE]
  if (log) appendFileSync(log, `${JSON.stringify(entry)}\n`)
}

/** The part of vitest's test context this module uses. */
export interface DependencyContext {
  skip: (note?: string) => never
  task: { name: string, fullTestName?: string, file?: { filepath?: string, name: string } }
}

/**
 * Inside a test (or with no context, inside a hook or helper): the dependency's path. When it is
 * missing: on CI, or without a context, throws an `Error` saying what is missing and how to
 * install it; locally, skips the test with that reason and logs the skip for the summary.
 */
export function requireDependency(name: DependencyName, context?: DependencyContext): string {
  const path = findDependency(name)
  if (path) return path
  const reason = missingMessage(name)
  if (isCI || !context) throw new Error(`missing dependency: ${reason}`)
  const file = context.task.file?.filepath ? relative(root, context.task.file.filepath) : (context.task.file?.name ?? 'unknown file')
  record({ file, suite: context.task.fullTestName ?? context.task.name, kind: 'test', dependency: name, reason })
  return context.skip(reason)
}

/**
 * At collection time, for `describe.skipIf(dependencySkip(…) !== undefined)`: the reason to skip
 * `suite` here (logged for the summary), or `undefined` to run it. On CI it is always `undefined`,
 * so the suite runs and its `requireDependency()` calls fail loudly.
 */
export function dependencySkip(name: DependencyName, suite: string, file: string): string | undefined {
  if (isCI || findDependency(name)) return undefined
  const reason = missingMessage(name)
  record({ file: relative(root, resolve(root, file)), suite, kind: 'suite', dependency: name, reason })
  return reason
}
