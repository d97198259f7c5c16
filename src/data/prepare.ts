/**
 * prepareDataset: one streaming pass over the dataset's files that validates every record, hashes
 * the bytes (the fingerprint) and writes the encoded splits into `<cacheDir>/<fingerprint>/`.
 * When a previous run left a cache for the same files and options, only the hash is recomputed.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { Rng } from '../rng.js';
import { openReferenceGenome } from '../genome/reference.js';
import { openDeepSea } from './deepsea.js';
import { LabelTable, encodeFastaFile } from './fasta.js';
import { fitLength } from './sequence.js';
import { fileSize, hashFile, sourceFile, type FileDigest, type SourceFile } from './source.js';
import { datasetSpecSchema, inferFormat, type DatasetSpec, type LengthPolicy } from './dataset-spec.js';
import { encodeGenomeDataset, openGenomeSources, resolveGenomeInputs, type GenomeInputs, type GenomeWindowOptions } from './genome-dataset.js';
import { CACHE_VERSION, META_FILE, cacheDirOf, SplitWriter, manifestFromMeta, partitionRecords, readMeta, splitFileName, type CacheMeta, type SplitName } from './store.js';
import { checkSynthOptions, resolveSynthOptions, synthTaskNames, writeSyntheticTsv } from './synth.js';
import { encodeTableFile, type EncodeOptions } from './tsv.js';
import type { DatasetManifest } from './types.js';

export interface PrepareOptions {
  /** The model's input length; every sequence is checked (or fitted, per lengthPolicy) against it. */
  seqLen: number;
  /** Relative dataset paths resolve against this folder (the spec file's). */
  baseDir: string;
  /** Encoded datasets live in `<cacheDir>/<fingerprint>/`. */
  cacheDir: string;
  /** Progress of the pass: bytes of the input files read so far, of `total`. */
  onProgress?: (done: number, total: number) => void;
  /** Memory budget for reading DeepSEA arrays (default 256 MB). */
  windowBytes?: number;
}

/** A split or 'labels'; for genome-backed data 'genome', 'peaks:<task>' and 'blacklist'. */
type FileRole = string;
type InputFormat = 'tsv' | 'csv' | 'fasta' | 'deepsea' | 'genome';

interface ResolvedInputs {
  format: InputFormat;
  /** Every input file whose hash enters the fingerprint, in fingerprint order. */
  files: Record<FileRole, SourceFile>;
  /** Everything besides the file bytes that changes the encoded data. */
  options: {
    version: number;
    format: InputFormat;
    seqLen: number;
    lengthPolicy: LengthPolicy;
    validFraction: number | null;
    splitSeed: number;
    genome?: GenomeWindowOptions & { generator: number };
  };
  genome?: GenomeInputs;
}

interface Encoded {
  taskNames: string[];
  counts: Partial<Record<SplitName, number>>;
  digests: Partial<Record<FileRole, FileDigest>>;
  genome?: CacheMeta['genome'];
}

const SPLITS: SplitName[] = ['train', 'valid', 'test'];
/** Every input file's role, in the order the fingerprint lists them. */
const ROLES = [...SPLITS, 'labels'] as const;
/** Bump when the genome windows or their labels change for the same inputs and options. */
const GENOME_WINDOWS_VERSION = 1;
const DEFAULT_SYNTHETIC_VALID_FRACTION = 0.2;

export async function prepareDataset(spec: DatasetSpec, opts: PrepareOptions): Promise<DatasetManifest> {
  return (await prepare(spec, opts)).manifest;
}

const preparedInThisProcess = new Map<string, { manifest: DatasetManifest; files: string[]; stamp: string }>();

/**
 * prepareDataset for callers that ask again and again (a worker, once per trial): within one
 * process, while the input files keep their size, mtime and inode and the cache folder is intact,
 * the earlier manifest is returned without re-reading the data. Anything else runs the full
 * prepareDataset, whose fingerprint then tells whether the data changed.
 */
export async function prepareDatasetCached(spec: DatasetSpec, opts: PrepareOptions): Promise<DatasetManifest> {
  const key = JSON.stringify([spec, opts.seqLen, path.resolve(opts.baseDir), path.resolve(opts.cacheDir)]);
  const known = preparedInThisProcess.get(key);
  if (known && statStamp(known.files) === known.stamp && readMeta(cacheDirOf(known.manifest))?.fingerprint === known.manifest.fingerprint) {
    return known.manifest;
  }
  const result = await prepare(spec, opts);
  preparedInThisProcess.set(key, result);
  return result.manifest;
}

