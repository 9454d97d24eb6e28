/**
 * The areas of the conformance suite that live in files of their own (test/conformance/areas/),
 * in the order they run. Each is a `SuiteArea`: `(harness, env, tools) => void`.
 */
import { cache } from './areas/cache'
import { choices } from './areas/choices'
import { lifecycle } from './areas/lifecycle'
import { networkErrors } from './areas/network-errors'
import { requests } from './areas/requests'
import { securityCookies } from './areas/security-cookies'
import { securityCredentials } from './areas/security-credentials'
import { timings } from './areas/timings'
import { transfers } from './areas/transfers'
import { transportArea } from './areas/transport'
import type { SuiteArea } from './suite'

/** Every area, registered after the core tests of suite.ts. */
export const AREAS: readonly SuiteArea[] = [
  networkErrors,
  choices,
  transportArea,
  requests,
  securityCookies,
  securityCredentials,
  lifecycle,
  cache,
  timings,
  transfers,
]
