/**
 * An input file as messages name it, its first bytes, and the errors of opening it that a user can
 * fix, as UserErrors naming the file. Below src/data (whose readers stream input files, see
 * src/data/source.ts) and src/genome (reference genomes), which both open input files.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { UserError, isUserError } from './errors.js';

export interface SourceFile {
  abs: string;
  /** How messages name the file: relative to the working directory when it is below it. */
  display: string;
}

/** The first n bytes (fewer when the file is shorter); `expected` names what the file should be, for when it is a folder. */
export function readHead(file: SourceFile, n: number, expected = 'a data file'): Buffer {
  let fd: number;
  try {
    fd = openSync(file.abs, 'r');
  } catch (err) {
    throw fileError(file, err, expected);
  }
  try {
    const buf = Buffer.alloc(n);
    return buf.subarray(0, readSync(fd, buf, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** A file error the user can fix (missing, unreadable, a folder) as a UserError naming the file; any other error as it is. */
export function fileError(file: SourceFile, err: unknown, expected = 'a data file'): Error {
  if (isUserError(err)) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new UserError(`${file.display}: file not found (looked for ${file.abs}).`);
  if (code === 'EACCES' || code === 'EPERM') return new UserError(`${file.display}: permission denied; the file cannot be read.`);
  if (code === 'EISDIR') return new UserError(`${file.display}: is a folder, expected ${expected}.`);
  return err as Error;
}