/** Size, mtime and inode of each file; '' when one cannot be read. */
function statStamp(files: string[]): string {
  try {
    return files
      .map((f) => {
        const st = statSync(f, { bigint: true });
        return `${st.size}:${st.mtimeNs}:${st.ino}`;
      })
      .join('|');
  } catch {
    return '';
  }
}

async function prepare(spec: DatasetSpec, opts: PrepareOptions): Promise<{ manifest: DatasetManifest; files: string[]; stamp: string }> {
  const parsed = datasetSpecSchema.safeParse(spec);
  if (!parsed.success) {
    throw UserError.of(
      'The dataset description is invalid:',
      parsed.error.issues.map((i) => `dataset.${i.path.join('.')}: ${i.message}`),
    );
  }
  mkdirSync(opts.cacheDir, { recursive: true });
  const inputs = await resolveInputs(parsed.data, opts);
  const reverseComplement = parsed.data.reverseComplement ?? false;
  const files = Object.values(inputs.files).map((f) => f.abs);
  // Taken before the pass, so a file changed during it is read again next time.
  const stamp = statStamp(files);
  const done = (manifest: DatasetManifest) => ({ manifest, files, stamp });

  const hintFile = path.join(opts.cacheDir, 'sources', `${sha256(JSON.stringify({ options: inputs.options, files: mapFiles(inputs, (f) => f.abs) }))}.json`);
  const hinted = readHint(hintFile);
  if (hinted) {
    const meta = readMeta(path.join(opts.cacheDir, hinted));
    if (meta && fingerprintOf(inputs, await hashAll(inputs, opts)) === hinted) return done(manifestFromMeta(path.join(opts.cacheDir, hinted), meta, reverseComplement));
  }

  const tmp = mkdtempSync(path.join(opts.cacheDir, '.tmp-'));
  chmodSync(tmp, 0o755);
  try {
    const encoded = await encodeInputs(inputs, tmp, opts);
    if (inputs.options.validFraction !== null) splitOffValidation(tmp, inputs, encoded);
    const fingerprint = fingerprintOf(inputs, encoded.digests);
    const meta: CacheMeta = {
      version: CACHE_VERSION,
      fingerprint,
      seqLen: opts.seqLen,
      taskNames: encoded.taskNames,
      counts: encoded.counts,
      sources: mapFiles(inputs, (f) => f.display),
      ...(encoded.genome ? { genome: encoded.genome } : {}),
    };
    writeFileSync(path.join(tmp, META_FILE), JSON.stringify(meta, null, 1));
    const final = path.join(opts.cacheDir, fingerprint);
    try {
      renameSync(tmp, final);
    } catch {
      // The folder exists: complete (another run finished the same data first; identical), or a
      // leftover of an older cache version, which is replaced.
      if (!readMeta(final)) {
        rmSync(final, { recursive: true, force: true });
        renameSync(tmp, final);
      }
    }
    writeHint(hintFile, fingerprint);
    return done(manifestFromMeta(final, readMeta(final)!, reverseComplement));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function resolveInputs(spec: DatasetSpec, opts: PrepareOptions): Promise<ResolvedInputs> {
  const common = { version: CACHE_VERSION, seqLen: opts.seqLen, lengthPolicy: spec.lengthPolicy ?? 'error', splitSeed: spec.splitSeed ?? 0 };
  const format = spec.format ?? inferFormat(spec.train!)!;
  if (format === 'genome') {
    const genome = resolveGenomeInputs(spec, opts.baseDir);
    if (genome.options.window !== opts.seqLen) {
      throw new UserError(`dataset.window is ${genome.options.window} but model.seqLen is ${opts.seqLen}: the model reads whole windows, so set them equal.`);
    }
    // Opening builds a missing .fai, whose hash then stands for the genome.
    await (await openReferenceGenome(genome.genome.display)).close();
    const files: ResolvedInputs['files'] = { genome: genome.genomeIdentity };
    genome.options.taskNames.forEach((name, t) => (files[`peaks:${name}`] = genome.peaks[t]!));
    if (genome.blacklist) files.blacklist = genome.blacklist;
    return { format, files, genome, options: { ...common, format, validFraction: null, genome: { ...genome.options, generator: GENOME_WINDOWS_VERSION } } };
  }
  if (format === 'synthetic') {
    const train = syntheticFile(spec, opts);
    return { format: 'tsv', files: { train }, options: { ...common, format: 'tsv', validFraction: spec.validFraction ?? DEFAULT_SYNTHETIC_VALID_FRACTION } };
  }
  const files: ResolvedInputs['files'] = {};
  for (const role of ROLES) {
    const file = spec[role];
    if (file !== undefined) files[role] = sourceFile(file, opts.baseDir);
  }
  return { format, files, options: { ...common, format, validFraction: spec.validFraction ?? null } };
}

/** Generates a synthetic dataset's TSV into the cache once; its name is a hash of the generator options. */
function syntheticFile(spec: DatasetSpec, opts: PrepareOptions): SourceFile {
  const synth = resolveSynthOptions({ ...spec, negatives: typeof spec.negatives === 'string' ? spec.negatives : undefined, seqLen: opts.seqLen });
  checkSynthOptions(synth);
  const dir = path.join(opts.cacheDir, 'synthetic');
  const file = path.join(dir, `${sha256(JSON.stringify({ generator: 1, ...synth })).slice(0, 16)}-${synthTaskNames(synth.motifs).join('-')}.tsv`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const partial = `${file}.${process.pid}.partial`;
    writeSyntheticTsv(partial, synth);
    renameSync(partial, file);
  }
  return sourceFile(file, opts.baseDir);
}

function mapFiles<T>(inputs: ResolvedInputs, f: (file: SourceFile) => T): Record<FileRole, T> {
  return Object.fromEntries(Object.entries(inputs.files).map(([role, file]) => [role, f(file)]));
}

/** sha256 over the encoding options and each input file's hash, in a fixed order. */
function fingerprintOf(inputs: ResolvedInputs, digests: Partial<Record<FileRole, FileDigest>>): string {
  const files = Object.keys(inputs.files).flatMap((role) => {
    const d = digests[role];
    return d ? [{ role, sha256: d.sha256, bytes: d.bytes }] : [];
  });
  return sha256(JSON.stringify({ options: inputs.options, files }));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function readHint(file: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { fingerprint?: string }).fingerprint;
  } catch {
    return undefined;
  }
}

function writeHint(file: string, fingerprint: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, JSON.stringify({ fingerprint }));
  renameSync(partial, file);
}

