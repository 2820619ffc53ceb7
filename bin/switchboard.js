#!/usr/bin/env node
// The `switchboard` command. In a checkout (tsx installed) it runs the TypeScript sources, so it is
// never stale; in an install without dev dependencies it runs the build in dist/ (`npm run build`).
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let tsx;
try {
  createRequire(import.meta.url).resolve('tsx');
  tsx = await import('tsx/esm/api');
} catch {
  tsx = undefined;
}
if (tsx) {
  tsx.register();
  await import(pathToFileURL(path.join(root, 'engine/cli/main.ts')).href);
} else {
  await import(pathToFileURL(path.join(root, 'dist/engine/cli/main.js')).href);
}
