import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CONSOLE_DIST } from '../../engine/http/console.routes.ts';
import type { TestEngine } from '../support/harness.ts';
import { TEST_PASSWORD } from '../support/users.ts';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/ui', import.meta.url));

/**
 * Debian's chromium, headless (`bash scripts/services.sh start --for-tests` installs it). The
 * console must have been built (npm test does it; by hand: npm run build:ui).
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(path.join(CONSOLE_DIST, 'index.html'))) throw new Error('the console is not built: npm run build:ui');
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
}

export interface ConsolePage {
  page: Page;
  context: BrowserContext;
  base: string;
  /** Console errors, CSP violations included ("Refused to …"): a test expects none. */
  problems: string[];
}

/** A fresh browser context (own cookies) at 1280×800 on the engine's console. */
export async function openConsole(browser: Browser, sb: TestEngine): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    // API answers the console handles (401 ended session, 403 refused, 409 a deploy refused for failing
    // fixtures, 422 field errors) are logged by Chromium as failed loads: expected. A 404 is not.
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of (401|403|409|422)/.test(m.text()))
      problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return { page, context, base: `http://127.0.0.1:${sb.addresses.http!.port}`, problems };
}

/** Signs in through the sign-in page and waits for the signed-in header. */
export async function signInAs({ page, base }: ConsolePage, username: string, password = TEST_PASSWORD): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(`${username} ·`).waitFor();
}

/** Whether the page is wider than the window (a broken layout at 1280×800). */
export const overflowsHorizontally = async (page: Page): Promise<boolean> =>
  (await page.evaluate('document.documentElement.scrollWidth > window.innerWidth')) === true;

/** Saves a full-page screenshot as tests/artifacts/ui/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}
