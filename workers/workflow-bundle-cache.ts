/**
 * The workflow bundle, kept on disk between processes: webpack takes 1-3 s of CPU at every start,
 * on the critical path of `sweep start`. A stale bundle would run old workflow code against running
 * sweeps, so an entry is reused only when every path webpack read or probed while building it is
 * as it was: each file's bytes (sources, node_modules, loaders, package.json files), each directory,
 * and each path it looked for and did not find (a new file there could change what an import resolves to),
 * plus the bundler's own package versions. Anything unreadable or inconsistent is rebuilt, never an error.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { bundleWorkflowCode, type Logger, type WorkflowBundle } from '@temporalio/worker';
import { writeFileAtomically } from '../src/atomic-file.js';

/** Changes when the entry's layout changes, so an older layout is rebuilt rather than misread. */
const FORMAT = 2;

/** What a path was when the bundle was built: a file's sha256, DIRECTORY or ABSENT. */
type PathState = string;
const DIRECTORY = 'directory';
const ABSENT = 'absent';

interface CacheEntry {
  format: number;
  workflowsPath: string;
  inputs: Record<string, PathState>;
  codeSha256: string;
  code: string;
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

async function inspect(file: string): Promise<{ state: PathState; modifiedMs: number }> {
  try {
    const stats = await stat(file);
    if (stats.isDirectory()) return { state: DIRECTORY, modifiedMs: 0 };
    return { state: sha256(await readFile(file)), modifiedMs: stats.mtimeMs };
  } catch {
    return { state: ABSENT, modifiedMs: 0 };
  }
}

// A file changed while webpack ran may have been read before the change: such a build is used but not
// stored. The margin covers file systems whose timestamps are coarse (whole seconds).
const TIMESTAMP_MARGIN_MS = 2000;

// The bundler's own code decides the output too (the generated entry point, the webpack config, the
// TypeScript transform): their package.json files stand for their versions.
function bundlerPackageFiles(): string[] {
  const fromWorker = createRequire(createRequire(import.meta.url).resolve('@temporalio/worker'));
  return ['@temporalio/worker/package.json', 'webpack/package.json', '@swc/core/package.json', 'swc-loader/package.json', 'source-map-loader/package.json'].flatMap((name) => {
    try {
      return [fromWorker.resolve(name)];
    } catch {
      return [];
    }
  });
}

const entryFile = (cacheDir: string, workflowsPath: string) => path.join(cacheDir, `workflow-bundle-${sha256(workflowsPath).slice(0, 16)}.json`);

async function reusable(file: string, workflowsPath: string): Promise<string | undefined> {
  try {
    const entry = JSON.parse(await readFile(file, 'utf8')) as Partial<CacheEntry>;
    if (entry.format !== FORMAT || entry.workflowsPath !== workflowsPath || typeof entry.code !== 'string' || typeof entry.inputs !== 'object') return undefined;
    if (sha256(entry.code) !== entry.codeSha256) return undefined;
    const recorded = Object.entries(entry.inputs);
    if (recorded.length === 0) return undefined;
    const now = await Promise.all(recorded.map(([input]) => inspect(input)));
    return recorded.every(([, state], i) => now[i]!.state === state) ? entry.code : undefined;
  } catch {
    return undefined;
  }
}

async function build(workflowsPath: string, logger: Logger | undefined): Promise<{ code: string; inputs: string[] }> {
  const inputs = new Set<string>(bundlerPackageFiles());
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger,
    // Records, without changing the output, every path webpack read (fileDependencies), probed and
    // did not find (missingDependencies), listed (contextDependencies), and its loaders (buildDependencies).
    webpackConfigHook: (config) => ({
      ...config,
      // webpack names modules relative to its context, the working directory by default: fixed to the
      // project's root, an entry does not depend on where the process that built it was started.
      context: path.dirname(path.dirname(workflowsPath)),
      plugins: [
        ...(config.plugins ?? []),
        {
          apply: (compiler) =>
            compiler.hooks.done.tap('danq-sweep-bundle-inputs', ({ compilation }) => {
              for (const paths of [compilation.fileDependencies, compilation.missingDependencies, compilation.contextDependencies, compilation.buildDependencies])
                for (const input of paths) inputs.add(input);
            }),
        },
      ],
    }),
  });
  return { code, inputs: [...inputs] };
}

export interface CachedBundle {
  /** The code, its source map inline. */
  bundle: WorkflowBundle;
  /** False when webpack ran (no entry, or one whose inputs changed or that was unreadable). */
  reused: boolean;
}

/**
 * The bundle of `workflowsPath`, from `cacheDir` when nothing that went into it has changed, else
 * built and stored there (atomically; a cache that cannot be written is skipped).
 */
export async function cachedWorkflowBundle(workflowsPath: string, cacheDir: string, logger?: Logger): Promise<CachedBundle> {
  const file = entryFile(cacheDir, workflowsPath);
  const cached = await reusable(file, workflowsPath);
  if (cached !== undefined) return { bundle: { code: cached }, reused: true };
  const started = Date.now();
  const { code, inputs } = await build(workflowsPath, logger);
  try {
    const seen = await Promise.all(inputs.map((input) => inspect(input)));
    if (seen.some(({ modifiedMs }) => modifiedMs > started - TIMESTAMP_MARGIN_MS)) return { bundle: { code }, reused: false };
    const entry: CacheEntry = { format: FORMAT, workflowsPath, inputs: Object.fromEntries(inputs.map((input, i) => [input, seen[i]!.state])), codeSha256: sha256(code), code };
    mkdirSync(cacheDir, { recursive: true });
    writeFileAtomically(file, [Buffer.from(JSON.stringify(entry))]);
  } catch {
    // A read-only install or a full disk: the next start builds again.
  }
  return { bundle: { code }, reused: false };
}
