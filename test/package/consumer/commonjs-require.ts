/** A CommonJS consumer that imports the ESM-only package statically: TS1479 (see consumer-types.test.ts). */
import { createSession } from 'fetch-session'

export const session = createSession()
