/**
 * The areas of the conformance suite that live in files of their own (test/conformance/areas/),
 * in the order they run. Each is a `SuiteArea`: `(harness, env, tools) => void`.
 */
import type { SuiteArea } from './suite'
import { requests } from './areas/requests'

/** Every area, registered after the core tests of suite.ts. */
export const AREAS: readonly SuiteArea[] = [requests]
