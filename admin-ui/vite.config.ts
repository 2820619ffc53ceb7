import { defineConfig } from 'vite';

/**
 * The admin console: `vite build admin-ui` writes admin-ui/dist, which the engine serves at `/`
 * (engine/http/console.routes.ts). JSX is Preact's; no inline script or style is emitted, so the
 * engine's Content-Security-Policy (script-src 'self'; style-src 'self') holds.
 */
export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, modulePreload: { polyfill: false }, assetsInlineLimit: 0, target: 'es2022' },
});
