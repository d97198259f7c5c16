/**
 * The base codes of the encoded cache (one byte per position) and their one-hot meaning.
 * Channel order of every decoded array is A, C, G, T.
 */
export const BASE_A = 0;
export const BASE_C = 1;
export const BASE_G = 2;
export const BASE_T = 3;
/** N and every other IUPAC ambiguity code: 0.25 in each channel. */
export const BASE_AMBIGUOUS = 4;
/** A position with no base at all (DeepSEA arrays encode N as all-zero columns): 0 in each channel. */
export const BASE_NONE = 5;
/** Marks a byte that is not a DNA letter in the lookup table below. */
export const INVALID = 255;

export const AMBIGUITY_CODES = 'NRYSWKMBDHV';

/** Byte -> base code, case-insensitive; INVALID for anything that is not a DNA letter. */
export const BASE_CODE_OF_BYTE: Uint8Array = (() => {
  const table = new Uint8Array(256).fill(INVALID);
  const set = (letters: string, code: number) => {
    for (const ch of letters) {
      table[ch.charCodeAt(0)] = code;
      table[ch.toLowerCase().charCodeAt(0)] = code;
    }
  };
  set('A', BASE_A);
  set('C', BASE_C);
  set('G', BASE_G);
  set('T', BASE_T);
  set(AMBIGUITY_CODES, BASE_AMBIGUOUS);
  return table;
})();

/** Code -> the 4 channel values. */
const ONE_HOT = new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0.25, 0.25, 0.25, 0.25, 0, 0, 0, 0]);

/** A<->T, C<->G; ambiguity and "no base" stay as they are. */
export const COMPLEMENT_CODE = new Uint8Array([BASE_T, BASE_G, BASE_C, BASE_A, BASE_AMBIGUOUS, BASE_NONE]);

/** Writes one sequence's codes as one-hot rows [position][A,C,G,T] into x at offset, optionally reverse-complemented. */
export function decodeOneHot(codes: Uint8Array, x: Float32Array, offset: number, reverseComplement = false): void {
  const n = codes.length;
  for (let p = 0; p < n; p++) {
    const code = reverseComplement ? COMPLEMENT_CODE[codes[n - 1 - p]!]! : codes[p]!;
    const o = offset + p * 4;
    const b = code * 4;
    x[o] = ONE_HOT[b]!;
    x[o + 1] = ONE_HOT[b + 1]!;
    x[o + 2] = ONE_HOT[b + 2]!;
    x[o + 3] = ONE_HOT[b + 3]!;
  }
}
