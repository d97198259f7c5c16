/**
 * Backend selection: the auto order, what a missing or unbuilt native package reads as, the GPU
 * check, the training process's TensorFlow environment, and the backend `auto` really picks here.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import os from 'node:os';
import { after, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { isUserError } from '../../src/errors.js';
import { activeBackendRuntime, nativeAddonStatus, selectBackend } from '../../src/train/backend.js';
import { nativeSkip } from '../support/native.js';
import { AUTO_BACKEND_ORDER } from '../../src/train/backend-name.js';
import { isSuppressedTensorFlowLine, nvidiaGpuAbsence, trainingProcessEnv, trainingThreads } from '../../src/train/process-env.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'danq-backend-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A node_modules tree holding tfjs-node's real package.json and node-pre-gyp, and no addon. */
function fakeTree(): string {
  const require = createRequire(import.meta.url);
  const root = path.join(scratch, 'tree');
  const pkgDir = path.join(root, 'node_modules', '@tensorflow', 'tfjs-node');
  mkdirSync(pkgDir, { recursive: true });
  cpSync(require.resolve('@tensorflow/tfjs-node/package.json'), path.join(pkgDir, 'package.json'));
  mkdirSync(path.join(root, 'node_modules', '@mapbox'));
  symlinkSync(path.dirname(require.resolve('@mapbox/node-pre-gyp/package.json')), path.join(root, 'node_modules', '@mapbox', 'node-pre-gyp'));
  return root;
}

