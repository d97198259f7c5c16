/**
 * Picks and initialises the TensorFlow.js backend a trial trains on.
 * `auto` tries, in order: tfjs-node-gpu (CUDA workers), tfjs-node (native CPU), wasm, pure-JS cpu.
 * The two native packages are optional peer dependencies: they are imported only when present.
 * Asking for a backend that cannot load is a UserError, never a silent fallback.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.js';
import { AUTO_BACKEND_ORDER } from './backend-name.js';
import type { BackendName } from './types.js';

const NATIVE_PACKAGES: Partial<Record<BackendName, string>> = {
  'tfjs-node-gpu': '@tensorflow/tfjs-node-gpu',
  'tfjs-node': '@tensorflow/tfjs-node',
};

/** tfjs's own name for each backend (both native packages register 'tensorflow'). */
const TFJS_BACKEND_NAMES: Record<BackendName, string> = {
  'tfjs-node-gpu': 'tensorflow',
  'tfjs-node': 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

/** Set once a backend is active: tfjs backends are process-global. */
let activeBackend: BackendName | undefined;

/** Why one backend could not load: a missing package, or a package that failed to initialise. */
class BackendUnavailable extends Error {}

/**
 * Makes `requested` the process's tfjs backend (or the first loadable one for 'auto'), logs which
 * one runs and returns its name.
 */
export async function selectBackend(
  requested: BackendName | 'auto',
  log: (line: string) => void = () => {},
): Promise<BackendName> {
  if (requested !== 'auto') {
    try {
      await activate(requested);
    } catch (err) {
      if (!(err instanceof BackendUnavailable)) throw err;
      throw new UserError(`backend '${requested}' is not available: ${err.message}`);
    }
    log(`training backend: ${requested}`);
    return requested;
  }
  const skipped: string[] = [];
  for (const candidate of AUTO_BACKEND_ORDER) {
    try {
      await activate(candidate);
      log(`training backend: ${candidate} (auto${skipped.length ? `; skipped ${skipped.join('; ')}` : ''})`);
      return candidate;
    } catch (err) {
      if (!(err instanceof BackendUnavailable)) throw err;
      skipped.push(`${candidate}: ${err.message}`);
    }
  }
  throw new Error(`no tfjs backend could load: ${skipped.join('; ')}`);
}

async function activate(name: BackendName): Promise<void> {
  if (activeBackend === name) return;
  if (activeBackend !== undefined && TFJS_BACKEND_NAMES[activeBackend] === 'tensorflow' && name !== activeBackend) {
    // Both native packages register the same 'tensorflow' backend; one process can hold only one.
    throw new BackendUnavailable(`this process already runs ${activeBackend}`);
  }
  const nativePackage = NATIVE_PACKAGES[name];
  if (nativePackage !== undefined) await importNative(nativePackage);
  if (name === 'wasm') await loadWasm();
  if (!(await tf.setBackend(TFJS_BACKEND_NAMES[name]))) {
    throw new BackendUnavailable(`tfjs could not initialise the '${TFJS_BACKEND_NAMES[name]}' backend`);
  }
  await tf.ready();
  // Only now: until a backend is up, tfjs's warnings are how a failed initialisation says why.
  quietTfjs();
  activeBackend = name;
}

/**
 * Mutes tfjs's advisory console output in our processes (the "install our node backend" banner
 * on the first pure-JS CPU tensor, and the like): production mode silences only tfjs's own
 * warn/info logging; errors still throw.
 */
export function quietTfjs(): void {
  tf.env().set('PROD', true);
}

async function importNative(pkg: string): Promise<void> {
  try {
    // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
    const specifier: string = pkg;
    await import(specifier);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(pkg)) {
      throw new BackendUnavailable(`${pkg} is not installed (npm install ${pkg})`);
    }
    throw new BackendUnavailable(`${pkg} failed to load: ${(err as Error).message}`);
  }
}

async function loadWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // In Node the .wasm binaries must be read from the package's dist folder.
  const require = createRequire(import.meta.url);
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  wasm.setWasmPaths(dist + path.sep);
}
