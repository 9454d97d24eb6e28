/**
 * A vitest reporter that prints, once at the end of the run, every suite skipped for a missing
 * dependency and why (`skipped: <suite> — <reason>`), from the log file the test workers append
 * to (test/helpers/dependencies.ts). Registered in vitest.config.ts, by path, after the default reporter.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs'
import type { Reporter, TestRunEndReason, Vitest } from 'vitest/node'
import type { SkipRecord } from './dependencies'

/** Options of the reporter, given in vitest.config.ts. */
export interface DependencyReporterOptions {
  /** The log file the workers append to (the one `FETCH_SESSION_SKIP_LOG` names). */
  log: string
}

/** Reads the skip log and prints its summary after the run. */
export default class DependencyReporter implements Reporter {
  private vitest: Vitest | undefined
  private readonly path: string

  constructor(options: DependencyReporterOptions) {
    this.path = options.log
  }

  /** Starts from an empty log. */
  onInit(vitest: Vitest): void {
    this.vitest = vitest
    rmSync(this.path, { force: true })
  }

  /** Prints the summary (nothing when nothing was skipped for a missing dependency). */
  onTestRunEnd(_modules: unknown, _errors: unknown, _reason: TestRunEndReason): void {
    const lines = summarizeSkips(this.read())
    rmSync(this.path, { force: true })
    if (lines.length === 0) return
    const log = (text: string): void => this.vitest ? this.vitest.logger.log(text) : console.log(text)
    log('')
    for (const line of lines) log(line)
    log(`(skipped for a missing dependency: with CI=true these fail instead)`)
  }

  private read(): SkipRecord[] {
    if (!existsSync(this.path)) return []
    return readFileSync(this.path, 'utf8').split('\n').filter(Boolean).map(line => JSON.parse(line) as SkipRecord)
  }
}

/**
 * One line per file and reason: `skipped: test/x.test.ts › the suite — reason` when one suite or
 * test was skipped, else how many of each (`› 1 suite and 6 tests`).
 */
export function summarizeSkips(records: SkipRecord[]): string[] {
  const groups = new Map<string, { file: string, reason: string, skipped: Map<string, SkipRecord['kind']> }>()
  for (const entry of records) {
    const key = `${entry.file}\n${entry.reason}`
    const group = groups.get(key) ?? { file: entry.file, reason: entry.reason, skipped: new Map<string, SkipRecord['kind']>() }
    group.skipped.set(entry.suite, entry.kind)
    groups.set(key, group)
  }
  const count = (n: number, noun: string): string[] => n === 0 ? [] : [`${n} ${noun}${n === 1 ? '' : 's'}`]
  return [...groups.values()]
    .sort((a, b) => a.file.localeCompare(b.file))
    .map(({ file, reason, skipped }) => {
      const kinds = [...skipped.values()]
      const what = skipped.size === 1
        ? [...skipped.keys()][0]
        : [...count(kinds.filter(kind => kind === 'suite').length, 'suite'), ...count(kinds.filter(kind => kind === 'test').length, 'test')].join(' and ')
      return `skipped: ${file} › ${what} — ${reason}`
    })
}
