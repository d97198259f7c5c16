/**
 * The DeepSEA bundle as DanQ trained on it: train.mat (MATLAB v7.3 = HDF5) and valid.mat / test.mat
 * (MATLAB v5), each holding `<split>xdata` (one-hot, MATLAB dims N x 4 x L) and `<split>data`
 * (labels, N x tasks). HDF5 shows MATLAB arrays with their dimensions reversed, which is why DanQ's
 * script transposes train.mat differently from valid/test.mat; here every file is read through its
 * MATLAB dimensions, so all three come out the same way. Channels are in DeepSEA's order A, G, C, T
 * (checked on test/fixtures/data/deepsea-example.h5, the DeepSEA example input: CpG depletion and reverse-complement pairs), and N
 * is an all-zero column, kept as such (BASE_NONE) to feed the network exactly what DanQ saw.
 */
import type { Dataset, File as H5File } from 'h5wasm/node';
import { UserError } from '../errors.js';
import { BASE_A, BASE_C, BASE_G, BASE_NONE, BASE_T } from './encoding.js';
import { isMatV5, listMatV5, streamMatV5Values, type MatVariable } from './matv5.js';
import { readHead, type SourceFile } from '../input-file.js';
import type { SplitName } from './store.js';

const CODE_OF_CHANNEL = [BASE_A, BASE_G, BASE_C, BASE_T];
const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface DeepSeaArrays {
  count: number;
  /** Sequence length in the file. */
  length: number;
  /** 0 when the file has no labels variable (e.g. DeepSEA's example.h5 prediction input). */
  numTasks: number;
  /** How many samples one read() should cover to stay within the memory budget. */
  windowFor(budgetBytes: number): number;
  /**
   * Base codes [sample][position] (codes.length >= (n1-n0)*length) and, when the file has them,
   * labels [sample][task] of samples n0..n1-1.
   */
  read(n0: number, n1: number, codes: Uint8Array, labels: Uint8Array | undefined): Promise<void>;
  close(): void;
}

/** Opens a DeepSEA-style .mat/.h5 file for the given split's variable names. */
export async function openDeepSea(file: SourceFile, split: SplitName, options: { requireLabels: boolean }): Promise<DeepSeaArrays> {
  const head = readHead(file, 1024);
  if (isMatV5(head)) return openMatV5(file, split, options.requireLabels);
  if (head.length >= 8 && (head.subarray(0, 8).equals(HDF5_SIGNATURE) || head.subarray(512, 520).equals(HDF5_SIGNATURE))) {
    return openHdf5(file, split, options.requireLabels);
  }
  throw new UserError(`${file.display}: neither a MATLAB MAT-file nor an HDF5 file. DeepSEA data comes as train.mat (MATLAB v7.3) and valid.mat / test.mat (MATLAB v5).`);
}

/** Names of the sequences and labels variables: `<split>xdata` / `<split>data`, or the only *xdata / *data pair. */
function pickVariables(file: SourceFile, names: string[], split: SplitName, requireLabels: boolean): { x: string; y: string | undefined } {
  const only = (candidates: string[]) => (candidates.length === 1 ? candidates[0] : undefined);
  const x = names.includes(`${split}xdata`) ? `${split}xdata` : only(names.filter((n) => n.endsWith('xdata')));
  const y = names.includes(`${split}data`) ? `${split}data` : only(names.filter((n) => n.endsWith('data') && !n.endsWith('xdata')));
  const holds = names.length ? `The file holds: ${names.join(', ')}.` : 'The file holds no variables.';
  const expected = `A DeepSEA ${split}.mat has '${split}xdata' (one-hot sequences, N x 4 x length) and '${split}data' (labels, N x tasks).`;
  if (x === undefined) throw new UserError(`${file.display}: no variable '${split}xdata' with the one-hot sequences. ${holds} ${expected}`);
  if (y === undefined && requireLabels) throw new UserError(`${file.display}: no variable '${split}data' with the labels. ${holds} ${expected}`);
  return { x, y };
}

function checkDims(file: SourceFile, x: { name: string; dims: number[] }, y: { name: string; dims: number[] } | undefined) {
  if (x.dims.length !== 3 || x.dims[1] !== 4) {
    throw new UserError(`${file.display}: '${x.name}' is ${x.dims.join(' x ')} (MATLAB dimensions); expected N x 4 x length, one-hot over A, G, C, T.`);
  }
  const [count, , length] = x.dims as [number, number, number];
  if (y && (y.dims.length !== 2 || y.dims[0] !== count)) {
    throw new UserError(`${file.display}: '${y.name}' is ${y.dims.join(' x ')} (MATLAB dimensions); expected ${count} x tasks, one row per sequence of '${x.name}'.`);
  }
  if (count === 0) throw new UserError(`${file.display}: '${x.name}' holds no sequences.`);
  return { count, length, numTasks: y ? y.dims[1]! : 0 };
}

