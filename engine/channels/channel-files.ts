import { readdir, readFile, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ChannelDefinition } from '../channel.ts';

const CHANNEL_FILE = /\.channel\.(ts|js|json)$/;

/** One channel file: `*.channel.json` (data), or `*.channel.ts|js` (its default export). */
export async function readChannelFile(file: string): Promise<ChannelDefinition> {
  if (file.endsWith('.json')) return JSON.parse(await readFile(file, 'utf8')) as ChannelDefinition;
  const mod = (await import(pathToFileURL(path.resolve(file)).href)) as { default: ChannelDefinition };
  return mod.default;
}

/** Every channel file of `dir`, sorted by name. */
export async function readChannelDir(dir: string): Promise<ChannelDefinition[]> {
  const files = (await readdir(dir)).filter((f) => CHANNEL_FILE.test(f)).sort();
  return Promise.all(files.map((f) => readChannelFile(path.join(dir, f))));
}

/** Writes `<dir>/<id>.channel.json` atomically (temporary name, then rename). Returns the path. */
export async function writeChannelFile(dir: string, channel: ChannelDefinition): Promise<string> {
  const file = path.join(dir, `${channel.id}.channel.json`);
  await writeFile(`${file}.tmp`, `${JSON.stringify(channel, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
  return file;
}
