/** The danq-sweep dashboards, defined once (see model.ts); `npm run dashboards` renders them per plugin. */
import type { Dashboard, Panel, RowField } from './model.js';

const trialFields: RowField[] = [
  { key: 'number', name: 'trial', type: 'number' },
  { key: 'label', name: 'variant', type: 'string' },
  { key: 'status', name: 'status', type: 'string' },
  { key: 'valAuc', name: 'val ROC AUC', type: 'number', nullable: true },
  { key: 'valPrAuc', name: 'val PR AUC', type: 'number', nullable: true },
  { key: 'bestEpoch', name: 'best epoch', type: 'number', nullable: true },
  { key: 'epochsTrained', name: 'epochs', type: 'number' },
  { key: 'paramCount', name: 'parameters', type: 'number', nullable: true },
  { key: 'backend', name: 'backend', type: 'string', nullable: true },
  { key: 'worker', name: 'worker', type: 'string', nullable: true },
  { key: 'durationSeconds', name: 'duration', type: 'number', nullable: true },
];

const sweepVariable = {
  name: 'sweep',
  label: 'Sweep',
  query: { path: '/sweeps', rows: 'sweeps', fields: [{ key: 'sweepId', name: 'sweep', type: 'string' as const }] },
};

export const sweepOverview: Dashboard = {
  uid: 'danq-sweep-overview',
  title: 'danq-sweep: sweep overview',
  description: 'One sweep: progress, the leaderboard, what each searched parameter does, learning curves and failures.',
  time: { from: 'now-7d', to: 'now' },
  variables: [
    sweepVariable,
    {
      name: 'param',
      label: 'Parameter',
      query: { path: '/sweeps/$sweep/parameters', rows: 'parameters', fields: [{ key: 'name', name: 'parameter', type: 'string' }] },
      multi: true,
      includeAll: true,
    },
  ],
  panels: [
    {
      title: 'Trials by state',
      question: 'How far along is the sweep: how many trials are pending, running, completed, stopped early or failed?',
      type: 'barchart',
      grid: { x: 0, y: 0, w: 8, h: 8 },
      query: {
        path: '/sweeps/$sweep/states',
        rows: 'states',
        fields: [
          { key: 'state', name: 'state', type: 'string' },
          { key: 'trials', name: 'trials', type: 'number' },
        ],
      },
      options: { orientation: 'horizontal', showValue: 'always', legend: { showLegend: false } },
    },
    {
      title: 'Best val ROC AUC so far',
      question: 'Is the sweep still finding better models, or has the best validation ROC AUC levelled off?',
      type: 'timeseries',
      grid: { x: 8, y: 0, w: 16, h: 8 },
      query: {
        path: '/sweeps/$sweep/best-so-far',
        rows: 'points',
        fields: [
          { key: 'time', name: 'time', type: 'time' },
          { key: 'bestValAuc', name: 'best val ROC AUC', type: 'number' },
        ],
      },
      defaults: { custom: { lineInterpolation: 'stepAfter', showPoints: 'always' }, decimals: 4 },
    },
    {
      title: 'Leaderboard',
      question: "Which variants are best, by the sweep's own rule (val ROC AUC, then fewer parameters, then the earlier trial)?",
      type: 'table',
      grid: { x: 0, y: 8, w: 24, h: 9 },
      query: { path: '/sweeps/$sweep/leaderboard', params: [['limit', '10']], rows: 'trials', fields: [{ key: 'rank', name: 'rank', type: 'number' }, ...trialFields] },
    },
    {
      title: 'val ROC AUC by $param',
      question: 'What does each searched parameter do (LSTM vs GRU, filters, pool size...): best and mean val ROC AUC per value or bin, and how many trials tried it?',
      type: 'barchart',
      grid: { x: 0, y: 17, w: 8, h: 8 },
      repeat: 'param',
      query: {
        path: '/sweeps/$sweep/effects',
        params: [['parameter', '$param']],
        rows: 'effects',
        fields: [
          { key: 'value', name: '$param', type: 'string' },
          { key: 'bestValAuc', name: 'best val ROC AUC', type: 'number', nullable: true },
          { key: 'meanValAuc', name: 'mean val ROC AUC', type: 'number', nullable: true },
          { key: 'trials', name: 'trials', type: 'number' },
        ],
      },
      defaults: { decimals: 4 },
    },
    {
      title: 'Learning curves of the top 5 trials',
      question: 'Do the best trials still improve at their last epoch (train longer?) or overfit (val AUC falling)?',
      type: 'trend',
      grid: { x: 0, y: 25, w: 24, h: 9 },
      query: {
        path: '/sweeps/$sweep/curves',
        params: [
          ['top', '5'],
          ['metric', 'val_auc'],
        ],
        rows: 'points',
        fields: [
          { key: 'epoch', name: 'epoch', type: 'number' },
          { key: 'value', name: 'val ROC AUC', type: 'number' },
          { key: 'label', name: 'trial', type: 'string' },
        ],
      },
      seriesBy: 'trial',
      options: { xField: 'epoch' },
      defaults: { decimals: 4 },
    },
    {
      title: 'Failed trials',
      question: 'Which trials failed, and why (diverged learning rate, out of memory...)?',
      type: 'table',
      grid: { x: 0, y: 34, w: 24, h: 7 },
      query: {
        path: '/sweeps/$sweep/trials',
        params: [['status', 'failed']],
        rows: 'trials',
        fields: [
          { key: 'number', name: 'trial', type: 'number' },
          { key: 'label', name: 'variant', type: 'string' },
          { key: 'failureReason', name: 'reason', type: 'string', nullable: true },
          { key: 'epochsTrained', name: 'epochs', type: 'number' },
          { key: 'worker', name: 'worker', type: 'string', nullable: true },
          { key: 'finishedAt', name: 'failed at', type: 'time', nullable: true },
        ],
      },
    },
    {
      title: 'All trials',
      question: 'Every trial of the sweep with its status, results, backend, worker and duration.',
      type: 'table',
      grid: { x: 0, y: 41, w: 24, h: 10 },
      query: { path: '/sweeps/$sweep/trials', rows: 'trials', fields: trialFields },
    },
    ...importancePanels(51),
    paretoPanel(69),
  ],
};