test('auto prefers the native backends, then wasm, then cpu', () => {
  assert.deepEqual(AUTO_BACKEND_ORDER, ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']);
});

test('a native package that is absent, or installed without its addon, says which and what to run', () => {
  const root = fakeTree();
  const from = pathToFileURL(path.join(root, 'index.js')).href;
  const absent = nativeAddonStatus('tfjs-node-gpu', from);
  assert.equal(absent.state, 'not-installed');
  const unbuilt = nativeAddonStatus('tfjs-node', from);
  assert.equal(unbuilt.state, 'not-built');
  assert.match(unbuilt.state === 'not-built' ? unbuilt.reason : '', /@tensorflow\/tfjs-node is installed but its native addon is not built: run npm run setup:native$/);
  // The addon where node-pre-gyp looks for it (napi-v8 on Node 20) makes it 'built'.
  const addon = path.join(root, 'node_modules', '@tensorflow', 'tfjs-node', 'lib', 'napi-v8', 'tfjs_binding.node');
  mkdirSync(path.dirname(addon), { recursive: true });
  writeFileSync(addon, '');
  assert.deepEqual(nativeAddonStatus('tfjs-node', from), { state: 'built', addon });
});

test('the GPU check needs an NVIDIA driver and respects CUDA_VISIBLE_DEVICES', () => {
  const driver = (file: string) => file === '/proc/driver/nvidia/version';
  assert.equal(nvidiaGpuAbsence({}, driver), undefined);
  assert.equal(nvidiaGpuAbsence({ CUDA_VISIBLE_DEVICES: '1' }, driver), undefined);
  assert.match(
    nvidiaGpuAbsence({}, () => false)!,
    /no NVIDIA driver/,
  );
  assert.match(nvidiaGpuAbsence({ CUDA_VISIBLE_DEVICES: '' }, driver)!, /hides every GPU/);
  assert.match(nvidiaGpuAbsence({ CUDA_VISIBLE_DEVICES: '-1' }, driver)!, /hides every GPU/);
});

test('training processes share the cores: one trial takes them all, one inter-op thread per large branch, never fewer than one', () => {
  assert.deepEqual(trainingThreads(1, 16), { intraOp: 8, interOp: 2 });
  assert.deepEqual(trainingThreads(2, 2), { intraOp: 1, interOp: 1 });
  assert.deepEqual(trainingThreads(1, 2), { intraOp: 1, interOp: 2 });
  assert.deepEqual(trainingThreads(3, 16), { intraOp: 2, interOp: 2 });
  assert.deepEqual(trainingThreads(8, 2), { intraOp: 1, interOp: 1 });
  assert.deepEqual(trainingThreads(0, 4), { intraOp: 2, interOp: 2 });
});

test('training processes get their share of the cores and quiet logs unless told otherwise', () => {
  const defaults = trainingProcessEnv({ PATH: '/bin' }, 2, 2);
  assert.equal(defaults.PATH, '/bin');
  assert.equal(defaults.TF_CPP_MIN_LOG_LEVEL, '2');
  assert.equal(defaults.TF_NUM_INTRAOP_THREADS, '1');
  assert.equal(defaults.TF_NUM_INTEROP_THREADS, '1');
  const alone = trainingProcessEnv({}, 1, 16);
  assert.deepEqual([alone.TF_NUM_INTRAOP_THREADS, alone.TF_NUM_INTEROP_THREADS], ['8', '2']);
  const told = trainingProcessEnv({ SWEEP_TRAIN_THREADS: '4' }, 4, 4);
  assert.deepEqual([told.TF_NUM_INTRAOP_THREADS, told.TF_NUM_INTEROP_THREADS], ['2', '2']);
  const explicit = trainingProcessEnv({ SWEEP_TRAIN_THREADS: '2', TF_NUM_INTRAOP_THREADS: '4', TF_NUM_INTEROP_THREADS: '2', TF_CPP_MIN_LOG_LEVEL: '0' });
  assert.deepEqual([explicit.TF_NUM_INTRAOP_THREADS, explicit.TF_NUM_INTEROP_THREADS, explicit.TF_CPP_MIN_LOG_LEVEL], ['4', '2', '0']);
  for (const bad of ['0', '1.5', 'two']) {
    assert.throws(
      () => trainingProcessEnv({ SWEEP_TRAIN_THREADS: bad }),
      (err: unknown) => isUserError(err) && /SWEEP_TRAIN_THREADS: expected a whole number of threads >= 1, got '/.test(err.message),
    );
  }
});

test('a training process sees none of the secrets of its worker, and what TensorFlow and CUDA read', () => {
  const secrets = { DATABASE_URL: 'postgres://u:pw@db/sweep', AWS_SECRET_ACCESS_KEY: 'aws-secret', AWS_ACCESS_KEY_ID: 'AKIA', SWEEP_API_TOKEN: 'tok', TEMPORAL_API_KEY: 'key', PGPASSWORD: 'pw' };
  const passed = {
    PATH: process.env.PATH!,
    HOME: '/home/x',
    LD_LIBRARY_PATH: '/usr/local/cuda/lib64',
    CUDA_VISIBLE_DEVICES: '0',
    TF_FORCE_GPU_ALLOW_GROWTH: 'true',
    DANQ_SWEEP_CUDNN_RNN: '1',
    LC_ALL: 'C',
  };
  const env = trainingProcessEnv({ ...secrets, ...passed });
  for (const name of Object.keys(secrets)) assert.equal(env[name], undefined, name);
  for (const [name, value] of Object.entries(passed)) assert.equal(env[name], value, name);
  // The runner forks with exactly this environment; a real child process sees it so.
  const seen = JSON.parse(execFileSync(process.execPath, ['-e', 'console.log(JSON.stringify(process.env))'], { env: trainingProcessEnv({ ...process.env, ...secrets }), encoding: 'utf8' })) as Record<
    string,
    string
  >;
  for (const name of Object.keys(secrets)) assert.equal(seen[name], undefined, name);
  assert.equal(seen.TF_NUM_INTEROP_THREADS, String(trainingThreads(1, os.availableParallelism()).interOp), 'the threads for one slot on this machine');
});

test("TensorFlow's start-up INFO and WARNING lines stay out of the trial log at level 2; errors do not", () => {
  const info = 'I0000 00:00:1796122720.631959     592 port.cc:153] oneDNN custom operations are on.';
  const error = 'E0000 00:00:1796122705.183364   32613 cuda_platform.cc:52] failed call to cuInit: INTERNAL';
  const absl = 'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR';
  assert.equal(isSuppressedTensorFlowLine(info, '2'), true);
  assert.equal(isSuppressedTensorFlowLine(absl, '2'), true);
  assert.equal(isSuppressedTensorFlowLine(error, '2'), false);
  assert.equal(isSuppressedTensorFlowLine(info, '0'), false);
  assert.equal(isSuppressedTensorFlowLine('epoch 1: loss 0.69', '2'), false);
});

const nativeStatus = nativeAddonStatus('tfjs-node');
const nativeBuilt = nativeStatus.state === 'built';

test('auto picks the fastest backend present here, and names what it skipped', async () => {
  const lines: string[] = [];
  nativeSkip(nativeStatus.state === 'built' ? undefined : nativeStatus.reason);
  const picked = await selectBackend('auto', (line) => lines.push(line));
  assert.equal(lines.length, 1);
  const noGpu = nvidiaGpuAbsence();
  if (noGpu !== undefined) assert.ok(lines[0]!.includes(`skipped tfjs-node-gpu: ${noGpu}`), lines[0]);
  if (nativeBuilt && noGpu !== undefined) {
    assert.equal(picked, 'tfjs-node');
    assert.equal(tf.getBackend(), 'tensorflow');
    const runtime = activeBackendRuntime();
    assert.deepEqual({ ...runtime, version: runtime.version.replace(/^\d+\.\d+\.\d+$/, 'x.y.z') }, { backend: 'tfjs-node', library: 'tensorflow', version: 'x.y.z', device: 'cpu' });
    assert.match(lines[0]!, /^training backend: tfjs-node \(TensorFlow \d+\.\d+\.\d+, CPU\) \(auto; /);
  } else if (!nativeBuilt) {
    assert.equal(picked, 'wasm');
    assert.match(lines[0]!, /skipped .*tfjs-node: @tensorflow\/tfjs-node (is not installed|is installed but its native addon is not built: run npm run setup:native)/);
  }
});

test('an explicitly requested backend that is missing is a UserError, not a fallback', async (t) => {
  if (nativeAddonStatus('tfjs-node-gpu').state === 'built' || nvidiaGpuAbsence() === undefined) {
    t.skip('tfjs-node-gpu is built here and may load; covered by the setup:native -- --gpu check');
    return;
  }
  await assert.rejects(selectBackend('tfjs-node-gpu'), (err: unknown) => {
    assert.ok(isUserError(err));
    assert.match(
      err.message,
      /^backend 'tfjs-node-gpu' is not available: @tensorflow\/tfjs-node-gpu is (not installed|installed but its native addon is not built: run npm run setup:native -- --gpu)/,
    );
    return true;
  });
});

test('explicit cpu and wasm switch the process backend', async () => {
  assert.equal(await selectBackend('cpu'), 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.deepEqual(activeBackendRuntime(), { backend: 'cpu', library: 'tfjs-backend-cpu', version: tf.version_core, device: 'cpu' });
  assert.equal(await selectBackend('wasm'), 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(activeBackendRuntime().library, 'tfjs-backend-wasm');
});

test('tfjs-node-gpu without a GPU trains on CPU and says so in exactly one line', async (t) => {
  if (nativeAddonStatus('tfjs-node-gpu').state !== 'built') {
    t.skip('tfjs-node-gpu is not built here (npm run setup:native -- --gpu: a one-off ~4 GB download, not run in CI)');
    return;
  }
  const noGpu = nvidiaGpuAbsence();
  if (noGpu === undefined) {
    t.skip('this machine has an NVIDIA driver: the CPU fallback cannot be shown here');
    return;
  }
  // Its own process: one process holds one native backend, and this one may already run tfjs-node.
  const backendModule = pathToFileURL(path.resolve('src/train/backend.ts')).href;
  const script = `const { selectBackend, activeBackendRuntime } = await import(${JSON.stringify(backendModule)});
    await selectBackend('tfjs-node-gpu', (line) => console.log(line));
    console.log(JSON.stringify(activeBackendRuntime()));`;
  const { spawnSync } = await import('node:child_process');
  const env = trainingProcessEnv();
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env });
  assert.equal(result.status, 0, result.stderr);
  const lines = `${result.stdout}${result.stderr}`.split('\n').filter((l) => l !== '' && !isSuppressedTensorFlowLine(l, env.TF_CPP_MIN_LOG_LEVEL));
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.equal(lines[0], `training backend: tfjs-node-gpu (TensorFlow ${JSON.parse(lines[1]!).version}) on CPU: no usable GPU (${noGpu}); training runs on TensorFlow's CPU kernels`);
  assert.deepEqual({ ...JSON.parse(lines[1]!), version: 'v' }, { backend: 'tfjs-node-gpu', library: 'tensorflow', version: 'v', device: 'cpu' });
});
