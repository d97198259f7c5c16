/**
 * Test support for genome-backed data: Debian's samtools/bedtools/bgzip run as independent
 * references, and a minimal UCSC .2bit writer (faToTwoBit is not packaged in Debian).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Rng } from '../../src/rng.js';

/** Runs a genomics tool and returns its stdout; a failure throws with its stderr. */
export function tool(command: string, args: readonly string[], options: { cwd?: string; input?: string } = {}): string {
  return execFileSync(command, args, { encoding: 'utf8', maxBuffer: 256 << 20, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], ...options });
}

/** Random bases with lower-case (soft-masked) stretches and N runs, as real assemblies have them. */
export function randomSequence(length: number, rng: Rng, options: { masked?: boolean; nRuns?: boolean } = {}): string {
  const bases: string[] = new Array<string>(length);
  for (let i = 0; i < length; i++) bases[i] = 'ACGT'[rng.int(0, 3)]!;
  if (options.masked) {
    for (let k = 0; k < length / 500; k++) {
      const s = rng.int(0, length - 1);
      for (let i = s; i < Math.min(length, s + rng.int(5, 120)); i++) bases[i] = bases[i]!.toLowerCase();
    }
  }
  if (options.nRuns) {
    const s = rng.int(0, length - 1);
    for (let i = s; i < Math.min(length, s + rng.int(10, 300)); i++) bases[i] = 'N';
  }
  return bases.join('');
}

export function fastaText(chromosomes: ReadonlyMap<string, string>, lineWidth = 60): string {
  let out = '';
  for (const [name, seq] of chromosomes) {
    out += `>${name} test sequence\n`;
    for (let i = 0; i < seq.length; i += lineWidth) out += seq.slice(i, i + lineWidth) + '\n';
  }
  return out;
}

/**
 * A UCSC .2bit file (version 0, little-endian): header, index of name + record offset, then per
 * sequence its length, N blocks, soft-mask blocks, a reserved word and the bases packed 4 per byte
 * (T=0, C=1, A=2, G=3, first base in the high bits; N stored as T under an N block).
 */
export function writeTwoBit(file: string, chromosomes: ReadonlyMap<string, string>): void {
  const runs = (seq: string, test: (ch: string) => boolean) => {
    const starts: number[] = [];
    const sizes: number[] = [];
    for (let i = 0; i < seq.length;) {
      if (!test(seq[i]!)) {
        i++;
        continue;
      }
      let j = i;
      while (j < seq.length && test(seq[j]!)) j++;
      starts.push(i);
      sizes.push(j - i);
      i = j;
    }
    return { starts, sizes };
  };
  const records = [...chromosomes].map(([name, seq]) => {
    const n = runs(seq, (ch) => ch === 'N' || ch === 'n');
    const mask = runs(seq, (ch) => ch >= 'a' && ch <= 'z');
    const packed = new Uint8Array(Math.ceil(seq.length / 4));
    for (let i = 0; i < seq.length; i++) {
      const code = { T: 0, C: 1, A: 2, G: 3 }[seq[i]!.toUpperCase()] ?? 0;
      packed[i >> 2]! |= code << (6 - 2 * (i & 3));
    }
    const words = [seq.length, n.starts.length, ...n.starts, ...n.sizes, mask.starts.length, ...mask.starts, ...mask.sizes, 0];
    const head = Buffer.alloc(words.length * 4);
    words.forEach((w, i) => head.writeUInt32LE(w, i * 4));
    return { name, bytes: Buffer.concat([head, packed]) };
  });
  const indexSize = records.reduce((s, r) => s + 1 + Buffer.byteLength(r.name) + 4, 0);
  const header = Buffer.alloc(16);
  header.writeUInt32LE(0x1a412743, 0);
  header.writeUInt32LE(0, 4);
  header.writeUInt32LE(records.length, 8);
  let offset = 16 + indexSize;
  const index = records.map((r) => {
    const entry = Buffer.alloc(1 + Buffer.byteLength(r.name) + 4);
    entry.writeUInt8(Buffer.byteLength(r.name), 0);
    entry.write(r.name, 1, 'latin1');
    entry.writeUInt32LE(offset, entry.length - 4);
    offset += r.bytes.length;
    return entry;
  });
  writeFileSync(file, Buffer.concat([header, ...index, ...records.map((r) => r.bytes)]));
}
