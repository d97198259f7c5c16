/**
 * From peaks and a genome to variant effects, on data no test was tuned to: the path a user takes,
 * through the real CLI (`node bin/sweep.js`), with the seconds of each step:
 *   sweep data synth-genome -> sweep validate -> sweep start (embedded Temporal + PostgreSQL under a
 *   fresh SWEEP_HOME) -> sweep best -> sweep variants -> sweep ism (one planted break site) ->
 *   sweep data windows + sweep motifs -> sweep report --ism
 * and the answers the synthetic genome knows:
 * - variant ROC AUC: site-breaking SNVs (EFFECT=break, TASK=T) against neutral ones (EFFECT=neutral).
 *   A break's score is -(T_diff) of its own task T: the probability its site's task loses. A neutral
 *   SNV has no task, so its score is the largest loss over all tasks, max_T -(T_diff): the hardest
 *   neutral for the model, so the AUC is a lower bound on any per-task pairing. Also printed: the
 *   per-task AUC (breaks of T against every neutral, both scored by -(T_diff)).
 * - ISM: the region around one planted break site (the first in the VCF); the positions with the
 *   largest |T_diff| of the site's task (max over the three alternative bases) should lie inside the
 *   planted motif instance, which starts at its peak's summit and is as long as the JASPAR motif.
 * - variants/s: also on the VCF with every record repeated (--throughput N records, default 10,000),
 *   with the peak RSS of the scoring process when GNU time (/usr/bin/time) is installed.
 *   npm run bench:genome-proof -- [--out DIR] [--backend auto|tfjs-node|...] [--top 5] [--throughput 10000]
 * With --sweep SWEEP_ID and the --out DIR of an earlier run, that run's data and sweep are reused
 * (no synth-genome, validate or training): the scoring steps run again on the same model.
 * SWEEP_TEMPORAL_PORT / SWEEP_UI_PORT / SWEEP_PG_PORT pin the embedded servers' ports.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { table } from '../src/cli/report.js';
import { SYNTH_GENOME_DEFAULTS } from '../src/data/synth-genome.js';
import { jasparMotifs, synthTaskNames } from '../src/data/synth.js';
import { rocAuc } from '../src/metrics/auc.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    top: { type: 'string', default: '5' },
    throughput: { type: 'string', default: '10000' },
    sweep: { type: 'string' },
  },
});
if (values.sweep && !values.out) throw new Error('--sweep reuses an earlier run: give its --out DIR too');
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const root = fileURLToPath(new URL('..', import.meta.url));
const sweepBin = path.join(root, 'bin/sweep.js');
const work = values.out ?? mkdtempSync(path.join(tmpdir(), 'genome-proof-'));
mkdirSync(work, { recursive: true });
const dataDir = path.join(work, 'data');
const env = { ...process.env, SWEEP_HOME: path.join(work, 'home') };
const rows: string[][] = [];

/** Runs one CLI step, records its seconds and the result text; returns stdout. */
async function step(name: string, args: string[], result: (stdout: string, stderr: string) => string, measureRss = false): Promise<string> {
  const started = performance.now();
  let out: { stdout: string; stderr: string };
  const [file, argv] = measureRss && gnuTime ? [gnuTime, ['-f', 'peak RSS %M KB', process.execPath, sweepBin, ...args]] : [process.execPath, [sweepBin, ...args]];
  try {
    out = await promisify(execFile)(file, argv, { env, cwd: work, maxBuffer: 1 << 28 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    rows.push([name, ((performance.now() - started) / 1000).toFixed(1), `FAILED (exit ${e.code}): ${(e.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`]);
    finish();
    process.exit(1);
  }
  const seconds = (performance.now() - started) / 1000;
  rows.push([name, seconds.toFixed(1), result(out.stdout, out.stderr)]);
  process.stderr.write(`${name}: ${seconds.toFixed(1)} s\n`);
  return out.stdout;
}

function finish(): void {
  console.log(`\nwork dir: ${work}${sweepId ? `, sweep ${sweepId}` : ''}\n`);
  console.log(table(['step', 'seconds', 'result'], rows));
}

function tsvRows(text: string): { header: string[]; rows: string[][] } {
  const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  return { header: lines[0]!.split('\t'), rows: lines.slice(1).map((l) => l.split('\t')) };
}

// 1. The data: genome, peaks, blacklist, VCF and spec.
const taskNames = synthTaskNames(SYNTH_GENOME_DEFAULTS.motifs);
const spec = path.join(dataDir, 'spec.json');
const genome = path.join(dataDir, 'genome.fa');
const vcf = path.join(dataDir, 'variants.vcf');
let sweepId = values.sweep;
if (!sweepId) {
  await step('synth-genome', ['data', 'synth-genome', '--out', dataDir, '--json'], (stdout) => {
    const synth = JSON.parse(stdout) as { sites: number; taskNames: string[]; variants: { break: number; neutral: number } };
    return `${synth.sites} sites, tasks ${synth.taskNames.join(', ')}, ${synth.variants.break} break + ${synth.variants.neutral} neutral SNVs`;
  });

  // 2. Validate: windows per split and positives per task.
  await step('validate', ['validate', spec], (stdout) =>
    stdout
      .split('\n')
      .filter((l) => /^(train|valid|test):/.test(l))
      .map((l) => l.replace('positive per task: ', ''))
      .join('; '),
  );

  // 3. The sweep, on the embedded stack.
  const report = JSON.parse(
    await step('start (sweep)', ['start', spec, '--json', '--backend', values.backend], (stdout) => {
      const r = JSON.parse(stdout) as { sweepId: string; trials: { status: string; backend: string | null; epochs: number }[] };
      const completed = r.trials.filter((t) => t.status === 'completed').length;
      return `${r.sweepId}: ${r.trials.length} trials (${completed} completed, ${r.trials.map((t) => t.epochs).join('+')} epochs), backend ${[...new Set(r.trials.map((t) => t.backend))].join(',')}`;
    }),
  ) as { sweepId: string };
  sweepId = report.sweepId;
}
await step('best', ['best', sweepId, '--json'], (stdout) => {
  const best = JSON.parse(stdout) as { valAuc: number; epoch: number; params: Record<string, unknown> };
  return `val ROC AUC ${best.valAuc.toFixed(4)} at epoch ${best.epoch}, ${JSON.stringify(best.params)}`;
});

// 4. Variant effects, and their ROC AUC against the planted truth.
const effectsFile = path.join(work, 'effects.tsv');
const variantsStarted = performance.now();
await step('variants', ['variants', '--model', sweepId, '--vcf', vcf, '--genome', genome, '--out', effectsFile, '--backend', values.backend], (_, stderr) => {
  const lines = tsvRows(readFileSync(effectsFile, 'utf8')).rows.length;
  const perSecond = (lines / ((performance.now() - variantsStarted) / 1000)).toFixed(0);
  return `${lines} variants, ${perSecond} variants/s including start-up; CLI: ${stderr.trim().split('\n').at(-1)}`;
});

// The same records, each repeated in place (the VCF stays sorted) with its id suffixed, for a steady-state rate.
const vcfLines = readFileSync(vcf, 'utf8').split('\n').filter(Boolean);
const body = vcfLines.filter((l) => !l.startsWith('#'));
const repeats = Math.max(1, Math.round(Number(values.throughput) / body.length));
const repeatedVcf = path.join(work, 'variants-repeated.vcf');
const repeatedBody = body.flatMap((l) => Array.from({ length: repeats }, (_, k) => l.replace(/^([^\t]*\t[^\t]*\t[^\t]*)/, `$1_${k + 1}`)));
writeFileSync(repeatedVcf, [...vcfLines.filter((l) => l.startsWith('#')), ...repeatedBody].join('\n') + '\n');
await step(
  'variants (throughput)',
  ['variants', '--model', sweepId, '--vcf', repeatedVcf, '--genome', genome, '--out', path.join(work, 'effects-repeated.tsv'), '--backend', values.backend],
  (_, stderr) => {
    const lines = stderr.trim().split('\n');
    const rss = lines.find((l) => l.startsWith('peak RSS'));
    return `${repeatedBody.length} records; CLI: ${lines.filter((l) => !l.startsWith('peak RSS')).at(-1)}${rss ? `; ${rss}` : ''}`;
  },
  true,
);

const truth = new Map<string, { effect: string; task?: string; chrom: string; pos: number }>();
for (const line of readFileSync(vcf, 'utf8').split('\n')) {
  if (line === '' || line.startsWith('#')) continue;
  const [chrom, pos, id, , , , , info] = line.split('\t');
  const fields = Object.fromEntries(info!.split(';').map((kv) => kv.split('=') as [string, string]));
  truth.set(id!, { effect: fields.EFFECT!, task: fields.TASK, chrom: chrom!, pos: Number(pos) });
}
const effects = tsvRows(readFileSync(effectsFile, 'utf8'));
const column = (name: string) => effects.header.indexOf(name);
const diffOf = (row: string[], task: string) => Number(row[column(`${task}_diff`)]);
const labels: number[] = [];
const scores: number[] = [];
const perTask = new Map(taskNames.map((t) => [t, { labels: [] as number[], scores: [] as number[] }]));
for (const row of effects.rows) {
  const known = truth.get(row[column('id')]!);
  if (!known) throw new Error(`effects.tsv names a variant not in ${vcf}: ${row.slice(0, 5).join(' ')}`);
  const isBreak = known.effect === 'break';
  labels.push(isBreak ? 1 : 0);
  scores.push(isBreak ? -diffOf(row, known.task!) : Math.max(...taskNames.map((t) => -diffOf(row, t))));
  for (const [task, acc] of perTask) {
    if (isBreak && known.task !== task) continue;
    acc.labels.push(isBreak ? 1 : 0);
    acc.scores.push(-diffOf(row, task));
  }
}
const variantAuc = rocAuc(labels, scores);
const perTaskAuc = [...perTask].map(([task, acc]) => `${task} ${rocAuc(acc.labels, acc.scores)?.toFixed(4) ?? '-'}`).join(', ');
rows.push(['variant AUC', '', `break vs neutral ${variantAuc?.toFixed(4) ?? '-'} (neutral: max over tasks of -diff); per task: ${perTaskAuc}`]);

// 5. ISM on the first planted break site: does the site stand out?
const [breakId, site] = [...truth].find(([, t]) => t.effect === 'break')!;
const motifOfTask = new Map(synthTaskNames(SYNTH_GENOME_DEFAULTS.motifs).map((name, i) => [name, jasparMotifs()[SYNTH_GENOME_DEFAULTS.motifs[i]!]!]));
const motifLength = motifOfTask.get(site.task!)!.pfm.length;
// The instance starts at its peak's summit (0-based); the break SNV lies inside it.
const peaks = gunzipSync(readFileSync(path.join(dataDir, `${site.task}.narrowPeak.gz`)))
  .toString('latin1')
  .split('\n')
  .filter(Boolean)
  .map((l) => l.split('\t'));
const peak = peaks.find((p) => p[0] === site.chrom && Number(p[1]) < site.pos && site.pos <= Number(p[2]))!;
const siteStart = Number(peak[1]) + Number(peak[9]) + 1; // 1-based first base of the instance
const siteEnd = siteStart + motifLength - 1;
const regionStart = siteStart - 40;
const regionEnd = siteEnd + 40;
const ismFile = path.join(work, 'ism.tsv');
const top = Number(values.top);
await step('ism', ['ism', '--model', sweepId, '--genome', genome, '--region', `${site.chrom}:${regionStart}-${regionEnd}`, '--out', ismFile, '--backend', values.backend], () => {
  const ism = tsvRows(readFileSync(ismFile, 'utf8'));
  const diff = ism.header.indexOf(`${site.task}_diff`);
  const byPosition = new Map<number, number>();
  for (const r of ism.rows) byPosition.set(Number(r[1]), Math.max(byPosition.get(Number(r[1])) ?? 0, Math.abs(Number(r[diff]))));
  const ranked = [...byPosition].sort((a, b) => b[1] - a[1]).slice(0, top);
  const inside = ranked.filter(([pos]) => pos >= siteStart && pos <= siteEnd).length;
  return (
    `${breakId} (${site.task}) site ${site.chrom}:${siteStart}-${siteEnd} in region ${regionStart}-${regionEnd}: ` +
    `${inside}/${top} top-|effect| positions inside the site (${ranked.map(([p, e]) => `${p}:${e.toFixed(3)}`).join(' ')}) -> ISM ${inside >= Math.ceil(top / 2) ? 'shows' : 'does NOT show'} the site`
  );
});

// 6. Motifs of the first layer, on the validation windows, and the report with the ISM.
const windowsFile = path.join(work, 'valid.fa');
await step('data windows', ['data', 'windows', spec, '--split', 'valid', '--out', windowsFile], (stdout) => stdout.split('\n')[0]!);
await step('motifs', ['motifs', '--model', sweepId, '--data', windowsFile], (stdout) => {
  const lines = stdout.split('\n').filter(Boolean);
  // The summary, the comparison, the table's header and rule, then one row per filter, best match first.
  return `${lines[0]} Best: ${(lines[4] ?? '').replace(/\s+/g, ' ').slice(0, 110)}`;
});
const reportFile = path.join(work, 'report.html');
await step('report --ism', ['report', sweepId, '--ism', ismFile, '--data', windowsFile, '--out', reportFile], () => `${reportFile} (${(readFileSync(reportFile).length / 1024).toFixed(0)} KiB)`);

finish();
