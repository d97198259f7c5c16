/** Letters to base codes with the checks every text format shares: alphabet and length policy. */
import { UserError } from '../errors.js';
import { AMBIGUITY_CODES, BASE_AMBIGUOUS, BASE_CODE_OF_BYTE, INVALID } from './encoding.js';
import type { LengthPolicy } from './dataset-spec.js';

/**
 * Writes the base codes of src[start, end) into dst at dstOffset. Returns -1, or the index
 * (from start) of the first byte that is not a DNA letter; dst is then partly written.
 */
export function codeBases(src: Uint8Array, start: number, end: number, dst: Uint8Array, dstOffset: number): number {
  for (let i = start; i < end; i++) {
    const code = BASE_CODE_OF_BYTE[src[i]!]!;
    if (code === INVALID) return i - start;
    dst[dstOffset + i - start] = code;
  }
  return -1;
}

/** `where` names the record ("train.tsv line 12 (id 'x')"); position is 1-based within the sequence. */
export function invalidBaseError(where: string, position: number, byte: number): UserError {
  const shown = byte === 32 ? 'a space' : byte === 9 ? 'a tab' : byte > 32 && byte < 127 ? `'${String.fromCharCode(byte)}'` : `the byte 0x${byte.toString(16).padStart(2, '0')}`;
  return new UserError(
    `${where}, sequence position ${position}: ${shown} is not a DNA base. Sequences may contain A, C, G, T (any case) and the IUPAC ambiguity codes ${AMBIGUITY_CODES.split('').join(', ')}.`,
  );
}

/**
 * Copies `length` codes into a seqLen-long slot according to the length policy: equal lengths as
 * they are, longer ones centre-cropped ('center-crop'), shorter ones padded with N on both sides ('pad').
 */
export function fitLength(codes: Uint8Array, length: number, seqLen: number, policy: LengthPolicy, dst: Uint8Array, dstOffset: number, where: () => string): void {
  if (length === 0) {
    throw new UserError(`${where()}: the sequence is empty.`);
  } else if (length === seqLen) {
    dst.set(codes.subarray(0, length), dstOffset);
  } else if (length > seqLen && policy === 'center-crop') {
    const from = (length - seqLen) >> 1;
    dst.set(codes.subarray(from, from + seqLen), dstOffset);
  } else if (length < seqLen && policy === 'pad') {
    const left = (seqLen - length) >> 1;
    dst.fill(BASE_AMBIGUOUS, dstOffset, dstOffset + seqLen);
    dst.set(codes.subarray(0, length), dstOffset + left);
  } else {
    throw lengthError(where(), length, seqLen, policy);
  }
}

function lengthError(where: string, length: number, seqLen: number, policy: LengthPolicy): UserError {
  const fix =
    length > seqLen
      ? `Set "lengthPolicy": "center-crop" to keep the central ${seqLen} bases${policy === 'pad' ? ' (the current policy, pad, only lengthens shorter sequences)' : ''}, or set the model's seqLen to the data's length.`
      : `Set "lengthPolicy": "pad" to pad shorter sequences with N${policy === 'center-crop' ? ' (the current policy, center-crop, only shortens longer sequences)' : ''}, or set the model's seqLen to the data's length.`;
  return new UserError(`${where}: the sequence is ${length} bases long, but seqLen is ${seqLen}. ${fix}`);
}