/** Reports progress over all input files together. */
function progress(inputs: ResolvedInputs, opts: PrepareOptions): (file: SourceFile) => (bytes: number) => void {
  const files = Object.values(inputs.files);
  const total = files.reduce((n, f) => n + fileSize(f), 0);
  const done = new Map<SourceFile, number>();
  return (file) => (bytes) => {
    done.set(file, bytes);
    let sum = 0;
    for (const n of done.values()) sum += n;
    opts.onProgress?.(sum, total);
  };
}

async function hashAll(inputs: ResolvedInputs, opts: PrepareOptions): Promise<Partial<Record<FileRole, FileDigest>>> {
  const report = progress(inputs, opts);
  const digests: Partial<Record<FileRole, FileDigest>> = {};
  for (const [role, file] of Object.entries(inputs.files)) digests[role] = await hashFile(file, report(file));
  return digests;
}

async function encodeInputs(inputs: ResolvedInputs, dir: string, opts: PrepareOptions): Promise<Encoded> {
  const report = progress(inputs, opts);
  const encodeOpts = (file: SourceFile): EncodeOptions => ({ seqLen: opts.seqLen, lengthPolicy: inputs.options.lengthPolicy, onBytes: report(file) });
  const splits = SPLITS.flatMap((split) => (inputs.files[split] ? [[split, inputs.files[split]] as const] : []));
  const out = (split: SplitName) => path.join(dir, splitFileName(split));
  const encoded: Encoded = { taskNames: [], counts: {}, digests: {} };

  if (inputs.format === 'genome') {
    const genome = inputs.genome!;
    const sources = await openGenomeSources(genome);
    try {
      const stats = await encodeGenomeDataset(sources, genome.options, out, opts.onProgress);
      encoded.taskNames = genome.options.taskNames;
      encoded.counts = stats.counts;
      encoded.genome = { positives: stats.positives, dropped: stats.dropped };
      encoded.digests.genome = await hashFile(genome.genomeIdentity);
      genome.options.taskNames.forEach((name, t) => (encoded.digests[`peaks:${name}`] = sources.targets[t]!.digest));
      if (sources.blacklist) encoded.digests.blacklist = sources.blacklist.digest;
    } finally {
      await sources.reference.close();
    }
  } else if (inputs.format === 'tsv' || inputs.format === 'csv') {
    let first: { file: SourceFile; taskNames: string[] } | undefined;
    for (const [split, file] of splits) {
      const r = await encodeTableFile(file, out(split), encodeOpts(file), first);
      first ??= { file, taskNames: r.taskNames };
      encoded.taskNames = r.taskNames;
      encoded.counts[split] = r.count;
      encoded.digests[split] = r.digest;
    }
  } else if (inputs.format === 'fasta') {
    const labelsFile = inputs.files.labels!;
    const { table, digest } = await LabelTable.load(labelsFile);
    report(labelsFile)(digest.bytes);
    encoded.digests.labels = digest;
    encoded.taskNames = table.taskNames;
    const fastaFiles = splits.map(([, file]) => file);
    for (const [split, file] of splits) {
      const r = await encodeFastaFile(file, table, fastaFiles, out(split), encodeOpts(file));
      if (r.count === 0) throw new UserError(`${file.display}: no FASTA records (lines starting with '>').`);
      encoded.counts[split] = r.count;
      encoded.digests[split] = r.digest;
    }
    table.checkAllClaimed(fastaFiles);
  } else {
    for (const [split, file] of splits) {
      const r = await encodeDeepSeaFile(file, split, out(split), inputs.options.lengthPolicy, opts, encoded.taskNames.length ? encoded.taskNames : undefined);
      encoded.taskNames = r.taskNames;
      encoded.counts[split] = r.count;
      encoded.digests[split] = await hashFile(file, report(file));
    }
  }
  return encoded;
}

