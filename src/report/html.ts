/**
 * The sweep report: one self-contained HTML file (the Vega, Vega-Lite and vega-embed builds are
 * inlined, so it opens without a network). Charts are Vega-Lite specs rendered to SVG in the page;
 * sequence logos are inline SVG (logo.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { formatParamValue } from '../domain/params.js';
import { reverseComplement } from '../motifs/compare.js';
import type { MotifAnalysis } from '../motifs/index.js';
import { jaspar2024Motifs } from '../motifs/jaspar.js';
import { logoSvg } from './logo.js';
import type { Objective, TrialMetric } from '../strategy/objective.js';
import { REPORT_CURVE_METRICS, type ReportData } from './queries.js';

/** The minified browser build of each library, next to its package entry point. */
const LIBRARIES: [pkg: string, file: string][] = [
  ['vega', 'vega.min.js'],
  ['vega-lite', 'vega-lite.min.js'],
  ['vega-embed', 'vega-embed.min.js'],
];

function inlineLibraries(): string {
  const require = createRequire(import.meta.url);
  return LIBRARIES.map(([pkg, file]) => {
    const source = readFileSync(path.join(path.dirname(require.resolve(pkg)), file), 'utf8');
    return `<script>/* ${pkg} (BSD-3-Clause) */\n${source.replace(/<\/script/gi, '<\\/script')}</script>`;
  }).join('\n');
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface MotifSection {
  analysis: MotifAnalysis | null;
  /** Where the sequences came from, or why there are no motifs. */
  note: string;
  /** Filters shown (best p-value first). */
  top: number;
}

type Spec = Record<string, unknown>;

function charts(data: ReportData): { id: string; title: string; spec: Spec }[] {
  const width = 360;
  const curves = data.curves;
  const out: { id: string; title: string; spec: Spec }[] = [];
  if (curves.length > 0) {
    const titles: Record<(typeof REPORT_CURVE_METRICS)[number], string> = { val_auc: 'validation ROC AUC', val_loss: 'validation loss', train_loss: 'training loss' };
    const line = (metric: (typeof REPORT_CURVE_METRICS)[number]): Spec => ({
      width,
      height: 220,
      transform: [{ filter: { field: 'metric', equal: metric } }],
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 }, title: 'epoch' },
        y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: titles[metric] },
        color: { field: 'trial', type: 'nominal', title: 'trial' },
        tooltip: [{ field: 'trial' }, { field: 'epoch' }, { field: 'value', title: titles[metric], format: '.4f' }],
      },
    });
    out.push({
      id: 'chart-curves',
      title: `Learning curves of the top ${new Set(curves.map((e) => e.trialId)).size} trials`,
      spec: {
        data: { values: curves.map((e) => ({ ...e, trial: shortTrial(e.trialId) })) },
        hconcat: REPORT_CURVE_METRICS.map(line),
      },
    });
  }
  const scored = data.trials.filter((t) => t.valAuc !== null);
  if (data.parameters.length > 0 && scored.length > 0) {
    out.push({
      id: 'chart-params',
      title: 'Validation ROC AUC against each searched parameter',
      spec: {
        hconcat: data.parameters.map(({ name: p }) => {
          const values = scored.filter((t) => t[`param_${p}`] !== null).map((t) => ({ value: t[`param_${p}`], valAuc: t.valAuc, trial: shortTrial(t.trialId), status: t.status }));
          const numbers = values.every((v) => typeof v.value === 'number');
          const numeric = numbers && new Set(values.map((v) => v.value)).size > 2;
          const nums = values.map((v) => v.value as number);
          const log = numeric && Math.min(...nums) > 0 && Math.max(...nums) / Math.min(...nums) >= 100;
          return {
            width: Math.min(width, 220),
            height: 200,
            data: { values: values.map((v) => ({ ...v, value: numbers ? v.value : String(v.value) })) },
            mark: { type: 'point', filled: true, size: 70 },
            encoding: {
              // Few distinct numbers: ordinal, in numeric order.
              x: { field: 'value', type: numeric ? 'quantitative' : numbers ? 'ordinal' : 'nominal', title: p, ...(log ? { scale: { type: 'log' } } : {}) },
              y: { field: 'valAuc', type: 'quantitative', scale: { zero: false }, title: 'best val ROC AUC' },
              color: { field: 'status', type: 'nominal' },
              tooltip: [{ field: 'trial' }, { field: 'value', title: p }, { field: 'valAuc', format: '.4f' }],
            },
          };
        }),
      },
    });
  }
  const timed = data.trials.filter((t) => t.startedAt);
  if (timed.length > 0) {
    const now = (data.sweep.finishedAt ?? data.sweep.updatedAt).toISOString();
    out.push({
      id: 'chart-timeline',
      title: 'Trials per worker over time',
      spec: {
        width: 2 * width,
        height: { step: 28 },
        data: {
          values: timed.map((t) => ({
            trial: shortTrial(t.trialId),
            worker: t.worker ?? '(unknown)',
            status: t.status,
            start: t.startedAt,
            end: t.finishedAt ?? now,
            valAuc: t.valAuc,
          })),
        },
        mark: { type: 'bar', cornerRadius: 2, height: { band: 0.7 } },
        encoding: {
          y: { field: 'worker', type: 'nominal', title: 'worker' },
          x: { field: 'start', type: 'temporal', title: 'time', axis: { format: '%H:%M:%S' } },
          x2: { field: 'end' },
          color: { field: 'status', type: 'nominal' },
          tooltip: [
            { field: 'trial' },
            { field: 'status' },
            { field: 'start', type: 'temporal', format: '%H:%M:%S' },
            { field: 'end', type: 'temporal', format: '%H:%M:%S' },
            { field: 'valAuc', format: '.4f' },
          ],
        },
      },
    });
  }
  return out;
}