/**
 * The trade-off of a sweep with several objectives or constraints (no data for a single objective):
 * query A places every measured trial, coloured by its constraint violation (0 = feasible); query B
 * is the Pareto front, drawn joined over it.
 */
function paretoPanel(y: number): Panel {
  const axes: RowField[] = [
    { key: 'x', name: 'second objective', type: 'number' },
    { key: 'y', name: 'first objective', type: 'number' },
  ];
  const xy = (frame: number) => ({
    frame: { matcher: { id: 'byIndex', options: frame } },
    x: { matcher: { id: 'byName', options: 'second objective' } },
    y: { matcher: { id: 'byName', options: 'first objective' } },
  });
  return {
    title: 'Pareto front: first objective against the second',
    question:
      'What does a model cost for what it gives? Every measured trial at its first objective (y, e.g. val ROC AUC) and second (x, e.g. parameters; with one objective, the constrained metric), red when it breaks a constraint; the Pareto front joined in green. Empty for a sweep with one objective and no constraints.',
    type: 'xychart',
    grid: { x: 0, y, w: 24, h: 10 },
    query: {
      path: '/sweeps/$sweep/pareto/scatter',
      rows: 'points',
      fields: [
        ...axes,
        { key: 'violation', name: 'constraint violation', type: 'number', nullable: true },
        { key: 'paretoRank', name: 'Pareto rank', type: 'number' },
        { key: 'group', name: 'group', type: 'string' },
        { key: 'label', name: 'trial', type: 'string' },
      ],
    },
    overlay: { path: '/sweeps/$sweep/pareto/scatter', rows: 'front', fields: [...axes, { key: 'label', name: 'trial', type: 'string' }] },
    options: {
      mapping: 'manual',
      series: [{ ...xy(0), color: { matcher: { id: 'byName', options: 'constraint violation' } } }, xy(1)],
      tooltip: { mode: 'single' },
      legend: { showLegend: false },
    },
    defaults: {
      custom: { show: 'points', pointSize: { fixed: 10 } },
      color: { mode: 'thresholds' },
      thresholds: {
        mode: 'absolute',
        steps: [
          { color: 'blue', value: null },
          { color: 'red', value: Number.MIN_VALUE },
        ],
      },
    },
    overrides: [
      {
        matcher: { id: 'byFrameRefID', options: 'B' },
        properties: [
          { id: 'custom.show', value: 'points+lines' },
          { id: 'custom.lineWidth', value: 2 },
          { id: 'color', value: { mode: 'fixed', fixedColor: 'green' } },
        ],
      },
    ],
  };
}

/**
 * Which parameters mattered, from y on. Core Grafana has no parallel-coordinates panel: an XY chart
 * draws one line per trial across the parameter axes (values scaled to 0..1), coloured by the
 * objective, and another XY chart places the trials on the two most important parameters.
 */