async function encodeDeepSeaFile(
  file: SourceFile,
  split: SplitName,
  out: string,
  lengthPolicy: LengthPolicy,
  opts: PrepareOptions,
  expectedTasks: string[] | undefined,
): Promise<{ taskNames: string[]; count: number }> {
  const arrays = await openDeepSea(file, split, { requireLabels: true });
  try {
    const { count, length, numTasks } = arrays;
    if (expectedTasks && expectedTasks.length !== numTasks) {
      throw new UserError(`${file.display}: ${numTasks} label columns, but the train file has ${expectedTasks.length}. Every split needs the same tasks.`);
    }
    const writer = new SplitWriter(out, opts.seqLen, numTasks);
    try {
      const window = arrays.windowFor(opts.windowBytes ?? 256 << 20);
      const codes = new Uint8Array(window * length);
      const labels = new Uint8Array(window * numTasks);
      for (let n0 = 0; n0 < count; n0 += window) {
        const n1 = Math.min(count, n0 + window);
        await arrays.read(n0, n1, codes, labels);
        for (let j = 0; j < n1 - n0; j++) {
          const off = writer.begin();
          fitLength(codes.subarray(j * length, (j + 1) * length), length, opts.seqLen, lengthPolicy, writer.buf, off, () => `${file.display}: sequence ${n0 + j + 1}`);
          writer.buf.set(labels.subarray(j * numTasks, (j + 1) * numTasks), off + opts.seqLen);
          writer.commit();
        }
      }
    } finally {
      writer.close();
    }
    return { taskNames: Array.from({ length: numTasks }, (_, t) => `task${t + 1}`), count };
  } finally {
    arrays.close();
  }
}

/** The deterministic validFraction split: a seeded permutation picks exactly round(n * fraction) records. */
function splitOffValidation(dir: string, inputs: ResolvedInputs, encoded: Encoded): void {
  const fraction = inputs.options.validFraction!;
  const n = encoded.counts.train!;
  const nValid = Math.round(n * fraction);
  if (nValid < 1 || nValid >= n) {
    throw new UserError(`validFraction ${fraction} of ${n} sequences leaves ${nValid} for validation and ${n - nValid} for training; both need at least one. Use more data or another validFraction.`);
  }
  const mask = new Uint8Array(n);
  const order = new Rng(inputs.options.splitSeed).permutation(n);
  for (let i = 0; i < nValid; i++) mask[order[i]!] = 1;
  const all = path.join(dir, 'all.bin');
  renameSync(path.join(dir, splitFileName('train')), all);
  const seqLen = inputs.options.seqLen;
  const numTasks = encoded.taskNames.length;
  const valid = new SplitWriter(path.join(dir, splitFileName('valid')), seqLen, numTasks);
  const train = new SplitWriter(path.join(dir, splitFileName('train')), seqLen, numTasks);
  try {
    partitionRecords(all, n, valid.recordSize, mask, valid, train);
  } finally {
    valid.close();
    train.close();
  }
  rmSync(all);
  encoded.counts.train = n - nValid;
  encoded.counts.valid = nValid;
}