/** The importance bars, parallel coordinates in importance order, and the objective over the two most important parameters. */
function importanceCharts(data: ReportData): { id: string; title: string; spec: Spec }[] {
  if (!data.importance) return [];
  const { pedAnova, pictures } = data.importance;
  const objective = `best ${pictures.metric}`;
  const out: { id: string; title: string; spec: Spec }[] = [
    {
      id: 'chart-importance',
      title: 'Parameter importance (PED-ANOVA)',
      spec: {
        width: 360,
        height: { step: 22 },
        data: { values: pedAnova.ranking },
        mark: 'bar',
        encoding: {
          y: { field: 'parameter', type: 'nominal', sort: '-x', title: null },
          x: { field: 'importance', type: 'quantitative', scale: { domain: [0, 1] }, title: 'importance (sums to 1)' },
          tooltip: [{ field: 'parameter' }, { field: 'importance', format: '.3f' }],
        },
      },
    },
  ];
  const color = {
    field: 'objective',
    type: 'quantitative',
    title: objective,
    scale: { scheme: pictures.metric === 'val_loss' ? 'viridis' : 'redyellowgreen', reverse: pictures.metric === 'val_loss' },
  };
  out.push({
    id: 'chart-parallel',
    title: `Parallel coordinates, coloured by ${pictures.metric} (axes most important first)`,
    spec: {
      width: Math.max(360, 120 * pictures.axes.length),
      height: 260,
      data: { values: pictures.lines },
      layer: [
        { mark: { type: 'line', opacity: 0.7 }, encoding: { detail: { field: 'trial', type: 'nominal' }, order: { field: 'axis' } } },
        {
          mark: { type: 'point', filled: true, size: 30 },
          encoding: { tooltip: [{ field: 'label', title: 'trial' }, { field: 'parameter' }, { field: 'value' }, { field: 'objective', title: objective, format: '.4f' }] },
        },
      ],
      encoding: {
        x: { field: 'parameter', type: 'nominal', sort: pictures.axes.map((a) => a.parameter), title: null, axis: { labelAngle: 0, domain: false, grid: true } },
        y: { field: 'position', type: 'quantitative', scale: { domain: [0, 1] }, title: 'low / first choice (0) to high / last choice (1)' },
        color,
      },
    },
  });
  if (pictures.pair) {
    const { x, y } = pictures.pair;
    const bins = { maxbins: 8, extent: [0, 1] };
    out.push({
      id: 'chart-pair',
      title: `${pictures.metric} over the two most important parameters: ${x} and ${y}`,
      spec: {
        width: 360,
        height: 300,
        data: { values: pictures.pairPoints },
        layer: [
          {
            mark: 'rect',
            encoding: {
              x: { field: 'x', bin: bins, type: 'quantitative', title: `${x} (0 = low, 1 = high)` },
              y: { field: 'y', bin: bins, type: 'quantitative', title: `${y} (0 = low, 1 = high)` },
              color: { ...color, aggregate: 'mean', title: `mean ${objective}` },
            },
          },
          {
            mark: { type: 'point', color: '#222', size: 18 },
            encoding: {
              x: { field: 'x', type: 'quantitative' },
              y: { field: 'y', type: 'quantitative' },
              tooltip: [
                { field: 'label', title: 'trial' },
                { field: 'xValue', title: x },
                { field: 'yValue', title: y },
                { field: 'objective', title: objective, format: '.4f' },
              ],
            },
          },
        ],
      },
    });
  }
  return out;
}

