// Vite build for the dashboard. The daemon embeds the output (see CMakeLists.txt), so file
// names carry content hashes and every asset lives under /assets/.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    target: 'es2022',
    assetsDir: 'assets',
    sourcemap: false,
    // xterm.js is loaded only when a terminal opens; 300 KB is the initial-page budget.
    chunkSizeWarningLimit: 400,
    reportCompressedSize: false,
  },
  server: {
    // `npm run dev` proxies the API to a running daemon: BOSUN_ADDR=127.0.0.1:7777 npm run dev
    proxy: {
      '/api': { target: `http://${process.env.BOSUN_ADDR ?? '127.0.0.1:7777'}`, ws: true },
      '/healthz': { target: `http://${process.env.BOSUN_ADDR ?? '127.0.0.1:7777'}` },
    },
  },
});
