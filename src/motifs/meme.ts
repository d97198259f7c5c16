/** MEME minimal motif format (MEME Suite "MEME Motif Format", version 4), DNA alphabet, uniform background. */
import type { FilterMotif } from './filters.js';

export function formatMeme(motifs: readonly FilterMotif[]): string {
  const lines = ['MEME version 4', '', 'ALPHABET= ACGT', '', 'strands: + -', '', 'Background letter frequencies', 'A 0.25 C 0.25 G 0.25 T 0.25', ''];
  for (const m of motifs) {
    if (m.sites === 0) continue;
    lines.push(`MOTIF filter${m.filter}`, `letter-probability matrix: alength= 4 w= ${m.pfm.length} nsites= ${m.sites} E= 0`);
    for (const row of m.pfm)
      lines.push(
        fixedRow(row)
          .map((p) => ` ${p.toFixed(6)}`)
          .join(' '),
      );
    lines.push('');
  }
  return lines.join('\n');
}

/** Six decimals that still sum to exactly 1: the rounding remainder goes to the largest entry. */
function fixedRow(row: readonly number[]): number[] {
  const micro = row.map((p) => Math.round(p * 1e6));
  const largest = micro.indexOf(Math.max(...micro));
  micro[largest]! += 1e6 - micro.reduce((a, b) => a + b, 0);
  return micro.map((m) => m / 1e6);
}