/**
 * Turns a window of one-hot values into base codes. Value (sample j, channel c, position l) sits
 * at values[j*sN + c*sC + l*sL]; first is the window's first sample (for messages).
 */
function decodeOneHotWindow(file: SourceFile, name: string, values: ArrayLike<number>, w: number, length: number, [sN, sC, sL]: [number, number, number], codes: Uint8Array, first: number): void {
  for (let j = 0; j < w; j++) {
    for (let l = 0; l < length; l++) {
      let code = BASE_NONE;
      for (let c = 0; c < 4; c++) {
        const v = values[j * sN + c * sC + l * sL]!;
        if (v === 0) continue;
        if (v !== 1) throw oneHotError(file, name, first + j, l, `value ${v} in channel ${c + 1}; expected 0 or 1`);
        if (code !== BASE_NONE) throw oneHotError(file, name, first + j, l, 'more than one channel is 1');
        code = CODE_OF_CHANNEL[c]!;
      }
      codes[j * length + l] = code;
    }
  }
}

function decodeLabelWindow(file: SourceFile, name: string, values: ArrayLike<number>, w: number, numTasks: number, [sN, sT]: [number, number], labels: Uint8Array, first: number): void {
  for (let j = 0; j < w; j++) {
    for (let t = 0; t < numTasks; t++) {
      const v = values[j * sN + t * sT]!;
      if (v !== 0 && v !== 1) throw labelError(file, name, first + j, t, v);
      labels[j * numTasks + t] = v;
    }
  }
}

function labelError(file: SourceFile, name: string, sample: number, task: number, value: number): UserError {
  return new UserError(`${file.display}: '${name}' sequence ${sample + 1}, task ${task + 1}: ${value} is not 0 or 1; labels must be 0 or 1.`);
}

function oneHotError(file: SourceFile, name: string, sample: number, position: number, what: string): UserError {
  return new UserError(`${file.display}: '${name}' sequence ${sample + 1}, position ${position + 1}: ${what}. Expected a one-hot column (or all zero for N).`);
}

async function openHdf5(file: SourceFile, split: SplitName, requireLabels: boolean): Promise<DeepSeaArrays> {
  // Loaded on first use: under tsx, importing h5wasm's 4 MB emscripten glue costs ~600 MB RSS.
  const h5wasm = (await import('h5wasm/node')).default;
  await h5wasm.ready;
  let h5: H5File;
  try {
    h5 = new h5wasm.File(file.abs, 'r');
  } catch (err) {
    throw hdf5Error(file, err);
  }
  try {
    const names = h5.keys();
    const vars = pickVariables(file, names, split, requireLabels);
    const dataset = (name: string): Dataset => {
      const entity = h5.get(name);
      if (!(entity instanceof h5wasm.Dataset) || !entity.shape) throw new UserError(`${file.display}: '${name}' is not a numeric array.`);
      return entity;
    };
    const xd = dataset(vars.x);
    const yd = vars.y === undefined ? undefined : dataset(vars.y);
    // MATLAB writes column-major arrays, so HDF5 lists a v7.3 file's dimensions in reverse.
    const matlab = readHead(file, 20).toString('latin1').startsWith('MATLAB 7.3') || 'MATLAB_class' in xd.attrs;
    const matlabDims = (d: Dataset) => (matlab ? [...d.shape!].reverse() : [...d.shape!]);
    const { count, length, numTasks } = checkDims(file, { name: vars.x, dims: matlabDims(xd) }, yd && { name: vars.y!, dims: matlabDims(yd) });
    const bytesPerValue = xd.metadata.size;
    return {
      count,
      length,
      numTasks,
      windowFor: (budget) => clampWindow(budget / (4 * length * bytesPerValue + length + 2 * numTasks * 8), count),
      async read(n0, n1, codes, labels) {
        const w = n1 - n0;
        const x = numbers(
          readSlice(
            file,
            xd,
            matlab
              ? [
                  [0, length],
                  [0, 4],
                  [n0, n1],
                ]
              : [
                  [n0, n1],
                  [0, 4],
                  [0, length],
                ],
          ),
        );
        decodeOneHotWindow(file, vars.x, x, w, length, matlab ? [1, w, 4 * w] : [4 * length, length, 1], codes, n0);
        if (labels && yd) {
          const y = numbers(
            readSlice(
              file,
              yd,
              matlab
                ? [
                    [0, numTasks],
                    [n0, n1],
                  ]
                : [
                    [n0, n1],
                    [0, numTasks],
                  ],
            ),
          );
          decodeLabelWindow(file, vars.y!, y, w, numTasks, matlab ? [1, w] : [numTasks, 1], labels, n0);
        }
      },
      close: () => h5.close(),
    };
  } catch (err) {
    h5.close();
    throw hdf5Error(file, err);
  }
}

