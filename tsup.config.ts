import { defineConfig } from 'tsup'

/** One entry per runtime adapter, plus the generic one; shared code lands in common chunks. */
export default defineConfig({
  entry: {
    'index': 'src/index.ts',
    'adapters/node': 'src/adapters/node.ts',
    'adapters/deno': 'src/adapters/deno.ts',
    'adapters/bun': 'src/adapters/bun.ts',
    'adapters/workerd': 'src/adapters/workerd.ts',
    'adapters/browser': 'src/adapters/browser.ts',
  },
  format: ['esm'],
  dts: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  sourcemap: false,
  splitting: true,
  treeshake: true,
  external: ['ofetch', 'tough-cookie', 'undici', /^node:/],
})
