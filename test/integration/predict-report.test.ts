// On the real Temporal server and PostgreSQL, through the real CLI: a sweep
// trains on TSV files; `sweep predict` on its validation file, scored by `sweep evaluate`,
// reproduces the val AUC the sweep recorded for its best model (same backend); `sweep report`
// renders in headless Chromium with every chart drawn. Bad sweep ids exit 2 and write nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { resolveSynthOptions, writeSyntheticTsv } from '../../src/data/index.js';
import type { SweepReport } from '../../src/cli/report.js';
import { openSweepHarness, type SweepHarness } from './support/sweep-harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const seqLen = 60;
let h: SweepHarness;
let sweep: SweepReport;
/** `sweep start --timings`' tables (on stderr with --json). */
let timingsTables: string;

before(async () => {
  h = await openSweepHarness({ concurrency: 2 });
  for (const [split, samples, seed] of [
    ['train', 600, 1],
    ['valid', 300, 2],
  ] as const) {
    writeSyntheticTsv(path.join(h.dir, `${split}.tsv`), resolveSynthOptions({ motifs: [250, 24], samples, seqLen, seed }));
  }
  const spec = h.spec('predict', {
    name: 'predict',
    dataset: { train: 'train.tsv', valid: 'valid.tsv' },
    model: { preset: 'danq-lite', seqLen, tasks: 2, convKernel: 9, poolSize: 4, rnnUnits: 8, denseUnits: 8 },
    training: { epochs: 2, batchSize: 32, seed: 7 },
    space: { convFilters: [8, 16], learningRate: [0.003, 0.01] },
    strategy: { type: 'grid' },
    maxConcurrentTrials: 2,
  });
  const started = await h.sweep('start', spec, '--json', '--timings');
  assert.equal(started.code, 0, `sweep start failed: ${started.stderr}`);
  sweep = JSON.parse(started.stdout) as SweepReport;
  timingsTables = started.stderr;
  assert.equal(sweep.status, 'completed');
});
after(async () => h?.close());

test("--timings: the trials' phases, measured by each training activity and process, come back through the sweep's history", () => {
  const cells = (row: string) =>
    timingsTables
      .split('\n')
      .find((l) => l.startsWith(row))
      ?.split(/\s{2,}/);
  assert.match(timingsTables, /^trial phases \(4 training run\(s\) on 2 slot\(s\)\)/m, timingsTables);
  for (const row of ['training batches', 'validation (each epoch)', 'checkpoint writes (each epoch)', 'first step (traces the compiled function)']) {
    assert.ok(Number(cells(row)?.[1]) > 0, `${row}: ${timingsTables}`);
  }
  assert.ok(cells('sweep run (the trials: see below)'), timingsTables);
});

/** valid.tsv without its sequence column: the labels file `sweep evaluate` reads. */
function labelsFile(): string {
  const lines = readFileSync(path.join(h.dir, 'valid.tsv'), 'utf8').trimEnd().split('\n');
  const file = path.join(h.dir, 'labels.tsv');
  writeFileSync(
    file,
    lines
      .map((l) =>
        l
          .split('\t')
          .filter((_, i) => i !== 1)
          .join('\t'),
      )
      .join('\n') + '\n',
  );
  return file;
}

test('predict on the validation file, scored by sweep evaluate, reproduces the recorded val AUC of the best model to 1e-6', async () => {
  const best = sweep.best!;
  const pred = path.join(h.dir, 'pred.tsv');
  const predicted = await h.sweep('predict', '--model', sweep.sweepId, 'valid.tsv', '--out', pred);
  assert.equal(predicted.code, 0, predicted.stderr);
  const header = readFileSync(pred, 'utf8').split('\n', 1)[0];
  assert.equal(header, 'id\tmotif250\tmotif24', 'task names from training');
  const evaluated = await h.sweep('evaluate', pred, labelsFile(), '--json');
  assert.equal(evaluated.code, 0, evaluated.stderr);
  const auc = (JSON.parse(evaluated.stdout) as { meanRocAuc: number }).meanRocAuc;
  const trial = await h.db.getTrial(best.trialId);
  console.log(`# recorded val AUC ${best.valAuc} (${trial?.backend}), predict + evaluate ${auc}`);
  assert.ok(Math.abs(auc - best.valAuc) <= 1e-6, `predict+evaluate ${auc} vs recorded ${best.valAuc}`);

  // The model folder works as well as the sweep id, and standard output gets the same table.
  const viaDir = await h.sweep('predict', '--model', best.modelPath!, 'valid.tsv');
  assert.equal(viaDir.code, 0, viaDir.stderr);
  assert.equal(viaDir.stdout, readFileSync(pred, 'utf8'));
});

test('an unknown sweep id: exit 2, the id named, no output file', async () => {
  const out = path.join(h.dir, 'nothing.tsv');
  const r = await h.sweep('predict', '--model', 'sweep-nope-000000', 'valid.tsv', '--out', out);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /'sweep-nope-000000' is neither a model folder nor a sweep id/);
  assert.equal(existsSync(out), false);
  const report = path.join(h.dir, 'nothing.html');
  const rr = await h.sweep('report', 'sweep-nope-000000', '--out', report);
  assert.equal(rr.code, 2);
  assert.match(rr.stderr, /no sweep 'sweep-nope-000000'/);
  assert.equal(existsSync(report), false);
});

test('the report renders in headless Chromium: every chart drew, logos drawn, no console errors; screenshot saved', async () => {
  const file = path.join(h.dir, 'report.html');
  const r = await h.sweep('report', sweep.sweepId, '--out', file);
  assert.equal(r.code, 0, r.stderr);
  const html = readFileSync(file, 'utf8');
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/, 'self-contained: no external scripts or styles');

  assert.ok(existsSync(CHROMIUM), `headless Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // Playwright starts each launch on a fresh temporary --user-data-dir of its own.
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    // Offline: the page must not need the network.
    await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
    await page.goto(`file://${file}`);
    const charts = ['chart-curves', 'chart-params', 'chart-timeline'];
    for (const id of charts) {
      await page.waitForFunction((chart) => (document.querySelector(`#${chart} svg`)?.querySelectorAll('path, rect, line, symbol').length ?? 0) > 0, id, { timeout: 20_000 });
      const marks = await page.$$eval(`#${id} svg .mark-line path, #${id} svg .mark-symbol path, #${id} svg .mark-rect path`, (els) => els.length);
      assert.ok(marks > 0, `${id}: the chart has data marks`);
    }
    const logos = await page.$$eval('svg.logo', (els) => els.map((e) => e.querySelectorAll('path').length));
    assert.ok(logos.length >= 2 && logos.every((n) => n > 0), `motif logos drawn (${logos.join(', ')} letters)`);
    assert.equal(await page.$$eval('table.leaderboard tbody tr', (rows) => rows.length), 4, 'one leaderboard row per trial');
    assert.deepEqual(errors, [], 'no console errors');
    const shot = path.join(h.dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`# screenshot: ${shot}`);
    if (process.env.SWEEP_REPORT_SCREENSHOT) {
      mkdirSync(path.dirname(process.env.SWEEP_REPORT_SCREENSHOT), { recursive: true });
      copyFileSync(shot, process.env.SWEEP_REPORT_SCREENSHOT);
    }
  } finally {
    await browser?.close();
  }
});
