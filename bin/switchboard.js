#!/usr/bin/env node
// The `switchboard` command. Runs the built CLI (dist/, from `npm run build`) when present,
// else the TypeScript sources through tsx (a checkout with dev dependencies).
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist/engine/cli/main.js');
if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  register('tsx/esm', pathToFileURL(root + '/'));
  await import(pathToFileURL(path.join(root, 'engine/cli/main.ts')).href);
}
