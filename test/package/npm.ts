/**
 * `npm` for the package tests: the npm that comes with the Node running them, never
 * `node_modules/.bin/npm`. npm scripts and npx put `node_modules/.bin` first on `PATH`, and there
 * `npm` is npm 6 (a dependency of http-cache-tests), whose `pack` has no `--pack-destination`
 * (it takes the folder for a package to pack: ENOLOCAL).
 */
import { execFileSync } from 'node:child_process'
import type { ExecFileSyncOptions } from 'node:child_process'
import { delimiter, sep } from 'node:path'

/** The environment with no `node_modules/.bin` on `PATH`, so that `npm` is the system's. */
export const npmEnv: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: (process.env.PATH ?? '').split(delimiter).filter(dir => !dir.replace(/[\\/]+$/, '').endsWith(`node_modules${sep}.bin`)).join(delimiter),
}

/** Runs the system's `npm` with `args` (see the module's comment), as `execFileSync` does; its output as text. */
export function npm(args: string[], options: ExecFileSyncOptions = {}): string {
  return execFileSync('npm', args, { ...options, encoding: 'utf8', env: { ...npmEnv, ...options.env } })
}
