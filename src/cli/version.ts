import { readFileSync } from 'node:fs';

/** The package version, as `sweep --version` prints it and the API reports it. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
