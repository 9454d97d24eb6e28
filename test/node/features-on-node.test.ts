/** The feature suites (auth, scraping) once more on the Node adapter: the dispatch transport must behave the same. */
import { vi } from 'vitest'
vi.mock('../../src/index', async () => await import('../../src/adapters/node'))
await import('../features/auth.test')
await import('../features/scraping.test')
