/** The directory implementation of the artifact store (see index.ts for the contract). */
import type { ReadStream } from 'node:fs';
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { isTempFile, writeFileAtomicallyFrom } from '../atomic-file.js';
import { checkKey, type ArtifactStore, type Body, type ClearOptions, type Freed } from './store.js';

export class DirectoryStore implements ArtifactStore {
  constructor(readonly location: string) {}

  locate(key: string): string {
    checkKey(key);
    return path.join(this.location, ...key.split('/'));
  }

  async put(key: string, body: Body): Promise<void> {
    const file = this.locate(key);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomicallyFrom(file, body);
  }

  async get(key: string): Promise<ReadStream | undefined> {
    const file = this.locate(key);
    // Opened before returning, so a missing file is undefined rather than a stream error.
    const handle = await open(file, 'r').catch((err: unknown) => {
      const { code } = err as NodeJS.ErrnoException;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw err;
    });
    return handle?.createReadStream();
  }

  async list(prefix = ''): Promise<string[]> {
    const entries = await readdir(this.location, { recursive: true, withFileTypes: true }).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    });
    return entries
      .filter((e) => e.isFile() && !isTempFile(e.name))
      .map((e) => path.relative(this.location, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
      .filter((key) => key.startsWith(prefix))
      .sort();
  }

  async delete(key: string): Promise<void> {
    await rm(this.locate(key), { force: true });
  }

  async clear(dir: string, { dryRun = false, leftoversOnly = false }: ClearOptions = {}): Promise<Freed> {
    const root = this.locate(dir);
    const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    });
    const files = entries.filter((e) => e.isFile() && (!leftoversOnly || isTempFile(e.name))).map((e) => path.join(e.parentPath, e.name));
    let bytes = 0;
    for (const file of files) bytes += (await stat(file).catch(() => undefined))?.size ?? 0;
    if (!dryRun) {
      if (leftoversOnly) await Promise.all(files.map((file) => rm(file, { force: true })));
      else await rm(root, { recursive: true, force: true });
    }
    return { files: files.length, bytes };
  }
}
