/**
 * The shipped declarations, as strict TypeScript consumers see them: one `npm pack`, the tarball
 * installed once, and a consumer project per configuration (module resolution bundler, node16
 * and nodenext; the DOM lib without Node's types, or Node's types without the DOM lib; `strict`,
 * `exactOptionalPropertyTypes`, `skipLibCheck: false`), each running `tsc --noEmit` on
 * consumer/index.ts, which uses the whole public API. A CommonJS project shows what the README
 * says of the ESM-only package (TS1479 for a static import, `await import()` works). Also: the
 * declaration files are named for what they hold, carry no private fields nor internal notes,
 * and the `createSession` example of the shipped JSDoc runs.
 */
import { execFile } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { npm } from './npm'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

const root = resolve(import.meta.dirname, '../..')
const fixtures = join(import.meta.dirname, 'consumer')
const run = promisify(execFile)

const DOM = { lib: ['ES2022', 'DOM', 'DOM.Iterable'], types: [] as string[] }
const NODE = { lib: ['ES2022'], types: ['node'] }
const STRICT = { strict: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, skipLibCheck: false, noEmit: true, target: 'ES2022' }

interface Consumer {
  name: string
  type: 'module' | 'commonjs'
  files: string[]
  compilerOptions: Record<string, unknown>
}

const consumers: Consumer[] = [
  ...(['bundler', 'node16', 'nodenext'] as const).flatMap(resolution => [
    { name: `${resolution}, DOM lib`, lib: DOM },
    { name: `${resolution}, Node types only`, lib: NODE },
  ].map(({ name, lib }): Consumer => ({
    name,
    type: 'module',
    files: ['index.ts'],
    compilerOptions: { ...STRICT, ...lib, module: resolution === 'bundler' ? 'ESNext' : resolution, moduleResolution: resolution },
  }))),
  {
    name: 'bundler, DOM lib and Node types',
    type: 'module',
    files: ['index.ts'],
    compilerOptions: { ...STRICT, lib: DOM.lib, types: NODE.types, module: 'ESNext', moduleResolution: 'bundler' },
  },
  {
    name: 'node16, a CommonJS project',
    type: 'commonjs',
    files: ['commonjs.ts', 'commonjs-require.ts'],
    compilerOptions: { ...STRICT, ...NODE, module: 'node16', moduleResolution: 'node16' },
  },
]

let dir: string
let installed: string
let server: TestServer
const outcomes = new Map<string, Promise<{ code: number, output: string }>>()

/** Runs `tasks` with at most `limit` of them at once; the results in the order of `tasks`. */
function pooled<T>(tasks: Array<() => Promise<T>>, limit: number): Array<Promise<T>> {
  const waiting: Array<() => void> = []
  let active = 0
  const release = (): void => {
    active--
    waiting.shift()?.()
  }
  return tasks.map((task) => {
    const ready = active < limit
      ? (active++, Promise.resolve())
      : new Promise<void>(resolve => waiting.push(() => {
          active++
          resolve()
        }))
    const result = ready.then(task)
    result.then(release, release)
    return result
  })
}

beforeAll(async () => {
  server = await startServer()
  dir = mkdtempSync(join(tmpdir(), 'fetch-session-consumers-'))
  // `npm test` builds first; build here only when run alone (rebuilding would race the other files).
  if (!existsSync(join(root, 'dist/index.d.ts'))) npm(['run', 'build'], { cwd: root, stdio: 'pipe' })
  // --ignore-scripts: `prepack` would rebuild dist/ under the other test files (fresh-clone.test.ts packs with it).
  npm(['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: root, stdio: 'pipe' })
  const tarball = join(dir, readdirSync(dir).find(name => name.endsWith('.tgz'))!)
  // One install that every consumer shares through a node_modules symlink; the compiler and
  // Node's types are the checkout's.
  installed = join(dir, 'installed')
  mkdirSync(installed)
  writeFileSync(join(installed, 'package.json'), JSON.stringify({ name: 'installed', version: '1.0.0', private: true }))
  npm(['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock', tarball], { cwd: installed, stdio: 'pipe' })
  mkdirSync(join(installed, 'node_modules/@types'), { recursive: true })
  symlinkSync(join(root, 'node_modules/@types/node'), join(installed, 'node_modules/@types/node'), 'dir')
  const tsc = join(root, 'node_modules/typescript/bin/tsc')
  const tasks = consumers.map(consumer => {
    const project = join(dir, consumer.name.replace(/\W+/g, '-'))
    mkdirSync(project)
    symlinkSync(join(installed, 'node_modules'), join(project, 'node_modules'), 'dir')
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: consumer.type }))
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: consumer.compilerOptions, files: consumer.files }, null, 2))
    for (const file of consumer.files) copyFileSync(join(fixtures, file), join(project, file))
    return () => run(process.execPath, [tsc, '-p', project, '--pretty', 'false'], { cwd: project, encoding: 'utf8' })
      .then(({ stdout }) => ({ code: 0, output: stdout }), (error: { code?: number, stdout?: string, stderr?: string }) => ({ code: error.code ?? 1, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }))
  })
  pooled(tasks, Math.max(2, availableParallelism())).forEach((outcome, index) => outcomes.set(consumers[index]!.name, outcome))
}, 120_000)

