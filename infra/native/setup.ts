/**
 * `npm run setup:native [-- --gpu] [--cpu] [--force]`: provisions the native TensorFlow backends
 * without tfjs-node's install script (it downloads libtensorflow from a host we cannot reach).
 *
 *   1. pip downloads the pinned TensorFlow wheel (tensorflow-cpu for @tensorflow/tfjs-node, the
 *      CUDA-enabled tensorflow for @tensorflow/tfjs-node-gpu), checks its sha256 and takes its C API
 *      libraries and headers into the cache (.tools/tensorflow/<wheel>-<version>/, or
 *      SWEEP_NATIVE_CACHE). --gpu also installs the CUDA 12 libraries of the wheel's `and-cuda`
 *      extra (the nvidia-*-cu12 wheels, pinned in CUDA_WHEELS) into the cache's cuda/ folder (nvidia/ links to
 *      it, where the libraries' RUNPATH looks).
 *   2. node_modules/<package>/deps becomes a link to that cache folder (binding.gyp reads
 *      deps/include and links deps/lib; the addon's RUNPATH is $ORIGIN/../../deps/lib).
 *   3. The binding source gets the compiled-step additions (binding-patch.ts: functions registered
 *      in the eager context), then node-pre-gyp builds the addon for this Node's N-API version only,
 *      against this Node's own headers (about 10 s), and the addon is cached beside the libraries.
 *   4. A fresh Node process loads the package and prints TensorFlow's version.
 * Each step is skipped when its result is cached, so a second run (or a run after `npm ci` wiped
 * node_modules) takes seconds. Python is a build-time tool only: nothing here runs at training time.
 * Exit codes: 0 ready, 2 a missing tool or unsupported platform (the message names it), 1 a failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PATCH_ID, patchBindingSource } from './binding-patch.js';

const TF_VERSION = '2.21.0';
const TFJS_NODE_VERSION = '4.22.0';
/** The wheel's tags, fixed so every machine gets the same file whatever its own Python is. */
const WHEEL_TAGS = { python: '3.11', abi: 'cp311', platform: 'manylinux_2_27_x86_64' };

/**
 * The CUDA 12 wheels for --gpu, pinned to what pip resolved for tensorflow 2.21.0's `and-cuda` ranges
 * on 2026-12-01 (CUDA 12.9, cuDNN 9.28), so every GPU machine gets the same libraries. The script
 * checks the wheel still names exactly these packages.
 */
const CUDA_WHEELS: Record<string, string> = {
  'nvidia-cublas-cu12': '12.9.3.13',
  'nvidia-cuda-cupti-cu12': '12.9.79',
  'nvidia-cuda-nvcc-cu12': '12.9.86',
  'nvidia-cuda-nvrtc-cu12': '12.9.86',
  'nvidia-cuda-runtime-cu12': '12.9.79',
  'nvidia-cudnn-cu12': '9.28.0.42',
  'nvidia-cufft-cu12': '11.4.1.4',
  'nvidia-curand-cu12': '10.3.10.19',
  'nvidia-cusolver-cu12': '11.7.5.82',
  'nvidia-cusparse-cu12': '12.5.10.65',
  'nvidia-nccl-cu12': '2.32.3',
  'nvidia-nvjitlink-cu12': '12.9.86',
};

interface Variant {
  flag: 'cpu' | 'gpu';
  pkg: string;
  wheel: string;
  /** sha256 of `${wheel}==${TF_VERSION}` for WHEEL_TAGS, as PyPI's simple index lists it. */
  sha256: string;
  cuda: boolean;
}

const VARIANTS: Variant[] = [
  {
    flag: 'cpu',
    pkg: '@tensorflow/tfjs-node',
    wheel: 'tensorflow-cpu',
    sha256: '2b847d217b02ee7731ed91431daf3250daa0196c3c94614d23be27232e6e5b6c',
    cuda: false,
  },
  {
    flag: 'gpu',
    pkg: '@tensorflow/tfjs-node-gpu',
    wheel: 'tensorflow',
    sha256: '9056fbc9ba04235810b71ae6cbd958a196e8804fb53bbcffbf3e23b56155f124',
    cuda: true,
  },
];

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

class MissingTool extends Error {}

function say(line: string): void {
  process.stderr.write(`setup:native: ${line}\n`);
}