function importancePanels(y: number): Panel[] {
  const byObjective = (x: string, yField: string) => ({
    mapping: 'manual',
    series: [{ x: { matcher: { id: 'byName', options: x } }, y: { matcher: { id: 'byName', options: yField } }, color: { matcher: { id: 'byName', options: 'objective' } } }],
    tooltip: { mode: 'single' },
    legend: { showLegend: false },
  });
  const colour = { color: { mode: 'continuous-RdYlGr' }, decimals: 4 };
  return [
    {
      title: 'Parameter importance',
      question: "Which searched parameters mattered for the sweep's objective (PED-ANOVA over the completed trials, as Optuna 5 computes it; shares summing to 1)?",
      type: 'barchart',
      grid: { x: 0, y, w: 8, h: 9 },
      query: {
        path: '/sweeps/$sweep/importance',
        params: [['method', 'ped-anova']],
        rows: 'ranking',
        fields: [
          { key: 'parameter', name: 'parameter', type: 'string' },
          { key: 'importance', name: 'importance', type: 'number' },
        ],
      },
      options: { orientation: 'horizontal', showValue: 'always', legend: { showLegend: false } },
      defaults: { decimals: 3, min: 0, max: 1 },
    },
    {
      title: 'Parallel coordinates (most important parameter first)',
      question: 'Where on each parameter do the good trials sit? One line per completed trial across the axes (0 = low or first choice, 1 = high or last), coloured by the objective.',
      type: 'xychart',
      grid: { x: 8, y, w: 16, h: 9 },
      query: {
        path: '/sweeps/$sweep/parallel-coordinates',
        rows: 'lines',
        fields: [
          { key: 'axis', name: 'axis', type: 'number' },
          { key: 'position', name: 'position', type: 'number' },
          { key: 'objective', name: 'objective', type: 'number' },
          { key: 'label', name: 'trial', type: 'string' },
        ],
      },
      seriesBy: 'trial',
      options: { ...byObjective('axis', 'position'), show: 'points+lines' },
      defaults: { ...colour, custom: { show: 'points+lines', pointSize: { fixed: 6 }, lineWidth: 1 } },
    },
    {
      title: 'Objective on the two most important parameters',
      question: 'How do the two most important parameters act together? Each completed trial at its place on both (0..1), coloured by the objective.',
      type: 'xychart',
      grid: { x: 0, y: y + 9, w: 24, h: 9 },
      query: {
        path: '/sweeps/$sweep/parallel-coordinates',
        rows: 'pairPoints',
        fields: [
          { key: 'x', name: 'x', type: 'number' },
          { key: 'y', name: 'y', type: 'number' },
          { key: 'objective', name: 'objective', type: 'number' },
          { key: 'label', name: 'trial', type: 'string' },
        ],
      },
      options: { ...byObjective('x', 'y'), show: 'points' },
      defaults: { ...colour, custom: { show: 'points', pointSize: { fixed: 14 } } },
    },
  ];
}

const window: [string, string][] = [
  ['from', '${__from}'],
  ['to', '${__to}'],
];

export const workers: Dashboard = {
  uid: 'danq-sweep-workers',
  title: 'danq-sweep: workers',
  description: 'What each worker did in the time range, and the training throughput of each backend over time.',
  time: { from: 'now-24h', to: 'now' },
  variables: [],
  panels: [
    {
      title: 'Trials and busy time per worker',
      question: 'Is the work spread over the workers, and how busy was each (training seconds) in the time range?',
      type: 'barchart',
      grid: { x: 0, y: 0, w: 12, h: 9 },
      query: {
        path: '/workers',
        params: window,
        rows: 'workers',
        fields: [
          { key: 'worker', name: 'worker', type: 'string' },
          { key: 'trials', name: 'trials', type: 'number' },
          { key: 'busySeconds', name: 'busy seconds', type: 'number' },
        ],
      },
      options: { orientation: 'horizontal', showValue: 'always' },
    },
    {
      title: 'Worker activity',
      question: 'Per worker: trials, epochs, busy seconds, mean samples/s and the backends it used.',
      type: 'table',
      grid: { x: 12, y: 0, w: 12, h: 9 },
      query: {
        path: '/workers',
        params: window,
        rows: 'workers',
        fields: [
          { key: 'worker', name: 'worker', type: 'string' },
          { key: 'trials', name: 'trials', type: 'number' },
          { key: 'epochs', name: 'epochs', type: 'number' },
          { key: 'busySeconds', name: 'busy seconds', type: 'number' },
          { key: 'samplesPerSec', name: 'samples/s', type: 'number', nullable: true },
          { key: 'backends', name: 'backends', type: 'string' },
          { key: 'lastSeen', name: 'last seen', type: 'time' },
        ],
      },
    },
    {
      title: 'Samples/s by backend',
      question: 'How fast does each backend (tfjs-node-gpu, tfjs-node, wasm) train, and does throughput hold up over time?',
      type: 'timeseries',
      grid: { x: 0, y: 9, w: 24, h: 9 },
      query: {
        path: '/workers/throughput',
        params: window,
        rows: 'points',
        fields: [
          { key: 'time', name: 'time', type: 'time' },
          { key: 'samplesPerSec', name: 'samples/s', type: 'number' },
          { key: 'backend', name: 'backend', type: 'string' },
        ],
      },
      seriesBy: 'backend',
      defaults: { unit: 'none', custom: { drawStyle: 'points', pointSize: 6 } },
    },
  ],
};

export const dashboards = { 'sweep-overview': sweepOverview, workers } as const;
