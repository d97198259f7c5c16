/**
 * The mutagenesis section of a report, from `sweep ism` output: per sequence and task, a heat map
 * (bases x positions, coloured by alt - ref probability) and a sequence logo of its most important
 * stretch. The logo's column at a position is the base distribution the model implies there:
 * softmax over the four bases of their log-odds effect (0 for the reference base), so a position
 * where every change costs much shows its reference base tall, and an indifferent one shows none.
 */
import { UserError } from '../errors.js';
import type { SourceFile } from '../data/source.js';
import { readTable } from '../data/text.js';
import { logoSvg } from './logo.js';

const BASES = 'ACGT';
const BASE_LIST = ['A', 'C', 'G', 'T'];
/** Positions in the logo of the most important stretch. */
const LOGO_WIDTH = 24;

export interface IsmMap {
  id: string;
  task: string;
  /** Reported positions, ascending. */
  positions: number[];
  /** Reference base per position. */
  ref: string[];
  /** Per position, per base A, C, G, T: alt - ref probability (0 for the reference base). */
  diff: number[][];
  logOdds: number[][];
}

/** Reads the first `limit` sequences of a `sweep ism` TSV, one map per sequence and task. */
export async function readIsm(file: SourceFile, limit: number): Promise<{ maps: IsmMap[]; sequences: number }> {
  let tasks: string[] = [];
  const byId = new Map<string, Map<number, { ref: string; diff: number[][]; logOdds: number[][] }>>();
  let sequences = 0;
  await readTable(file, '\t', {
    header(columns, line) {
      const rest = columns.slice(4);
      if (columns.slice(0, 4).join(' ') !== 'id pos ref alt' || rest.length === 0 || rest.length % 2 !== 0 || rest.some((c, i) => !c.endsWith(i % 2 === 0 ? '_diff' : '_logodds'))) {
        throw new UserError(`${file.display} line ${line}: not a 'sweep ism' table; expected the columns id, pos, ref, alt, then T_diff and T_logodds for each task T.`);
      }
      tasks = rest.filter((_, i) => i % 2 === 0).map((c) => c.slice(0, -'_diff'.length));
    },
    row(buf, starts, ends, line) {
      const field = (i: number) => buf.toString('utf8', starts[i], ends[i]);
      const id = field(0);
      let positions = byId.get(id);
      if (!positions) {
        sequences++;
        if (byId.size >= limit) return;
        positions = new Map();
        byId.set(id, positions);
      }
      const pos = Number(field(1));
      const alt = BASES.indexOf(field(3));
      if (!Number.isInteger(pos) || alt < 0) throw new UserError(`${file.display} line ${line}: expected an integer pos and an alt base A, C, G or T.`);
      let at = positions.get(pos);
      if (!at) {
        at = { ref: field(2), diff: tasks.map(() => [0, 0, 0, 0]), logOdds: tasks.map(() => [0, 0, 0, 0]) };
        positions.set(pos, at);
      }
      for (let t = 0; t < tasks.length; t++) {
        at.diff[t]![alt] = Number(field(4 + 2 * t));
        at.logOdds[t]![alt] = Number(field(5 + 2 * t));
      }
    },
  });
  const maps: IsmMap[] = [];
  for (const [id, positions] of byId) {
    const sorted = [...positions.entries()].sort((a, b) => a[0] - b[0]);
    tasks.forEach((task, t) =>
      maps.push({ id, task, positions: sorted.map(([p]) => p), ref: sorted.map(([, v]) => v.ref), diff: sorted.map(([, v]) => v.diff[t]!), logOdds: sorted.map(([, v]) => v.logOdds[t]!) }),
    );
  }
  return { maps, sequences };
}

const escapeXml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Blue for a loss, red for a gain, white for none; `scale` maps to full colour. */
function colour(value: number, scale: number): string {
  const f = Math.min(1, Math.abs(value) / scale);
  const fade = Math.round(255 * (1 - f));
  return value < 0 ? `rgb(${fade},${fade},255)` : `rgb(255,${fade},${fade})`;
}

export function heatMapSvg(map: IsmMap): string {
  const n = map.positions.length;
  const cw = Math.max(1, Math.min(10, Math.floor(900 / n)));
  const ch = 14;
  const axis = 14;
  const scale = Math.max(1e-9, ...map.diff.flat().map(Math.abs));
  const cells: string[] = [];
  map.diff.forEach((row, i) => {
    row.forEach((d, b) => {
      const isRef = map.ref[i] === BASES[b];
      const fill = isRef ? '#ddd' : colour(d, scale);
      cells.push(
        `<rect x="${axis + i * cw}" y="${b * ch}" width="${cw}" height="${ch}" fill="${fill}"><title>${map.positions[i]} ${escapeXml(map.ref[i]!)}&gt;${BASES[b]}: ${isRef ? 'reference' : d.toPrecision(3)}</title></rect>`,
      );
    });
  });
  const labels = BASE_LIST.map((b, i) => `<text x="2" y="${i * ch + 11}" font-size="10">${b}</text>`).join('');
  const width = axis + n * cw;
  const ticks = `<text x="${axis}" y="${4 * ch + 11}" font-size="10">${map.positions[0]}</text><text x="${width}" y="${4 * ch + 11}" font-size="10" text-anchor="end">${map.positions[n - 1]}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" class="heatmap" width="${width}" height="${4 * ch + 14}">${labels}${cells.join('')}${ticks}</svg>`;
}

/** The stretch of up to LOGO_WIDTH positions with the largest summed effect (the largest |log-odds| at each position). */
export function importantStretch(map: IsmMap): { start: number; end: number } {
  const weight = map.logOdds.map((row) => Math.max(...row.map(Math.abs)));
  const width = Math.min(LOGO_WIDTH, weight.length);
  let sum = weight.slice(0, width).reduce((a, b) => a + b, 0);
  let best = { start: 0, sum };
  for (let s = 1; s + width <= weight.length; s++) {
    sum += weight[s + width - 1]! - weight[s - 1]!;
    if (sum > best.sum) best = { start: s, sum };
  }
  return { start: best.start, end: best.start + width };
}

/** The base distribution the model implies at each position: softmax of the log-odds effects. */
export function impliedDistribution(logOdds: readonly number[]): number[] {
  const top = Math.max(...logOdds);
  const e = logOdds.map((v) => Math.exp(v - top));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

export function ismSection(maps: readonly IsmMap[], note: string): string {
  const cards = maps.map((map) => {
    const { start, end } = importantStretch(map);
    const rows = map.logOdds.slice(start, end).map(impliedDistribution);
    return `<div class="ism"><div class="motif-head">${escapeXml(map.id)}, task ${escapeXml(map.task)}: alt - ref probability (blue: loss, red: gain, grey: reference base; full colour ${Math.max(...map.diff.flat().map(Math.abs)).toPrecision(2)})</div>
${heatMapSvg(map)}
<div class="motif-head">most important stretch, positions ${map.positions[start]}-${map.positions[end - 1]}</div>
${logoSvg(rows, { title: `${map.id} ${map.task} ${map.positions[start]}-${map.positions[end - 1]}` })}</div>`;
  });
  return `<p class="note">${escapeXml(note)}</p>${cards.join('\n')}`;
}
