/** Runs the conformance suite against the package bundled for one runtime. */
import * as lib from 'fetch-session'
import { createHarness } from './harness'
import type { Report } from './harness'
import { defineSuite } from './suite'
import type { Library, SuiteEnv } from './suite'

/** Runs every test of the suite (or those whose name matches `filter`) and returns the report. */
export async function runConformance(env: Omit<SuiteEnv, 'lib'>, filter?: string): Promise<Report> {
  const harness = createHarness(env.runtime)
  defineSuite(harness, { ...env, lib: lib as unknown as Library })
  return harness.run(filter ? new RegExp(filter) : undefined)
}