const METRIC_TITLES: Record<TrialMetric, string> = {
  val_auc: 'val ROC AUC',
  val_pr_auc: 'val PR AUC',
  val_loss: 'val loss',
  params: 'parameters (count)',
  inference_ms_per_1k: 'inference ms per 1,000 sequences',
  train_seconds: 'training seconds',
};

const axisTitle = (o: Objective) => `${METRIC_TITLES[o.metric]} (${o.mode === 'max' ? 'higher' : 'lower'} is better)`;

/** The two main objectives, every measured trial a point: the front marked and joined, infeasible trials in their own colour and shape. */
function paretoChart(data: ReportData): { id: string; title: string; spec: Spec }[] {
  if (!data.pareto || data.pareto.points.length === 0) return [];
  const { axes, points, front } = data.pareto;
  const { x, y } = axes!;
  const spread = (values: number[]) => Math.min(...values) > 0 && Math.max(...values) / Math.min(...values) >= 100;
  const scale = (values: number[]) => ({ zero: false, ...(spread(values) ? { type: 'log' } : {}) });
  const position = {
    x: { field: 'x', type: 'quantitative', title: axisTitle(x), scale: scale(points.map((p) => p.x)) },
    y: { field: 'y', type: 'quantitative', title: axisTitle(y), scale: scale(points.map((p) => p.y)) },
  };
  const groups = { domain: ['front', 'dominated', 'infeasible'], range: ['#1b7837', '#8c96c6', '#d6604d'] };
  return [
    {
      id: 'chart-pareto',
      title: `Pareto front: ${METRIC_TITLES[y.metric]} against ${METRIC_TITLES[x.metric]}`,
      spec: {
        width: 420,
        height: 300,
        layer: [
          { data: { values: front.map((p, order) => ({ ...p, order })) }, mark: { type: 'line', color: groups.range[0], strokeWidth: 2 }, encoding: { ...position, order: { field: 'order' } } },
          {
            data: { values: points.map((p) => ({ ...p, trial: `trial-${p.trial}` })) },
            mark: { type: 'point', filled: true, size: 80, opacity: 0.9 },
            encoding: {
              ...position,
              color: { field: 'group', type: 'nominal', scale: groups, title: 'trial' },
              shape: { field: 'group', type: 'nominal', scale: { domain: groups.domain, range: ['circle', 'circle', 'cross'] }, title: 'trial' },
              tooltip: [
                { field: 'trial' },
                { field: 'label', title: 'parameters' },
                { field: 'y', title: METRIC_TITLES[y.metric], format: '.4~f' },
                { field: 'x', title: METRIC_TITLES[x.metric], format: '.4~f' },
                { field: 'paretoRank', title: 'Pareto rank' },
                { field: 'group' },
              ],
            },
          },
        ],
      },
    },
  ];
}

