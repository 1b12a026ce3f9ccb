import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

/** The Content-Security-Policy the Rust server sends with every page. */
const CSP =
  "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; " +
  "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * API and WebSocket go to a Chorus server on the usual development address. The Host header
 * is kept, so that the server's links point here and its Origin check accepts the page.
 */
const chorusProxy = {
  '/api': { target: 'http://127.0.0.1:8080', changeOrigin: false },
  '/ws': { target: 'ws://127.0.0.1:8080', ws: true, changeOrigin: false },
};

// The Rust server embeds the build (see build.rs, which passes its own `--outDir`) and serves
// index.html for every page route, with the built files under /assets/.
export default defineConfig({
  plugins: [svelte()],
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    // Every asset is a file under /assets/: nothing inlined as a data: URL.
    assetsInlineLimit: 0,
    // The Content-Security-Policy forbids inline scripts; keep the module preload helper
    // inside the bundle rather than in index.html.
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: false,
  },
  server: {
    // `npm run dev` next to `cargo run -- serve --bind 127.0.0.1:8080`.
    proxy: chorusProxy,
  },
  preview: {
    // `npm run preview` serves the build as the Rust server would, with its policy.
    proxy: chorusProxy,
    headers: { 'Content-Security-Policy': CSP },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
