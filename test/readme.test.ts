/**
 * Every ```ts block of the README runs, against the local test server: `https://httpbin.org` is
 * rewritten to the server's loopback URL and `'fetch-session'` to the source entry. A block that
 * throws, hangs or prints to stderr fails the test, so no example can rot.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer } from './helpers/server'
import type { TestServer } from './helpers/server'

const root = resolve(import.meta.dirname, '..')
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map(match => match[1]!)
const workdir = join(root, '.tmp', 'readme')
let server: TestServer

beforeAll(async () => {
  server = await startServer()
  mkdirSync(workdir, { recursive: true })
})
afterAll(async () => {
  await server.close()
  rmSync(workdir, { recursive: true, force: true })
})

describe('README examples', () => {
  it('has examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6)
  })

  it.each(blocks.map((code, index) => [index + 1, code] as const))('block %i runs', async (index, code) => {
    const source = code
      .replaceAll('https://httpbin.org', server.url)
      .replaceAll(`from 'fetch-session'`, `from '${join(root, 'src/index.ts')}'`)
    const file = join(workdir, `block-${index}.ts`)
    writeFileSync(file, source)
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8', timeout: 30_000 })
    expect(stderr).toBe('')
    expect(stdout).not.toContain('undefined')
  })
})
