import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { defineConfig } from 'vitest/config'

const tmp = join(resolve(import.meta.dirname), '.tmp')
mkdirSync(tmp, { recursive: true })
// One log per run: the workers append the suites they skip for a missing dependency
// (test/helpers/dependencies.ts reads its path from FETCH_SESSION_SKIP_LOG); the reporter prints them at the end.
// The reporter is given by path, so that this file imports nothing of the project's (Vite's native config loader).
const skipLog = join(tmp, `skipped-dependencies-${process.pid}.jsonl`)

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Tests start real servers and child processes; two cores, so keep it modest.
    maxWorkers: 2,
    reporters: ['default', ['./test/helpers/dependency-reporter.ts', { log: skipLog }]],
    // A file during which Node emitted a process warning fails, naming it.
    setupFiles: ['./test/helpers/no-warnings.ts'],
    env: { FETCH_SESSION_SKIP_LOG: skipLog },
  },
})