function readSlice(file: SourceFile, dataset: Dataset, ranges: [number, number][]): unknown {
  try {
    return dataset.slice(ranges);
  } catch (err) {
    throw hdf5Error(file, err);
  }
}

/** h5wasm reports damage as plain Errors with HDF5's terse messages. */
function hdf5Error(file: SourceFile, err: unknown): Error {
  if (err instanceof UserError) return err;
  return new UserError(`${file.display}: cannot read the HDF5 file (${(err as Error).message}); it may be truncated or damaged. Download it again.`);
}

function numbers(data: unknown): ArrayLike<number> {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float64Array.from(data, Number);
  if (ArrayBuffer.isView(data)) return data as unknown as ArrayLike<number>;
  throw new Error(`expected a numeric array from HDF5, got ${typeof data}`);
}

function clampWindow(w: number, count: number): number {
  return Math.max(1, Math.min(count, Math.floor(w)));
}

async function openMatV5(file: SourceFile, split: SplitName, requireLabels: boolean): Promise<DeepSeaArrays> {
  const all = await listMatV5(file);
  const vars = pickVariables(
    file,
    all.map((v) => v.name),
    split,
    requireLabels,
  );
  const byName = (name: string): MatVariable => {
    const v = all.find((candidate) => candidate.name === name)!;
    if (!v.numeric || v.complex) throw new UserError(`${file.display}: '${name}' is a ${v.complex ? 'complex' : v.className} array; expected a real numeric array.`);
    return v;
  };
  const xv = byName(vars.x);
  const yv = vars.y === undefined ? undefined : byName(vars.y);
  const { count, length, numTasks } = checkDims(file, xv, yv);
  return {
    count,
    length,
    numTasks,
    windowFor: (budget) => clampWindow(budget / (5 * length + 2 * numTasks), count),
    async read(n0, n1, codes, labels) {
      // The file streams in MATLAB order (sample fastest); each read pass keeps only this window.
      const w = n1 - n0;
      const raw = new Uint8Array(w * 4 * length);
      await streamWindow(file, xv, count, n0, n1, raw, (n, col, v) => oneHotError(file, vars.x, n, Math.floor(col / 4), `value ${v} in channel ${(col % 4) + 1}; expected 0 or 1`));
      decodeOneHotWindow(file, vars.x, raw, w, length, [1, w, 4 * w], codes, n0);
      if (labels && yv) {
        const rawLabels = new Uint8Array(w * numTasks);
        await streamWindow(file, yv, count, n0, n1, rawLabels, (n, col, v) => labelError(file, vars.y!, n, col, v));
        decodeLabelWindow(file, vars.y!, rawLabels, w, numTasks, [1, w], labels, n0);
      }
    },
    close: () => {},
  };
}

/**
 * Streams a column-major array whose first dimension is the sample, keeping samples n0..n1-1:
 * into[col * w + (n - n0)] = value, where col enumerates the remaining dimensions.
 */
async function streamWindow(
  file: SourceFile,
  variable: MatVariable,
  count: number,
  n0: number,
  n1: number,
  into: Uint8Array,
  badValue: (n: number, col: number, v: number) => UserError,
): Promise<void> {
  const w = n1 - n0;
  await streamMatV5Values(file, variable, (values, first) => {
    let n = first % count;
    let col = Math.floor(first / count);
    for (let i = 0; i < values.length;) {
      if (n < n0) {
        const skip = Math.min(n0 - n, values.length - i);
        i += skip;
        n += skip;
      } else if (n >= n1) {
        const skip = Math.min(count - n, values.length - i);
        i += skip;
        n += skip;
      } else {
        const run = Math.min(n1 - n, values.length - i);
        const base = col * w - n0;
        for (let r = 0; r < run; r++, n++) {
          const v = values[i + r]!;
          if (v !== 0 && v !== 1) throw badValue(n, col, v);
          into[base + n] = v;
        }
        i += run;
      }
      if (n === count) {
        n = 0;
        col++;
      }
    }
  });
}
