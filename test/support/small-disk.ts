/**
 * A real small disk for tests: a tmpfs of a given size mounted on a temp directory (the tests run
 * as root). Where mounting is impossible (not root), `unavailable` says why, and under CI=true that
 * is a failure rather than a skip, so a CI that lost the privilege does not pass silently.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface SmallDisk {
  dir: string;
  /** Unmounts and removes the directory (idempotent). */
  remove(): void;
}

/** Why a small disk cannot be mounted here, or undefined when it can. */
export function smallDiskUnavailable(): string | undefined {
  const reason = process.getuid?.() === 0 ? undefined : 'mounting a tmpfs needs root (the tests run as root in CI)';
  if (reason && process.env.CI === 'true') throw new Error(`CI=true but ${reason}`);
  return reason;
}

export function mountSmallDisk(size: string): SmallDisk {
  const dir = mkdtempSync(path.join(tmpdir(), 'danq-small-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  let mounted = true;
  return {
    dir,
    remove() {
      if (mounted) execFileSync('umount', [dir]);
      mounted = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
