/**
 * A process killed mid-write never leaves a corrupt cookie file. A worker rewrites a 250 kB file
 * in a loop (every generation sets all its 60 cookies to the generation's number, then flushes);
 * it is killed with SIGKILL at a different moment each round (every other round, as soon as its
 * temporary file appears: in the middle of a write). Whenever it was killed (before,
 * during or after a write: the timing varies, the assertions do not), the file must be a valid
 * store holding one whole generation, never older than the last one seen, and the next process
 * must start from it (taking over the lock the killed one may have left). At the end, one write
 * by a live store removes what the dead ones left behind (temporary files, lock).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CookieJar } from 'tough-cookie'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFileStore } from '../../src/cookies/stores/file'
import { bundleWorker, startWorker } from './helpers'

const ROUNDS = 12
const COOKIES = 60

const folder = mkdtempSync(join(tmpdir(), 'fetch-session-crash-'))
const path = join(folder, 'cookies.json')
let worker: string

beforeAll(async () => {
  worker = await bundleWorker('crash')
})
afterAll(() => {
  rmSync(folder, { recursive: true, force: true })
  if (worker) rmSync(worker, { force: true })
})

/** The generation the file holds; fails unless the file is a valid store with one whole generation. */
async function generationOnDisk(): Promise<number> {
  const store = createFileStore(path)
  await store.load()
  const cookies = await store.getAllCookies()
  expect(cookies.length).toBe(COOKIES)
  const generations = new Set(cookies.map(cookie => cookie.value.split('-')[0]))
  expect(generations.size).toBe(1)
  // The same file, read as plain JSON.
  expect(JSON.parse(readFileSync(path, 'utf8')).cookies.length).toBe(COOKIES)
  return Number([...generations][0])
}

describe('a writer killed in a loop', () => {
  it(`never leaves a corrupt or torn file (${ROUNDS} rounds of SIGKILL)`, async () => {
    let last = 0
    for (let round = 0; round < ROUNDS; round++) {
      const child = startWorker(worker, { store: { kind: 'file', path, options: { writeDelay: 60_000 } }, steps: [{ do: 'churn', cookies: COOKIES, size: 4000 }] })
      // Once it has written one generation it is inside its write loop; then a varying wait.
      const first = await child.next(line => typeof line.generation === 'number')
      expect(first.generation).toBe(last + 1)
      if (round % 2 === 0) {
        await new Promise(resolve => setTimeout(resolve, (round * 7) % 23))
      }
      else {
        // Aim at the write itself: kill as soon as a temporary file shows up.
        while (!(await readdir(folder)).some(name => name.endsWith('.tmp') && name.includes(`.${child.child.pid}.`))) {
          await new Promise(resolve => setImmediate(resolve))
        }
      }
      child.child.kill('SIGKILL')
      const end = await child.exited
      expect(end.signal).toBe('SIGKILL')
      const generation = await generationOnDisk()
      // The file holds the last generation the worker finished, or the one it was writing.
      const printed = child.lines.filter(line => typeof line.generation === 'number').map(line => line.generation as number)
      expect(generation).toBeGreaterThanOrEqual(printed.at(-1)!)
      expect(generation).toBeLessThanOrEqual(printed.at(-1)! + 1)
      last = generation
    }
    // A live store's write takes over a stale lock and sweeps the temporary files of dead writers.
    const store = createFileStore(path)
    await new CookieJar(store).setCookie(`c0=${last + 1}-done; Path=/`, 'http://example.com/')
    await store.flush()
    expect(readdirSync(folder)).toEqual(['cookies.json'])
  }, 45_000)
})
