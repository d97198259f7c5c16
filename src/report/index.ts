/** `sweep report`: the sweep's rows from the database, the best model's motifs, one HTML file. */
import path from 'node:path';
import type { Config } from '../config/index.js';
import { openSplit } from '../data/split.js';
import { manifestFromMeta, readMeta } from '../data/store.js';
import type { ReadSource } from '../db/read-model.js';
import { isUserError } from '../errors.js';
import { analyseFilters, fileSource, splitSource, type MotifAnalysis } from '../motifs/index.js';
import { loadWeights, readModelInfo } from '../predict/model.js';
import type { SequenceInput } from '../predict/sequences.js';
import { selectBackend } from '../train/backend.js';
import type { BackendName } from '../train/types.js';
import type { SourceFile } from '../data/source.js';
import { ismReportHtml, reportHtml } from './html.js';
import { ismSection, readIsm } from './ism.js';
import { loadReportData, type ReportData } from './queries.js';

export interface ReportOptions {
  /** Sequences for the motifs; default: the sweep's encoded validation split in this machine's cache. */
  data?: SequenceInput;
  /** Learning curves of this many top trials (default 5). */
  curves?: number;
  /** Motifs shown (default 6). */
  motifs?: number;
  backend?: BackendName | 'auto';
  /** A `sweep ism` table to draw. */
  ism?: SourceFile;
}

/** Heat maps of the first sequences of an ISM table. */
const ISM_SEQUENCES = 6;

export async function buildReport(withReadSource: <T>(fn: (src: ReadSource) => Promise<T>) => Promise<T>, config: Config, sweepId: string, options: ReportOptions = {}): Promise<string> {
  const data = await withReadSource((src) => loadReportData(src, sweepId, options.curves ?? 5));
  const motifs = await motifsOf(data, config, options);
  return reportHtml(data, { ...motifs, top: options.motifs ?? 6 }, new Date(), options.ism && (await ismHtml(options.ism)));
}

/** A report of a `sweep ism` table alone. */
export async function buildIsmReport(ism: SourceFile): Promise<string> {
  return ismReportHtml(ism.display, await ismHtml(ism), new Date());
}

async function ismHtml(file: SourceFile): Promise<string> {
  const { maps, sequences } = await readIsm(file, ISM_SEQUENCES);
  const shown = Math.min(sequences, ISM_SEQUENCES);
  return ismSection(maps, `${file.display}: ${sequences} sequence${sequences === 1 ? '' : 's'}${shown < sequences ? `, the first ${shown} shown` : ''}.`);
}

async function motifsOf(data: ReportData, config: Config, options: ReportOptions): Promise<{ analysis: MotifAnalysis | null; note: string }> {
  if (!data.bestModelDir) return { analysis: null, note: 'No exported best model yet, so no motifs.' };
  let model;
  try {
    model = readModelInfo(data.bestModelDir);
  } catch (err) {
    if (isUserError(err)) return { analysis: null, note: `The best model is not readable here: ${err.message}` };
    throw err;
  }
  let source;
  let note;
  if (options.data) {
    source = fileSource(options.data, model.variant.seqLen, model.lengthPolicy);
    note = `First-layer filters of the best model read on ${options.data.file.display}`;
  } else {
    const dir = path.join(config.cacheDir, data.sweep.datasetFingerprint);
    const meta = readMeta(dir);
    if (!meta || meta.seqLen !== model.variant.seqLen) {
      return { analysis: null, note: `The sweep's encoded data is not in this machine's cache (${dir}); run sweep report with --data FILE to read the motifs on a sequence file.` };
    }
    const split = openSplit(manifestFromMeta(dir, meta, false).splits.valid, manifestFromMeta(dir, meta, false));
    source = splitSource(split);
    note = `First-layer filters of the best model read on the sweep's validation split (${split.count} sequences), threshold 0.5 x each filter's maximum activation`;
  }
  await selectBackend(options.backend ?? 'auto');
  const weights = await loadWeights(model);
  return { analysis: await analyseFilters(model.variant, weights, source, { threshold: 0.5, top: 1 }), note };
}
