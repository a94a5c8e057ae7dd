import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The real market data the project tests against lives beside the repository, read-only, and is never
 * copied in. Tests that need it skip with this message when it is absent.
 */
export const SHARED_DATA = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data');
export const HAVE_SHARED_DATA = existsSync(path.join(SHARED_DATA, 'README.md'));
export const SKIP_WITHOUT_SHARED_DATA: string | false = HAVE_SHARED_DATA
  ? false
  : `real data not found at ${SHARED_DATA} (../shared/data beside the repository); skipping`;

export function sharedPath(...parts: string[]): string {
  return path.join(SHARED_DATA, ...parts);
}
