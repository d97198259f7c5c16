/**
 * Seeded pseudo-random numbers shared by every part that must be reproducible: data synthesis,
 * train/valid splits, weight init, batch order, dropout masks, random search and ASHA.
 * Pure and dependency-free so workflow code may import it. The state is one 32-bit integer, so
 * it can be checkpointed and restored exactly (`rng.state` / `new Rng(seed, state)`).
 */
export class Rng {
  private s: number;

  constructor(seed: number, state?: number) {
    this.s = state ?? hashSeed(seed);
  }

  /** The current state; `new Rng(0, rng.state)` continues the same stream. */
  get state(): number {
    return this.s;
  }

  /** Uniform in [0, 1), mulberry32. */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A new independent stream derived from this one and a label (e.g. 'init', 'dropout'). */
  fork(label: string): Rng {
    return new Rng(this.s ^ hashString(label));
  }

  /** Fisher-Yates permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}

/** splitmix-style scramble so nearby seeds give unrelated streams. */
export function hashSeed(seed: number): number {
  let z = (seed | 0) + 0x9e3779b9;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) | 0;
}

export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}
