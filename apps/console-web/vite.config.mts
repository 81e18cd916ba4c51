import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The web console: built into dist/ (served by the API at /), tested with Vitest. */
export default defineConfig({
  root: here('.'),
  plugins: [react()],
  resolve: { alias: { '@rustronaut/api-client': here('../../libs/api-client/src/index.ts') } },
  build: {
    outDir: here('../../dist/apps/console-web/public'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 800,
  },
  test: {
    environment: 'happy-dom',
    environmentOptions: { happyDOM: { url: 'http://console.test/' } },
    include: ['src/**/*.test.{ts,tsx}'],
    testTimeout: 30_000,
    setupFiles: [here('src/test-setup.ts')],
  },
});