function importanceTable(data: ReportData): string {
  if (!data.importance) return `<p class="note">${escapeHtml(data.importanceNote)}</p>`;
  const { pedAnova, fanova } = data.importance;
  const rows = pedAnova.ranking.map((r) => `<tr><td>${escapeHtml(r.parameter)}</td><td>${r.importance.toFixed(3)}</td><td>${fanova.importances[r.parameter]!.toFixed(3)}</td></tr>`);
  return `<table class="importance"><thead><tr><th>parameter</th><th>PED-ANOVA</th><th>fANOVA</th></tr></thead><tbody>${rows.join('')}</tbody></table>
<p class="note">${escapeHtml(data.importanceNote)}</p>`;
}

function shortTrial(trialId: string): string {
  return trialId.slice(trialId.lastIndexOf('-trial-') + 1);
}

function leaderboard(data: ReportData): string {
  const params = data.parameters.map((p) => p.name);
  // Sweeps with several objectives or constraints rank by Pareto rank, and may refuse a trial for its constraints.
  const ranked = data.pareto !== null;
  const head = ['rank', 'trial', 'status', ...(ranked ? ['Pareto rank', 'feasible'] : []), 'val ROC AUC', 'val PR AUC', 'epochs', 'params (count)', 'backend', 'worker', ...params];
  const rows = data.trials.map((t) => {
    const cells = [
      t.rank === null ? '-' : String(t.rank),
      shortTrial(t.trialId),
      t.status + (t.failureReason ? `: ${t.failureReason}` : ''),
      ...(ranked ? [t.paretoRank === null ? '-' : String(t.paretoRank), t.feasible === null ? '-' : t.feasible ? 'yes' : 'no'] : []),
      t.valAuc === null ? '-' : t.valAuc.toFixed(4),
      t.valPrAuc === null ? '-' : t.valPrAuc.toFixed(4),
      String(t.epochsTrained),
      t.paramCount === null ? '-' : t.paramCount.toLocaleString('en-US'),
      t.backend ?? '-',
      t.worker ?? '-',
      ...params.map((p) => formatParamValue(t[`param_${p}`] ?? '')),
    ];
    const best = t.trialId === data.sweep.bestTrialId ? ' class="best"' : '';
    return `<tr${best}>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
  });
  return `<table class="leaderboard"><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function motifSection(section: MotifSection): string {
  const { analysis } = section;
  if (!analysis) return `<p class="note">${escapeHtml(section.note)}</p>`;
  const jaspar = jaspar2024Motifs();
  const ranked = analysis.filters
    .filter((f) => f.matches.length > 0)
    .sort((a, b) => a.matches[0]!.pValue - b.matches[0]!.pValue || b.matches[0]!.score - a.matches[0]!.score)
    .slice(0, section.top);
  const cards = ranked.map((f) => {
    const m = f.matches[0]!;
    const target = jaspar.find((j) => j.id === m.id)!.pfm;
    const core = f.pfm.slice(f.core.start, f.core.start + f.core.width);
    return `<div class="motif"><div class="motif-head">filter ${f.filter}: ${f.sites} sites, ${f.informationContent.toFixed(1)} bits</div>
${logoSvg(core, { title: `filter ${f.filter}` })}
<div class="motif-head">best JASPAR match ${escapeHtml(`${m.id} ${m.name}`)} (${m.strand === '-' ? 'reverse complement' : 'forward'}): score ${m.score.toFixed(2)}, p ${m.pValue.toExponential(1)}, E ${m.eValue.toPrecision(2)}</div>
${logoSvg(m.strand === '-' ? reverseComplement(target) : target, { title: `JASPAR ${m.id} ${m.name}` })}</div>`;
  });
  return `<p class="note">${escapeHtml(section.note)}. ${escapeHtml(analysis.comparison)}.</p><div class="motifs">${cards.join('\n')}</div>`;
}

const STYLE = `<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; } td, th { padding: 3px 9px; border-bottom: 1px solid #eee; text-align: left; white-space: nowrap; }
tr.best { background: #eef6ee; font-weight: 600; } .summary td:first-child { color: #666; }
.note { color: #555; max-width: 70em; } .motifs { display: flex; flex-wrap: wrap; gap: 18px; }
.motif, .ism { border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; } .ism { margin-bottom: 14px; overflow-x: auto; } .motif-head { font-size: 12px; color: #444; margin: 4px 0; }
</style>`;

/** `ism`: the mutagenesis section's HTML (ism.ts), when the report has one. */
export function reportHtml(data: ReportData, motifs: MotifSection, generatedAt: Date, ism?: string): string {
  const { sweep } = data;
  const best = data.trials.find((t) => t.trialId === sweep.bestTrialId);
  const specs = [...charts(data), ...paretoChart(data), ...importanceCharts(data)];
  const json = JSON.stringify(specs.map(({ id, spec }) => ({ id, spec: { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', ...spec } }))).replace(/</g, '\\u003c');
  const summary = [
    ['status', sweep.status],
    ['strategy', sweep.strategy],
    ['trials', String(sweep.totalTrials)],
    ['created', sweep.createdAt.toISOString()],
    ['finished', sweep.finishedAt?.toISOString() ?? '-'],
    ['best', best ? `${shortTrial(best.trialId)}: val ROC AUC ${best.valAuc?.toFixed(4)} at epoch ${best.bestEpoch}` : '-'],
    ['model', data.bestModelDir ?? '-'],
    ['dataset fingerprint', sweep.datasetFingerprint.slice(0, 16)],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(sweep.id)}: sweep report</title>
${STYLE}
${inlineLibraries()}
</head><body>
<h1>Sweep ${escapeHtml(sweep.id)}</h1>
<table class="summary">${summary.map(([k, v]) => `<tr><td>${escapeHtml(k!)}</td><td>${escapeHtml(v!)}</td></tr>`).join('')}</table>
<h2>Leaderboard</h2>
${leaderboard(data)}
<h2>Parameter importance</h2>
${importanceTable(data)}
${specs.map((s) => `<h2>${escapeHtml(s.title)}</h2>\n<div class="chart" id="${s.id}"></div>`).join('\n')}
<h2>Motifs of the best model</h2>
${motifSection(motifs)}
${ism === undefined ? '' : `<h2>In silico mutagenesis</h2>\n${ism}`}
<p class="note">Generated by danq-sweep on ${generatedAt.toISOString()}.</p>
<script type="application/json" id="chart-specs">${json}</script>
<script>
for (const { id, spec } of JSON.parse(document.getElementById('chart-specs').textContent)) {
  vegaEmbed('#' + id, spec, { renderer: 'svg', actions: false }).catch((err) => console.error('chart ' + id + ': ' + err));
}
</script>
</body></html>
`;
}

/** A report of mutagenesis alone (no sweep): no charts, so no libraries inlined. */
export function ismReportHtml(title: string, ism: string, generatedAt: Date): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}: in silico mutagenesis</title>
${STYLE}
</head><body>
<h1>In silico mutagenesis: ${escapeHtml(title)}</h1>
${ism}
<p class="note">Generated by danq-sweep on ${generatedAt.toISOString()}.</p>
</body></html>
`;
}