function usage(): string {
  return [
    'Usage: npm run setup:native [-- --cpu] [--gpu] [--force]',
    '  --cpu    @tensorflow/tfjs-node on the tensorflow-cpu wheel (the default)',
    '  --gpu    @tensorflow/tfjs-node-gpu on the CUDA-enabled tensorflow wheel, with the CUDA 12',
    '           libraries from the nvidia-*-cu12 wheels (about 3 GB download)',
    '  --force  ignore the cache: download and build again',
    'Environment: SWEEP_NATIVE_CACHE (default .tools/tensorflow), PYTHON (default python3).',
  ].join('\n');
}

function parseArgs(argv: string[]): { variants: Variant[]; force: boolean } {
  const flags = new Set<string>();
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(usage() + '\n');
      process.exit(0);
    }
    if (!['--cpu', '--gpu', '--force'].includes(arg)) {
      throw new MissingTool(`unknown option '${arg}'; expected --cpu, --gpu or --force\n${usage()}`);
    }
    flags.add(arg.slice(2));
  }
  const chosen = VARIANTS.filter((v) => flags.has(v.flag));
  return { variants: chosen.length > 0 ? chosen : [VARIANTS[0]!], force: flags.has('force') };
}

function cacheRoot(): string {
  return path.resolve(ROOT, process.env.SWEEP_NATIVE_CACHE || '.tools/tensorflow');
}

