import { defineConfig } from 'vite';

// base './': every asset URL in index.html is relative. internal/ui adds a
// <base href> to index.html that points at the app's root for the path it
// answers (e.g. "../../" at /flow-runs/flow-run/<id>), so the same build
// works at /, behind a proxy and under a sub-path.
export default defineConfig({
  base: './',
  esbuild: {
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    // One stylesheet and a few scripts; names carry a content hash and
    // nothing else, so a rebuild of the same source is byte-identical
    // (CI checks `git diff --exit-code web/dist`).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      output: {
        entryFileNames: 'assets/[name]-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
  server: {
    // `npm run dev` against a local server (ORRERY_API, default :4200).
    proxy: { '/api': process.env.ORRERY_API ?? 'http://127.0.0.1:4200' },
  },
});
