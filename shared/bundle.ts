/** Where the files that ship beside the code are: at the root of the repository or of the deploy bundle. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder `relative` (e.g. `sql/migrations`) at that root, found from this file whether it runs as source
 * (`shared/`) or built (`dist/shared/`), holding `marker` when one is named; else under the working directory.
 */
export function bundledDir(relative: string, marker = ''): string {
  return (
    ['../', '../../']
      .map((up) => fileURLToPath(new URL(`${up}${relative}/`, import.meta.url)))
      .find((dir) => existsSync(path.join(dir, marker))) ?? path.resolve(relative)
  );
}
