// The workflow bundle cached on disk: reused only while every input is unchanged, rebuilt (never an
// error) when a source changed or the entry is damaged; a stale bundle would run old workflow code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger } from '@temporalio/worker';
import { cachedWorkflowBundle } from '../../workers/workflow-bundle-cache.js';

const quiet = new DefaultLogger('WARN');
const nodeModules = fileURLToPath(new URL('../../node_modules', import.meta.url));

/** Writes a file dated an hour back: the cache stores no build whose inputs changed while webpack ran. */
function writeOld(file: string, text: string): void {
  writeFileSync(file, text);
  const anHourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(file, anHourAgo, anHourAgo);
}

test('the cached workflow bundle is reused while its sources are unchanged and rebuilt when one changes or the entry is damaged', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bundle-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const project = path.join(dir, 'project');
  const cacheDir = path.join(dir, 'cache');
  mkdirSync(path.join(project, 'workflows'), { recursive: true });
  symlinkSync(nodeModules, path.join(project, 'node_modules'));
  const workflowsPath = path.join(project, 'workflows', 'index.ts');
  writeOld(
    workflowsPath,
    "import { sleep } from '@temporalio/workflow';\nimport { label } from './label.js';\nexport async function labelled(): Promise<string> {\n  await sleep(1);\n  return label;\n}\n",
  );
  const label = path.join(project, 'workflows', 'label.ts');
  writeOld(label, "export const label = 'first-label';\n");

  const first = await cachedWorkflowBundle(workflowsPath, cacheDir, quiet);
  assert.equal(first.reused, false, 'nothing cached yet: built');
  assert.match(first.bundle.code, /first-label/);

  const second = await cachedWorkflowBundle(workflowsPath, cacheDir, quiet);
  assert.equal(second.reused, true, 'unchanged sources: reused');
  assert.equal(second.bundle.code, first.bundle.code);

  writeOld(label, "export const label = 'second-label';\n");
  const edited = await cachedWorkflowBundle(workflowsPath, cacheDir, quiet);
  assert.equal(edited.reused, false, 'an imported source changed: rebuilt');
  assert.match(edited.bundle.code, /second-label/);
  assert.doesNotMatch(edited.bundle.code, /first-label/);
  assert.equal((await cachedWorkflowBundle(workflowsPath, cacheDir, quiet)).reused, true, 'the rebuilt bundle is stored');

  // A file that did not exist but that resolution probed (label.ts shadows nothing yet; a package.json beside the sources does count).
  writeOld(path.join(project, 'workflows', 'package.json'), '{ "sideEffects": false }\n');
  assert.equal((await cachedWorkflowBundle(workflowsPath, cacheDir, quiet)).reused, false, 'a file appeared where webpack had looked: rebuilt');

  const [entry] = readdirSync(cacheDir);
  const entryPath = path.join(cacheDir, entry!);
  truncateSync(entryPath, Math.floor(readFileSync(entryPath).length / 2));
  const afterTruncation = await cachedWorkflowBundle(workflowsPath, cacheDir, quiet);
  assert.equal(afterTruncation.reused, false, 'a truncated entry: rebuilt, no error');
  assert.match(afterTruncation.bundle.code, /second-label/);

  // Same length, one character of the code changed: valid JSON, caught by the code's hash.
  writeFileSync(entryPath, readFileSync(entryPath, 'utf8').replace('second-label', 'second-lab3l'));
  const afterCorruption = await cachedWorkflowBundle(workflowsPath, cacheDir, quiet);
  assert.equal(afterCorruption.reused, false, 'a corrupted entry: rebuilt');
  assert.match(afterCorruption.bundle.code, /second-label/);
  assert.deepEqual(readdirSync(cacheDir), [entry], 'one entry per workflows path, no temp files left');
});

test('a file edited while webpack runs leaves the build unstored', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bundle-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const project = path.join(dir, 'project');
  mkdirSync(path.join(project, 'workflows'), { recursive: true });
  symlinkSync(nodeModules, path.join(project, 'node_modules'));
  const workflowsPath = path.join(project, 'workflows', 'index.ts');
  // Dated now: as if saved during the build, so its bytes may differ from what webpack read.
  writeFileSync(workflowsPath, 'export async function nothing(): Promise<void> {}\n');
  assert.equal((await cachedWorkflowBundle(workflowsPath, path.join(dir, 'cache'), quiet)).reused, false);
  assert.equal((await cachedWorkflowBundle(workflowsPath, path.join(dir, 'cache'), quiet)).reused, false, 'not stored, so built again');
});

test('an entry does not depend on the working directory of the process that built it (webpack names modules relative to its context)', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bundle-cache-'));
  const cwd = process.cwd();
  t.after(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });
  const project = path.join(dir, 'project');
  mkdirSync(path.join(project, 'workflows'), { recursive: true });
  symlinkSync(nodeModules, path.join(project, 'node_modules'));
  const workflowsPath = path.join(project, 'workflows', 'index.ts');
  writeOld(workflowsPath, 'export async function nothing(): Promise<void> {}\n');
  process.chdir(project);
  const fromRoot = await cachedWorkflowBundle(workflowsPath, path.join(dir, 'cache-a'), quiet);
  process.chdir(tmpdir());
  const fromElsewhere = await cachedWorkflowBundle(workflowsPath, path.join(dir, 'cache-b'), quiet);
  assert.equal(fromElsewhere.reused, false);
  assert.match(fromRoot.bundle.code, /"\.\/workflows\/index\.ts"/, 'modules named from the project root');
  assert.equal(fromElsewhere.bundle.code, fromRoot.bundle.code);
});