afterAll(async () => {
  await Promise.allSettled(outcomes.values())
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('the shipped declarations, in a strict consumer', () => {
  it.each(consumers.filter(consumer => consumer.type === 'module').map(consumer => [consumer.name]))('%s: tsc --noEmit finds nothing', async (name) => {
    const { code, output } = await outcomes.get(name)!
    expect(output).toBe('')
    expect(code).toBe(0)
  }, 120_000)

  it('a CommonJS project gets TS1479 for a static import, and type-checks with await import()', async () => {
    const { output } = await outcomes.get('node16, a CommonJS project')!
    const errors = output.split('\n').filter(line => / error TS\d+/.test(line))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/^commonjs-require\.ts\(2,\d+\): error TS1479: The current file is a CommonJS module whose imports will produce 'require' calls; however, the referenced file is an ECMAScript module/)
  }, 120_000)

  it('the declarations are named for what they hold: no chunk named after its first module', () => {
    const files = readdirSync(join(installed, 'node_modules/fetch-session/dist'), { recursive: true, encoding: 'utf8' })
      .filter(file => file.endsWith('.d.ts'))
      .sort()
    expect(files).toEqual([
      'cache/store.d.ts',
      'cache/unstorage.d.ts',
      'cookies/stores/base.d.ts',
      'cookies/stores/errors.d.ts',
      'cookies/stores/file-browser.d.ts',
      'cookies/stores/file.d.ts',
      'cookies/stores/unstorage.d.ts',
      'cookies/stores/web-storage.d.ts',
      'fleet/contract.d.ts',
      'fleet/redis.d.ts',
      'index.d.ts',
    ])
    // The public contract lives in the main entry's declarations, not in a chunk.
    const index = readFileSync(join(installed, 'node_modules/fetch-session/dist/index.d.ts'), 'utf8')
    for (const name of ['interface SessionOptions', 'interface Session ', 'interface RequestOptions', 'declare class HTTPError', 'interface FetchError']) expect(index).toContain(name)
    // It imports only other declaration files named for what they hold (the stores' error), never a chunk.
    for (const [, path] of index.matchAll(/from '\.\/([^']+)\.js'/g)) expect(files).toContain(`${path}.d.ts`)
  })

  it('the declarations carry no private fields, no ofetch types and no internal notes (catalogue numbers, source paths)', () => {
    const dist = join(installed, 'node_modules/fetch-session/dist')
    const files = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter(file => file.endsWith('.d.ts'))
    for (const file of files) {
      const text = readFileSync(join(dist, file), 'utf8')
      expect(text, file).not.toContain('#private')
      expect(text, file).not.toMatch(/catalogue/i)
      expect(text, file).not.toMatch(/\b(?:src|test|source|lib)\/[\w/.-]+/)
      expect(text, file).not.toMatch(/\b[\w-]+\.ts\b/)
      expect(text, file).not.toMatch(/from 'ofetch'/)
    }
  })

  it('the createSession example of the shipped JSDoc runs and prints what it says', async () => {
    const index = readFileSync(join(installed, 'node_modules/fetch-session/dist/index.d.ts'), 'utf8')
    const jsdoc = index.slice(0, index.indexOf('declare const createSession'))
    const example = jsdoc.slice(jsdoc.lastIndexOf('```ts') + 5, jsdoc.lastIndexOf('```')).replace(/^\s*\* ?/gm, '')
    const expected = /\/\/ (\{.*\})\n/.exec(example)![1]
    const project = join(dir, 'example')
    mkdirSync(project)
    symlinkSync(join(installed, 'node_modules'), join(project, 'node_modules'), 'dir')
    writeFileSync(join(project, 'example.mjs'), `import { createSession } from 'fetch-session'\n${example.replaceAll('https://httpbin.org', server.url)}`)
    const { stdout, stderr } = await run(process.execPath, [join(project, 'example.mjs')], { cwd: project, encoding: 'utf8', timeout: 20_000 })
    expect(stderr).toBe('')
    expect(stdout.trim()).toBe(expected)
  })
})
