/**
 * Sequence logos as inline SVG (Schneider & Stephens 1990): per position, the letters stacked by
 * probability, tallest on top, total height the position's information content in bits. Letters
 * are filled paths in a 100 x 100 box, scaled to their height, so no font is needed.
 */
import { rowInformation } from '../motifs/compare.js';

const GLYPHS: Record<string, { path: string; color: string }> = {
  A: { path: 'M0 100 L40 0 L60 0 L100 100 L79 100 L68 70 L32 70 L21 100 Z M38 54 L62 54 L50 22 Z', color: '#109648' },
  C: { path: 'M96 27 A50 50 0 1 0 96 73 L78 64 A30 30 0 1 1 78 36 Z', color: '#255c99' },
  G: { path: 'M96 27 A50 50 0 1 0 100 62 L100 48 L56 48 L56 64 L79 64 A30 30 0 1 1 78 36 Z', color: '#f7b32b' },
  T: { path: 'M0 0 L100 0 L100 18 L60 18 L60 100 L40 100 L40 18 L0 18 Z', color: '#d62839' },
};
const LETTERS = ['A', 'C', 'G', 'T'];

export function logoSvg(rows: readonly number[][], options: { columnWidth?: number; height?: number; title?: string } = {}): string {
  const cw = options.columnWidth ?? 18;
  const height = options.height ?? 80;
  const axis = 24;
  const perBit = height / 2;
  const parts: string[] = [];
  rows.forEach((row, i) => {
    const bits = rowInformation(row);
    let y = height;
    const order = [0, 1, 2, 3].sort((a, b) => row[a]! - row[b]!);
    for (const c of order) {
      const h = row[c]! * bits * perBit;
      if (h < 0.2) continue;
      y -= h;
      const glyph = GLYPHS[LETTERS[c]!]!;
      const x = axis + i * cw;
      parts.push(`<path d="${glyph.path}" fill="${glyph.color}" transform="translate(${x.toFixed(2)} ${y.toFixed(2)}) scale(${(cw / 100).toFixed(4)} ${(h / 100).toFixed(4)})"/>`);
    }
  });
  const width = axis + rows.length * cw;
  const yAxis = `<line x1="${axis - 2}" y1="0" x2="${axis - 2}" y2="${height}" stroke="#444"/><text x="${axis - 5}" y="8" font-size="9" text-anchor="end">2</text><text x="${axis - 5}" y="${height}" font-size="9" text-anchor="end">0</text><text x="6" y="${height / 2}" font-size="9" transform="rotate(-90 6 ${height / 2})" text-anchor="middle">bits</text>`;
  const title = options.title ? `<title>${options.title.replace(/[<&"]/g, '')}</title>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" class="logo" width="${width}" height="${height + 2}" viewBox="0 0 ${width} ${height + 2}">${title}${yAxis}${parts.join('')}</svg>`;
}
