/**
 * Picks and initialises the TensorFlow.js backend a trial trains on.
 * `auto` tries, in order: tfjs-node-gpu (only with a GPU), tfjs-node (native CPU), wasm, pure-JS cpu.
 * The two native packages are optional dependencies whose addon `npm run setup:native` builds;
 * they are imported only when their addon is there. Asking for a backend that cannot load is a
 * UserError, never a silent fallback. tfjs-node-gpu without a usable GPU runs on TensorFlow's CPU
 * kernels and says so in its one log line: only op selection differs between the two native paths
 * (see `activeBackendRuntime().device`).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.js';
import { AUTO_BACKEND_ORDER, isNativeBackend } from './backend-name.js';
import { nvidiaGpuAbsence } from './process-env.js';
import { TensorFlowOps } from './native/tensorflow-ops.js';
import type { BackendName, BackendRuntime } from './types.js';

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

const SETUP_HINT: Partial<Record<BackendName, string>> = {
  'tfjs-node': 'npm run setup:native',
  'tfjs-node-gpu': 'npm run setup:native -- --gpu',
};

export type NativeAddonStatus = { state: 'not-installed'; reason: string } | { state: 'not-built'; reason: string } | { state: 'built'; addon: string };

/**
 * Whether a native package's JS is installed and its addon built, found the way the package
 * itself finds it (node-pre-gyp), without importing it: an unbuilt package throws on import.
 * `from` is where resolution starts (tests point it at a scratch tree).
 */
export function nativeAddonStatus(name: 'tfjs-node' | 'tfjs-node-gpu', from: string = import.meta.url): NativeAddonStatus {
  const pkg = NATIVE_PACKAGES[name]!;
  let manifest: string;
  try {
    manifest = createRequire(from).resolve(`${pkg}/package.json`);
  } catch {
    return { state: 'not-installed', reason: `${pkg} is not installed (npm ci installs it; then ${SETUP_HINT[name]})` };
  }
  let addon: string;
  try {
    const preGyp = createRequire(manifest)('@mapbox/node-pre-gyp') as { find(packageJson: string): string };
    addon = preGyp.find(manifest);
  } catch (err) {
    return { state: 'not-built', reason: `${pkg} is installed but its addon cannot be located (${(err as Error).message}): run ${SETUP_HINT[name]}` };
  }
  if (!existsSync(addon)) return { state: 'not-built', reason: `${pkg} is installed but its native addon is not built: run ${SETUP_HINT[name]}` };
  return { state: 'built', addon };
}

/**
 * Makes `requested` the process's tfjs backend (or the first loadable one for 'auto'), logs which
 * one runs and returns its name.
 */
export async function selectBackend(requested: BackendName | 'auto', log: (line: string) => void = () => {}): Promise<BackendName> {
  if (requested !== 'auto') {
    try {
      await activate(requested);
    } catch (err) {
      if (!(err instanceof BackendUnavailable)) throw err;
      throw new UserError(`backend '${requested}' is not available: ${err.message}`);
    }
    log(`training backend: ${describe(requested)}`);
    return requested;
  }
  const skipped: string[] = [];
  for (const candidate of AUTO_BACKEND_ORDER) {
    try {
      // A GPU package on a machine without an NVIDIA driver is skipped unloaded: loading it would
      // claim the process's one native backend slot for CPU kernels that tfjs-node also has.
      const noGpu = candidate === 'tfjs-node-gpu' ? nvidiaGpuAbsence() : undefined;
      if (noGpu !== undefined) throw new BackendUnavailable(noGpu);
      await activate(candidate);
      log(`training backend: ${describe(candidate)} (auto${skipped.length ? `; skipped ${skipped.join('; ')}` : ''})`);
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
  // A package that cannot load at all says so first: that is what the user has to fix.
  if (isNativeBackend(name)) {
    const status = nativeAddonStatus(name);
    if (status.state !== 'built') throw new BackendUnavailable(status.reason);
  }
  if (activeBackend !== undefined && activeBackend !== name && TFJS_BACKEND_NAMES[activeBackend] === 'tensorflow' && TFJS_BACKEND_NAMES[name] === 'tensorflow') {
    // Both native packages register the same 'tensorflow' backend; one process can hold only one.
    throw new BackendUnavailable(`this process already runs ${activeBackend}`);
  }
  if (isNativeBackend(name)) await importNative(name);
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

/** Imports a native package whose addon activate() found built. */
async function importNative(name: 'tfjs-node' | 'tfjs-node-gpu'): Promise<void> {
  const pkg = NATIVE_PACKAGES[name]!;
  // Without a driver, TensorFlow's cuInit error would be a second, alarming line: our own says it.
  if (name === 'tfjs-node-gpu' && nvidiaGpuAbsence() !== undefined) process.env.TF_CPP_MIN_LOG_LEVEL = '3';
  try {
    // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
    const specifier: string = pkg;
    await import(specifier);
    await TensorFlowOps.loadPackageClasses(specifier);
  } catch (err) {
    // Typically the TensorFlow libraries behind the addon are gone (deps/ link broken).
    throw new BackendUnavailable(`${pkg} failed to load (${(err as Error).message.split('\n')[0]}): run ${SETUP_HINT[name]}`);
  }
}

/** What the native backend exposes of its addon (tfjs-node's NodeJSKernelBackend). */
interface NativeKernelBackend {
  binding: { TF_Version: string };
  isUsingGpuDevice: boolean;
}

/**
 * The library whose kernels the active backend runs, for the trial's row: TensorFlow's version for
 * the native backends (with the device TensorFlow placed ops on), the tfjs version for wasm and cpu.
 */
export function activeBackendRuntime(): BackendRuntime {
  if (activeBackend === undefined) throw new Error('no training backend is active yet: call selectBackend first');
  if (TFJS_BACKEND_NAMES[activeBackend] === 'tensorflow') {
    const native = tf.backend() as unknown as NativeKernelBackend;
    return { backend: activeBackend, library: 'tensorflow', version: native.binding.TF_Version, device: native.isUsingGpuDevice ? 'gpu' : 'cpu' };
  }
  const library = activeBackend === 'wasm' ? 'tfjs-backend-wasm' : 'tfjs-backend-cpu';
  return { backend: activeBackend, library, version: tf.version_core, device: 'cpu' };
}

/** The backend's one log line: names the TensorFlow version, and says when a GPU build has no GPU. */
function describe(name: BackendName): string {
  const runtime = activeBackendRuntime();
  if (runtime.library !== 'tensorflow') return name;
  if (name === 'tfjs-node-gpu' && runtime.device === 'cpu') {
    const why = nvidiaGpuAbsence() ?? 'the NVIDIA driver is there but TensorFlow could not use it (CUDA 12 libraries missing from the cache? re-run npm run setup:native -- --gpu)';
    return `${name} (TensorFlow ${runtime.version}) on CPU: no usable GPU (${why}); training runs on TensorFlow's CPU kernels`;
  }
  return `${name} (TensorFlow ${runtime.version}, ${runtime.device.toUpperCase()})`;
}

async function loadWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // In Node the .wasm binaries must be read from the package's dist folder.
  const require = createRequire(import.meta.url);
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  wasm.setWasmPaths(dist + path.sep);
}