function which(command: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v "$1"`, 'sh', command], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() || undefined : undefined;
}

function python(): string {
  const candidate = process.env.PYTHON || 'python3';
  const found = which(candidate) ?? (process.env.PYTHON ? undefined : which('python'));
  if (!found) throw new MissingTool(`Python 3 was not found (looked for ${candidate}${process.env.PYTHON ? '' : ' and python'}); install python3, or set PYTHON=/path/to/python3`);
  return found;
}

function pip(): string[] {
  const py = python();
  if (spawnSync(py, ['-m', 'pip', '--version'], { stdio: 'ignore' }).status !== 0) {
    throw new MissingTool(`pip is not available for ${py}; install it (e.g. apt-get install python3-pip, or ${py} -m ensurepip)`);
  }
  return [py, '-m', 'pip'];
}

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; what: string }): void {
  const result = spawnSync(command, args, { cwd: options.cwd, env: options.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new Error(`${options.what}: ${result.error.message}`);
  if (result.status !== 0) {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- spawnSync gives null output when the command cannot start
    const tail = `${result.stdout ?? ''}${result.stderr ?? ''}`.trimEnd().split('\n').slice(-30).join('\n');
    throw new Error(`${options.what} failed (exit ${result.status}):\n${tail}`);
  }
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Python that extracts the C API libraries, headers and (for --gpu) the CUDA requirements. */
const EXTRACT_PY = String.raw`
import json, os, re, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
header = re.compile(r'^tensorflow/include/((tensorflow/c/|tensorflow/core/platform/ctstring|tsl/platform/ctstring|tensorflow/tsl/platform/ctstring|xla/tsl/c/|tensorflow/compiler/xla/tsl/c/).*\.h)$')
libs = {'tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'}
cuda = []
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        name = info.filename
        m = header.match(name)
        target = os.path.join(dest, 'include', m.group(1)) if m else os.path.join(dest, 'lib', os.path.basename(name)) if name in libs else None
        if target:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with z.open(info) as src, open(target, 'wb') as out:
                while chunk := src.read(1 << 20):
                    out.write(chunk)
        if name.endswith('.dist-info/METADATA'):
            for line in z.read(name).decode().splitlines():
                m2 = re.match(r'^Requires-Dist: (nvidia-[A-Za-z0-9_.-]+ *[^;]*); *extra == "and-cuda"', line)
                if m2: cuda.append(m2.group(1).replace(' ', ''))
missing = [l for l in libs if not os.path.exists(os.path.join(dest, 'lib', os.path.basename(l)))]
if missing: sys.exit('not in the wheel: ' + ', '.join(missing))
print(json.dumps(cuda))
`;

/**
 * The cache folder with lib/ (the two libraries and the names binding.gyp links), include/ and,
 * for the GPU wheel, cuda/ (site-packages with the nvidia-*-cu12 wheels). Built in a temporary
 * sibling and renamed into place, so an interrupted run never leaves a half-filled cache.
 */
async function ensureTensorFlow(variant: Variant, force: boolean): Promise<string> {
  const dir = path.join(cacheRoot(), `${variant.wheel}-${TF_VERSION}`);
  const ready = path.join(dir, 'READY.json');
  if (!force && existsSync(ready)) {
    say(`${variant.wheel} ${TF_VERSION}: cached in ${display(dir)}`);
    return dir;
  }
  const pipCommand = pip();
  const tmp = `${dir}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(path.join(tmp, 'wheel'), { recursive: true });
  try {
    let started = Date.now();
    say(`downloading ${variant.wheel}==${TF_VERSION} with pip (${variant.cuda ? 'about 600 MB' : 'about 270 MB'})...`);
    run(
      pipCommand[0]!,
      [
        ...pipCommand.slice(1),
        'download',
        '--quiet',
        '--no-deps',
        '--no-cache-dir',
        '--only-binary=:all:',
        '--python-version',
        WHEEL_TAGS.python,
        '--implementation',
        'cp',
        '--abi',
        WHEEL_TAGS.abi,
        '--platform',
        WHEEL_TAGS.platform,
        '-d',
        path.join(tmp, 'wheel'),
        `${variant.wheel}==${TF_VERSION}`,
      ],
      { what: `pip download ${variant.wheel}==${TF_VERSION}` },
    );
    const wheelFile = readdirSync(path.join(tmp, 'wheel')).find((f) => f.endsWith('.whl'));
    if (!wheelFile) throw new Error(`pip download ${variant.wheel}==${TF_VERSION} left no wheel in ${path.join(tmp, 'wheel')}`);
    const wheelPath = path.join(tmp, 'wheel', wheelFile);
    const actual = await sha256(wheelPath);
    if (actual !== variant.sha256) throw new Error(`${wheelFile}: sha256 ${actual}, expected ${variant.sha256}; not using it`);
    say(`downloaded ${wheelFile} in ${seconds(started)}; extracting the C API libraries and headers...`);
    started = Date.now();
    const cudaRequirements = JSON.parse(execFileSync(pipCommand[0]!, ['-c', EXTRACT_PY, wheelPath, tmp], { encoding: 'utf8' })) as string[];
    symlinkSync('libtensorflow_cc.so.2', path.join(tmp, 'lib', 'libtensorflow.so'));
    symlinkSync('libtensorflow_framework.so.2', path.join(tmp, 'lib', 'libtensorflow_framework.so'));
    rmSync(path.join(tmp, 'wheel'), { recursive: true, force: true });
    say(`extracted in ${seconds(started)}`);
    if (variant.cuda) {
      const named = cudaRequirements.map((r) => /^[A-Za-z0-9_.-]+/.exec(r)![0]).sort();
      if (named.join() !== Object.keys(CUDA_WHEELS).sort().join()) {
        throw new Error(`${wheelFile} asks for ${named.join(', ')} (and-cuda); this script pins ${Object.keys(CUDA_WHEELS).join(', ')}: update CUDA_WHEELS`);
      }
      const pinned = Object.entries(CUDA_WHEELS).map(([name, version]) => `${name}==${version}`);
      started = Date.now();
      say(`installing the CUDA 12 libraries (${pinned.join(' ')}; about 3 GB download, 4.2 GB on disk)...`);
      run(
        pipCommand[0]!,
        [
          // py3-none-manylinux wheels: this machine's own tags select them (no --platform pinning).
          ...pipCommand.slice(1),
          'install',
          '--quiet',
          '--no-deps',
          '--no-cache-dir',
          '--only-binary=:all:',
          '--target',
          path.join(tmp, 'cuda'),
          ...pinned,
        ],
        { what: 'pip install of the CUDA 12 wheels' },
      );
      // The wheel's libraries carry RUNPATH $ORIGIN/../nvidia/<lib>/lib: next to lib/, they find
      // the CUDA libraries without LD_LIBRARY_PATH (only the driver's libcuda.so.1 comes from the system).
      symlinkSync(path.join('cuda', 'nvidia'), path.join(tmp, 'nvidia'));
      say(`CUDA libraries installed in ${seconds(started)}`);
    }
    writeFileSync(
      path.join(tmp, 'READY.json'),
      JSON.stringify({ wheel: wheelFile, sha256: actual, tensorflow: TF_VERSION, cuda: variant.cuda ? CUDA_WHEELS : {}, preparedAt: new Date().toISOString() }, null, 2) + '\n',
    );
    if (!force && existsSync(ready)) {
      // Another setup run filled the cache meanwhile: keep its copy, which others may already link to.
      rmSync(tmp, { recursive: true, force: true });
      return dir;
    }
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return dir;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Node's N-API version as node-pre-gyp picks it: the package's highest one this Node supports. */
function napiBuildVersion(pkgDir: string): number {
  const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { binary: { napi_versions: number[] } };
  const supported = Number(process.versions.napi);
  const usable = pkg.binary.napi_versions.filter((v) => v <= supported);
  if (usable.length === 0) throw new MissingTool(`Node ${process.version} supports N-API ${supported}, older than any ${path.basename(pkgDir)} builds for`);
  return Math.max(...usable);
}

function packageDir(variant: Variant): string {
  const dir = path.join(ROOT, 'node_modules', variant.pkg);
  const manifest = path.join(dir, 'package.json');
  const version = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version : undefined;
  if (version !== TFJS_NODE_VERSION) {
    throw new MissingTool(
      `${variant.pkg}@${TFJS_NODE_VERSION} is not in node_modules (${version ? `found ${version}` : 'not installed'}): run \`npm ci\` first (it is an optional dependency of danq-sweep)`,
    );
  }
  return dir;
}

/** deps -> the cache folder (replacing whatever tfjs-node's own installer may have left there). */
function linkDeps(pkgDir: string, tfDir: string): void {
  const deps = path.join(pkgDir, 'deps');
  const current = lstatSync(deps, { throwIfNoEntry: false });
  if (current?.isSymbolicLink() && readlinkSync(deps) === tfDir) return;
  if (current) rmSync(deps, { recursive: true, force: true });
  symlinkSync(tfDir, deps, 'dir');
}

/** Node's own headers (node_api.h) beside this Node binary, so node-gyp downloads nothing. */
function nodeDir(): string {
  const candidates = [process.env.npm_config_nodedir, path.resolve(path.dirname(process.execPath), '..')].filter((d): d is string => !!d);
  const found = candidates.find((d) => existsSync(path.join(d, 'include', 'node', 'node_api.h')));
  if (!found) {
    throw new MissingTool(
      `Node's C headers (include/node/node_api.h) were not found under ${candidates.join(' or ')}; install them (Debian: apt-get install libnode-dev, or nodejs from nodejs.org which ships them) or set npm_config_nodedir`,
    );
  }
  return found;
}

function nodeGyp(): string {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.resolve(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
    '/usr/share/nodejs/node-gyp/bin/node-gyp.js',
  ].filter((c): c is string => !!c);
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new MissingTool(`node-gyp was not found (looked at ${candidates.join(', ')}); it ships with npm, or install it (npm install -g node-gyp) and set npm_config_node_gyp`);
  return found;
}

/** What a build needs besides the cache: every missing tool is named at once. */
function checkBuildTools(): { nodedir: string; nodeGyp: string } {
  const missing: string[] = [];
  const compiler = process.env.CXX ? which(process.env.CXX) : (which('c++') ?? which('g++') ?? which('clang++'));
  if (!compiler) missing.push(`a C++ compiler (looked for ${process.env.CXX ? `CXX=${process.env.CXX}` : 'c++, g++, clang++'}; Debian: apt-get install g++)`);
  if (!which('make')) missing.push('make (Debian: apt-get install make)');
  const tools: Partial<{ nodedir: string; nodeGyp: string }> = {};
  for (const [key, find] of [
    ['nodedir', nodeDir],
    ['nodeGyp', nodeGyp],
    ['python', python],
  ] as const) {
    try {
      const value = find();
      if (key !== 'python') tools[key] = value;
    } catch (err) {
      if (!(err instanceof MissingTool)) throw err;
      missing.push(err.message);
    }
  }
  if (missing.length > 0) throw new MissingTool(`building the tfjs-node addon needs:\n${missing.map((m) => `  - ${m}`).join('\n')}`);
  return tools as { nodedir: string; nodeGyp: string };
}

function ensureAddon(variant: Variant, pkgDir: string, tfDir: string, force: boolean): string {
  const napi = napiBuildVersion(pkgDir);
  const installed = path.join(pkgDir, 'lib', `napi-v${napi}`, 'tfjs_binding.node');
  // The binding is built with the compiled-step additions (binding-patch.ts); the cache keeps one addon per version of them.
  const cached = path.join(tfDir, 'addon', `${variant.pkg.replace('/', '+')}@${TFJS_NODE_VERSION}+compiled-${PATCH_ID}`, `napi-v${napi}`, 'tfjs_binding.node');
  if (!force && existsSync(cached)) {
    if (!existsSync(installed) || !readFileSync(installed).equals(readFileSync(cached))) {
      mkdirSync(path.dirname(installed), { recursive: true });
      copyFileSync(cached, installed);
      say(`${variant.pkg}: addon restored from the cache (napi-v${napi})`);
    } else say(`${variant.pkg}: addon already built (napi-v${napi})`);
    return installed;
  }
  const tools = checkBuildTools();
  if (patchBindingSource(pkgDir) > 0) say(`${variant.pkg}: binding source patched for the compiled training step (${PATCH_ID})`);
  const started = Date.now();
  say(`${variant.pkg}: building the addon for napi-v${napi} against ${tools.nodedir}/include/node (about 10 s)...`);
  const preGyp = path.join(ROOT, 'node_modules', '@mapbox', 'node-pre-gyp', 'bin', 'node-pre-gyp');
  run(process.execPath, [preGyp, 'install', '--build-from-source', `--nodedir=${tools.nodedir}`], {
    cwd: pkgDir,
    env: { ...process.env, npm_config_nodedir: tools.nodedir, npm_config_node_gyp: tools.nodeGyp },
    what: `node-pre-gyp build of ${variant.pkg}`,
  });
  if (!existsSync(installed)) throw new Error(`node-pre-gyp finished but ${installed} is missing`);
  for (const scratch of readdirSync(pkgDir).filter((f) => f === 'build' || f.startsWith('build-tmp-'))) {
    rmSync(path.join(pkgDir, scratch), { recursive: true, force: true });
  }
  mkdirSync(path.dirname(cached), { recursive: true });
  copyFileSync(installed, `${cached}.partial`);
  renameSync(`${cached}.partial`, cached);
  say(`${variant.pkg}: addon built in ${seconds(started)}`);
  return installed;
}

/** Loads the package in a fresh process, exactly as a training process will. */
function verify(variant: Variant): { tensorflow: string; gpu: boolean } {
  const probe = `const tf = require(${JSON.stringify(variant.pkg)}); const b = tf.backend(); console.log(JSON.stringify({ tensorflow: b.binding.TF_Version, gpu: b.isUsingGpuDevice, functions: typeof b.binding.addFunctionDef === 'function', sum: tf.add(1, 2).dataSync()[0] }));`;
  const result = spawnSync(process.execPath, ['-e', probe], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- spawnSync gives null output when the command cannot start
  const line = result.stdout?.trim().split('\n').pop() ?? '';
  if (result.status !== 0 || !line.startsWith('{')) {
    throw new Error(`${variant.pkg} was built but does not load:\n${`${result.stdout}${result.stderr}`.trimEnd().split('\n').slice(-20).join('\n')}`);
  }
  const info = JSON.parse(line) as { tensorflow: string; gpu: boolean; functions: boolean; sum: number };
  if (info.sum !== 3) throw new Error(`${variant.pkg} loads but computed 1 + 2 = ${info.sum}`);
  if (!info.functions) throw new Error(`${variant.pkg} loads but its addon lacks addFunctionDef (the compiled-step patch): run setup:native with --force`);
  return info;
}

function display(file: string): string {
  const relative = path.relative(ROOT, file);
  return relative.startsWith('..') ? file : relative;
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

async function main(): Promise<number> {
  const started = Date.now();
  const { variants, force } = parseArgs(process.argv.slice(2));
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new MissingTool(`the native backend is provisioned for Linux x86_64 only (this is ${process.platform}-${process.arch}); use the wasm backend here`);
  }
  for (const variant of variants) {
    const pkgDir = packageDir(variant);
    const tfDir = await ensureTensorFlow(variant, force);
    linkDeps(pkgDir, tfDir);
    ensureAddon(variant, pkgDir, tfDir, force);
    const info = verify(variant);
    say(`${variant.pkg} ready: TensorFlow ${info.tensorflow}, ${info.gpu ? 'GPU visible' : 'no GPU visible (runs on CPU)'} (${seconds(started)} so far)`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof MissingTool) {
      say(err.message);
      process.exit(2);
    }
    say(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
