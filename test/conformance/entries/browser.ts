/**
 * Entry for browsers: an ES module loaded by test/runtimes/browser.html. It exposes
 * `runConformance(env, filter?)` on `window` (the runner calls it with `page.evaluate`) and sets
 * `window.conformanceReady` once loaded.
 */
import { runConformance } from '../run'

const page = globalThis as unknown as { runConformance?: typeof runConformance, conformanceReady?: boolean }
page.runConformance = runConformance
page.conformanceReady = true
