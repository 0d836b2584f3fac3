import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Request, Response } from '@google-cloud/functions-framework';
import { bundledDir } from '../bundle.js';

/** The page's own files: `console/` at the repository (or bundle) root. */
export const CONSOLE_DIR = bundledDir('console', 'index.html');

const UPLOT_DIST = path.join(
  path.dirname(createRequire(import.meta.url).resolve('uplot/package.json')),
  'dist',
);
const VENDOR: Readonly<Record<string, string>> = {
  'uPlot.iife.min.js': path.join(UPLOT_DIST, 'uPlot.iife.min.js'),
  'uPlot.min.css': path.join(UPLOT_DIST, 'uPlot.min.css'),
};

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * Scripts and styles from this origin only, no framing, no referrer (a payout's URL must not reach an
 * explorer). uPlot sets inline styles on the elements it draws, hence `style-src 'unsafe-inline'`.
 */
const HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

const FILE = /^\/console\/([A-Za-z0-9][A-Za-z0-9._-]{0,63})$/;

/** Whether `path` is the console's: `/`, `/console/` and anything below it. */
export const isConsolePath = (requestPath: string) =>
  requestPath === '/' || requestPath.startsWith('/console/');

let files: Promise<Map<string, string>> | undefined;

/** Every file the console may serve, by name: the page's own (listed once) and uPlot's two. */
function consoleFiles(): Promise<Map<string, string>> {
  files ??= readdir(CONSOLE_DIR).then(
    (names) =>
      new Map([
        ...names
          .filter((name) => path.extname(name) in TYPES && !name.startsWith('.'))
          .map((name) => [name, path.join(CONSOLE_DIR, name)] as [string, string]),
        ...Object.entries(VENDOR),
      ]),
    (error: unknown) => {
      files = undefined;
      throw error;
    },
  );
  return files;
}

/** Answers a console path: the file (GET, HEAD), 404 for an unknown file, 405 for another method. */
export async function serveConsole(req: Request, res: Response): Promise<void> {
  try {
    await answer(req, res);
  } catch {
    // A deploy bundle without `console/`: say so without paths (the logs of the API routes are unaffected).
    if (!res.headersSent) res.status(500).json({ error: 'console_unavailable' });
  }
}

async function answer(req: Request, res: Response): Promise<void> {
  const name = req.path === '/' ? 'index.html' : FILE.exec(req.path)?.[1];
  const file = name === undefined ? undefined : (await consoleFiles()).get(name);
  if (file === undefined) {
    res.status(404).json({ error: 'not_found', message: `no console file ${req.path}` });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res
      .status(405)
      .json({ error: 'method_not_allowed', message: `${req.method} is not allowed on ${req.path}` });
    return;
  }
  const body = await readFile(file);
  res
    .status(200)
    .set({ ...HEADERS, 'content-type': TYPES[path.extname(file)]! })
    .send(body);
}
