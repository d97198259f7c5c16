// postgres (postgres.js) 3.4.x writes small chunks from a setImmediate; when the server closes the
// connection in between, `closed()` has set `socket = null` and the write throws a TypeError outside
// any query, which kills the process (porsager/postgres#1154, #1208; fixes proposed in #1168, #1209,
// not released). A train worker died that way in the "PostgreSQL down 90 s" fault scenario. This guard
// settles the pending queries with CONNECTION_CLOSED instead, as #1209 does, so the store's outage
// handling retries them. Run by `postinstall`; idempotent; refuses a file it does not recognise.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const ORIGINAL = `  function nextWrite(fn) {
    const x = socket.write(chunk, fn)`;
export const PATCHED = `  function nextWrite(fn) {
    if (!socket) { // danq-sweep: infra/patches/postgres-next-write.ts
      nextWriteTimer !== null && clearImmediate(nextWriteTimer)
      chunk = nextWriteTimer = null
      error(Errors.connection('CONNECTION_CLOSED', options))
      return false
    }
    const x = socket.write(chunk, fn)`;

/** The text with the guard in place; throws when neither the original nor the patched code is there. */
export function patchNextWrite(text: string, file: string): string {
  if (text.includes(PATCHED)) return text;
  if (!text.includes(ORIGINAL))
    throw new Error(
      `${file}: nextWrite is not the code this patch was written for (postgres 3.4.x); check whether the installed version fixes porsager/postgres#1208, then update or drop infra/patches/postgres-next-write.ts`,
    );
  return text.replace(ORIGINAL, PATCHED);
}

/** The installed copies (ESM and CommonJS) of postgres.js's connection module. */
export function installedConnectionFiles(from = process.cwd()): string[] {
  // The package exports no package.json: its CommonJS entry is cjs/src/index.js.
  const root = path.resolve(createRequire(path.join(from, 'package.json')).resolve('postgres'), '../../..');
  return ['src/connection.js', 'cjs/src/connection.js'].map((file) => path.join(root, file));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const file of installedConnectionFiles()) {
    const text = readFileSync(file, 'utf8');
    const patched = patchNextWrite(text, file);
    if (patched !== text) writeFileSync(file, patched);
  }
}
