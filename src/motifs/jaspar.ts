/**
 * JASPAR CORE 2024 vertebrates, non-redundant (the latest version of each matrix), with matrix ids
 * and TF names: the motifs filter motifs are compared with. Converted at build time from the
 * JASPAR2024 database that pyjaspar carries (infra/jaspar/convert_jaspar2024.py; licence in
 * src/data/jaspar/LICENSE.md). The 2016 set (src/data/synth.ts) stays for synthetic data.
 */
import { readFileSync } from 'node:fs';

export interface NamedMotif {
  /** Matrix id with version, e.g. MA0139.2. */
  id: string;
  /** TF name, e.g. CTCF. */
  name: string;
  /** Rows = positions, columns = A, C, G, T; each row sums to 1. */
  pfm: number[][];
}

let cache: NamedMotif[] | undefined;

export function jaspar2024Motifs(): NamedMotif[] {
  cache ??= (JSON.parse(readFileSync(new URL('../data/jaspar/jaspar_core_2024_vertebrates.json', import.meta.url), 'utf8')) as { motifs: { id: string; name: string; pfm: number[][] }[] }).motifs.map(
    (m) => ({
      id: m.id,
      name: m.name,
      pfm: m.pfm.map((row) => {
        const sum = row.reduce((a, b) => a + b, 0);
        return row.map((c) => c / sum);
      }),
    }),
  );
  return cache;
}
