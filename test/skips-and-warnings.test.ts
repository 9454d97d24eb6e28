/**
 * Issue 11, item 26: `npm test` never skips silently, and a warning is a failure. A vitest of its
 * own runs a fixture of test/fixtures/vitest-run/ with the project's config (its reporters and
 * setup files):
 * - missing.fixture.ts: a suite and two tests that need Chromium, CHROMIUM_PATH pointing nowhere.
 *   Locally the run passes and ends with one `skipped: <file> › <what> — <reason>` line; with
 *   CI=true the same run fails, naming what is missing and how to install it.
 * - warning.fixture.ts: a passing test during which Node emits a warning: the file fails, naming it.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { root } from './runtimes/common'

const run = promisify(execFile)

/** `vitest run` on the fixture; resolves to its exit code and output (colours off). */
async function runFixture(fixture: string, ci: boolean): Promise<{ code: number, output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, CHROMIUM_PATH: '/nonexistent/chromium', NO_COLOR: '1', FORCE_COLOR: '0', VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' }
  delete env.CI
  delete env.FETCH_SESSION_SKIP_LOG
  if (ci) env.CI = 'true'
  const bin = `${root}/node_modules/.bin/vitest`
  try {
    const { stdout, stderr } = await run(bin, ['run', '--config', 'test/fixtures/vitest-run/vitest.fixture.config.ts', fixture], { cwd: root, env, encoding: 'utf8', timeout: 30_000 })
    return { code: 0, output: stdout + stderr }
  }
  catch (error) {
    const failed = error as Error & { code?: number, stdout?: string, stderr?: string }
    return { code: typeof failed.code === 'number' ? failed.code : -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` }
  }
}

const REASON = 'Chromium (/nonexistent/chromium) is missing: `apt-get install -y chromium` (or set CHROMIUM_PATH) (.ci/run installs it)'

describe('tests that need a missing dependency', () => {
  it('locally: are skipped, and the run ends with which were skipped and why', async () => {
    const { code, output } = await runFixture('missing.fixture', false)
    expect(code, output).toBe(0)
    const lines = output.split('\n').filter(line => line.startsWith('skipped: '))
    expect(lines).toEqual([`skipped: test/fixtures/vitest-run/missing.fixture.ts › 1 suite and 2 tests — ${REASON}`])
    expect(output).toMatch(/1 passed \| 3 skipped/)
    // The summary comes after vitest's own.
    expect(output.indexOf('skipped: test/')).toBeGreaterThan(output.indexOf('Test Files'))
  }, 40_000)

  it('with CI=true: fail, saying what is missing and how to install it', async () => {
    const { code, output } = await runFixture('missing.fixture', true)
    expect(code).toBe(1)
    expect(output).toContain(`missing dependency: ${REASON}`)
    expect(output).toMatch(/3 failed \| 1 passed/)
    expect(output).not.toContain('skipped: test/')
  }, 40_000)
})

describe('a warning Node emits while a test file runs', () => {
  it('fails that file, naming the warning', async () => {
    const { code, output } = await runFixture('warning.fixture', false)
    expect(code, output).toBe(1)
    expect(output).toContain('Node emitted 1 warning while this file ran:\n  FixtureWarning: something a clean run never prints')
    expect(output).toMatch(/1 passed/)
  }, 40_000)
})
