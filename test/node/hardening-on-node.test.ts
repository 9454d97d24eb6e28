/**
 * The hardening suites (test/security, test/faults: hostile servers and the property tests) once
 * more on the Node adapter: its dispatch transport must strip credentials, bound bodies, survive
 * hostile servers and classify failures exactly as the platform's fetch does.
 */
import { vi } from 'vitest'

vi.mock('../../src/index', async () => await import('../../src/adapters/node'))

await import('../security/cookies-and-secrets.test')
await import('../security/input.test')
await import('../security/redirect-credentials.test')
await import('../faults/hostile-servers.test')
await import('../faults/property.test')
