/**
 * A real browser for the console's tests: Debian's headless Chromium driven by puppeteer-core (no browser
 * download). Screenshots go to `test-results/`; every adminApi call the page makes is recorded so the test
 * can check it against the OpenAPI document; a script error on the page fails the test.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { Exchange } from './openapi.js';

export const RESULTS_DIR = path.resolve('test-results');

/** `CHROMIUM_PATH`, else `/usr/bin/chromium`, else whatever `which chromium` finds. */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].filter((p): p is string => Boolean(p));
  const found = candidates.find((p) => existsSync(p));
  if (found) return found;
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      "Chromium not found: install Debian's chromium package (.ci/run does) or set CHROMIUM_PATH",
    );
  }
}

export interface ConsolePage {
  browser: Browser;
  page: Page;
  /** Every request the page made to adminApi's JSON routes, with the answer. */
  exchanges: Exchange[];
  /** Uncaught errors and console.error lines of the page. */
  errors: string[];
  /** Writes `test-results/<name>.png` (and to `alsoTo` when given); answers the path. */
  screenshot(name: string, alsoTo?: string): Promise<string>;
  close(): Promise<void>;
}

/** Opens `url` in headless Chromium (1280×900); `--no-sandbox` because CI runs as root. */
export async function openConsole(url: string): Promise<ConsolePage> {
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    defaultViewport: { width: 1280, height: 900 },
  });
  try {
    const page = await browser.newPage();
    const origin = new URL(url).origin;
    const exchanges: Exchange[] = [];
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('console', (message) => {
      // A refused call is the browser's "Failed to load resource" line; refusals are the point of some steps.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        errors.push(message.text());
    });
    page.on('response', async (response) => {
      const request = response.request();
      if (!response.url().startsWith(origin) || request.resourceType() !== 'fetch') return;
      const target = new URL(response.url());
      const json = (response.headers()['content-type'] ?? '').startsWith('application/json');
      let body: unknown;
      try {
        body = json ? await response.json() : await response.text();
      } catch {
        // The page navigated away (a reload) before the body was read: the browser discarded it.
        return;
      }
      exchanges.push({
        method: request.method(),
        url: `${target.pathname}${target.search}`,
        status: response.status(),
        body,
        json,
      });
    });
    mkdirSync(RESULTS_DIR, { recursive: true });
    await page.goto(url, { waitUntil: 'load' });
    return {
      browser,
      page,
      exchanges,
      errors,
      screenshot: async (name, alsoTo) => {
        const file = path.join(RESULTS_DIR, `${name}.png`);
        await page.screenshot({ path: file as `${string}.png`, fullPage: true });
        if (alsoTo) await page.screenshot({ path: alsoTo as `${string}.png`, fullPage: false });
        return file;
      },
      close: () => browser.close(),
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/** The trimmed text of the first element matching `selector`, once `predicate` holds for it. */
export async function waitForText(
  page: Page,
  selector: string,
  predicate: (text: string) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    last = (await page.$eval(selector, (el) => el.textContent ?? '').catch(() => '')).trim();
    if (predicate(last)) return last;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; ${selector} says "${last.slice(0, 300)}"`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
