import { defineConfig } from 'tsup'

/** One entry per runtime adapter, plus the generic one and the cookie stores; shared code lands in common chunks. */
export default defineConfig({
  entry: {
    'index': 'src/index.ts',
    'adapters/node': 'src/adapters/node.ts',
    'adapters/deno': 'src/adapters/deno.ts',
    'adapters/bun': 'src/adapters/bun.ts',
    'adapters/workerd': 'src/adapters/workerd.ts',
    'adapters/browser': 'src/adapters/browser.ts',
    // Cookie stores, each on its own subpath (fetch-session/stores/*); the browser condition of
    // stores/file resolves to file-browser, which has no file system code.
    'cookies/stores/file': 'src/cookies/stores/file.ts',
    'cookies/stores/file-browser': 'src/cookies/stores/file-browser.ts',
    'cookies/stores/web-storage': 'src/cookies/stores/web-storage.ts',
    'cookies/stores/unstorage': 'src/cookies/stores/unstorage.ts',
    // The HTTP cache's stores other than the in-memory one (which the main entry has).
    'cache/unstorage': 'src/cache/unstorage.ts',
    // The fleet on Redis (ioredis is the caller's); workerd and browsers get a stub that says why not.
    'fleet/redis': 'src/fleet/redis.ts',
    'fleet/redis-unsupported': 'src/fleet/redis-unsupported.ts',
  },
  format: ['esm'],
  // Declarations: every subpath's types (package.json `exports`) and the modules the store
  // subpaths share, each an entry of its own, so that no declaration lands in a chunk named after
  // whichever module came first (`retry-<hash>.d.ts`). The runtime subpaths all use index.d.ts.
  // The file store imports node:fs & co. (Node, Deno and Bun all have them); its declarations need Node's types.
  dts: {
    entry: {
      'index': 'src/index.ts',
      'cookies/stores/file': 'src/cookies/stores/file.ts',
      'cookies/stores/file-browser': 'src/cookies/stores/file-browser.ts',
      'cookies/stores/web-storage': 'src/cookies/stores/web-storage.ts',
      'cookies/stores/unstorage': 'src/cookies/stores/unstorage.ts',
      'cookies/stores/base': 'src/cookies/stores/base.ts',
      'cookies/stores/errors': 'src/cookies/stores/errors.ts',
      'cache/unstorage': 'src/cache/unstorage.ts',
      // The cache store contract, shared by the main entry and cache/unstorage.
      'cache/store': 'src/cache/store.ts',
      'fleet/redis': 'src/fleet/redis.ts',
      // The fleet's contract, shared by the main entry and fleet/redis.
      'fleet/contract': 'src/fleet/contract.ts',
    },
    compilerOptions: { types: ['node'] },
  },
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  sourcemap: false,
  splitting: true,
  treeshake: true,
  external: ['ofetch', 'tough-cookie', 'undici', 'http-cache-semantics', 'rate-limiter-flexible', 'redis-semaphore', /^node:/],
  // Keep `node:fs/promises` & co. as written: Deno resolves built-ins only with the prefix.
  removeNodeProtocol: false,
})
