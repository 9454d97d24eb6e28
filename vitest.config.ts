import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Tests start real servers and child processes; two cores, so keep it modest.
    maxWorkers: 2,
    reporters: ['default'],
  },
})
