/**
 * A streaming reader for numeric arrays in MATLAB level-5 MAT-files (the format of DeepSEA's
 * valid.mat and test.mat), compressed (miCOMPRESSED, MATLAB 7) or not. Arrays are delivered in
 * chunks in MATLAB's column-major order, so a multi-GB variable never sits in memory.
 * Format: "MAT-File Format", The MathWorks, sections 1-2 (tags, small data elements, miMATRIX).
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { createInflate } from 'node:zlib';
import { UserError } from '../errors.js';
import { fileSize, type SourceFile } from './source.js';

const HEADER_BYTES = 128;
const MI_INT8 = 1;
const MI_UINT32 = 6;
const MI_INT32 = 5;
const MI_MATRIX = 14;
const MI_COMPRESSED = 15;
/** Deflate cannot expand data more than ~1032 times: a compressed element that declares more is hostile or corrupt. */
const MAX_DEFLATE_RATIO = 1032;
/** Header fields that are small in any real file: bounded before they are read into memory. */
const MAX_DIMS = 32;
const MAX_NAME_BYTES = 4096;

/** Bytes per element of each numeric miTYPE, with a typed-array constructor to view them. */
const ELEMENT_TYPES: Record<number, { bytes: number; view: (b: ArrayBuffer, offset: number, n: number) => ArrayLike<number> }> = {
  1: { bytes: 1, view: (b, o, n) => new Int8Array(b, o, n) },
  2: { bytes: 1, view: (b, o, n) => new Uint8Array(b, o, n) },
  3: { bytes: 2, view: (b, o, n) => new Int16Array(b, o, n) },
  4: { bytes: 2, view: (b, o, n) => new Uint16Array(b, o, n) },
  5: { bytes: 4, view: (b, o, n) => new Int32Array(b, o, n) },
  6: { bytes: 4, view: (b, o, n) => new Uint32Array(b, o, n) },
  7: { bytes: 4, view: (b, o, n) => new Float32Array(b, o, n) },
  9: { bytes: 8, view: (b, o, n) => new Float64Array(b, o, n) },
  12: { bytes: 8, view: (b, o, n) => Float64Array.from(new BigInt64Array(b, o, n), Number) },
  13: { bytes: 8, view: (b, o, n) => Float64Array.from(new BigUint64Array(b, o, n), Number) },
};

const CLASS_NAMES: Record<number, string> = {
  1: 'cell',
  2: 'struct',
  3: 'object',
  4: 'char',
  5: 'sparse',
  6: 'double',
  7: 'single',
  8: 'int8',
  9: 'uint8',
  10: 'int16',
  11: 'uint16',
  12: 'int32',
  13: 'uint32',
  14: 'int64',
  15: 'uint64',
};
const NUMERIC_CLASSES = new Set([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);

export interface MatVariable {
  name: string;
  /** MATLAB dimensions (column-major: the first index varies fastest in the data). */
  dims: number[];
  className: string;
  numeric: boolean;
  complex: boolean;
  /** Where the top-level element starts in the file. */
  offset: number;
}

/** Is this a level-5 MAT-file (as opposed to v7.3, which is HDF5 behind a MAT-file text header)? */
export function isMatV5(head: Uint8Array): boolean {
  if (head.length < HEADER_BYTES || Buffer.from(head.subarray(0, 6)).toString('latin1') !== 'MATLAB') return false;
  const littleEndian = head[126] === 0x49 && head[127] === 0x4d;
  const version = littleEndian ? head[124]! | (head[125]! << 8) : (head[124]! << 8) | head[125]!;
  return version === 0x0100;
}

/** The variables in the file, reading only each element's header. */
export async function listMatV5(file: SourceFile): Promise<MatVariable[]> {
  const size = fileSize(file);
  const fd = openSync(file.abs, 'r');
  const vars: MatVariable[] = [];
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    if (readSync(fd, header, 0, HEADER_BYTES, 0) < HEADER_BYTES || !isMatV5(header)) {
      throw new UserError(`${file.display}: not a MATLAB MAT-file (no level-5 MAT-file header).`);
    }
    if (header[126] !== 0x49 || header[127] !== 0x4d) {
      throw new UserError(`${file.display}: a big-endian MAT-file, which is not supported; save it again on a little-endian machine (any PC).`);
    }
    const tag = Buffer.alloc(8);
    for (let offset = HEADER_BYTES; offset + 8 <= size;) {
      readSync(fd, tag, 0, 8, offset);
      const type = tag.readUInt32LE(0);
      const nbytes = tag.readUInt32LE(4);
      if (offset + 8 + nbytes > size) throw truncated(file);
      if (type === MI_MATRIX || type === MI_COMPRESSED) {
        const element = await openElement(file, offset);
        try {
          vars.push({ ...(await readMatrixHeader(element, file)).variable, offset });
        } finally {
          await element.close();
        }
      }
      offset += 8 + nbytes;
    }
  } finally {
    closeSync(fd);
  }
  return vars;
}

/**
 * Streams a numeric variable's real part: `onValues(values, first)` receives consecutive runs,
 * `values[0]` being element `first` in column-major order.
 */
export async function streamMatV5Values(file: SourceFile, variable: MatVariable, onValues: (values: ArrayLike<number>, first: number) => void): Promise<void> {
  const element = await openElement(file, variable.offset);
  try {
    const { dataType, dataBytes, small } = await readMatrixHeader(element, file);
    const type = ELEMENT_TYPES[dataType];
    if (!type) throw new UserError(`${file.display}: variable '${variable.name}' is stored with MAT data type ${dataType}, which this reader does not support.`);
    let first = 0;
    let carry = new Uint8Array(0);
    const chunks = small ? [small.subarray(0, dataBytes)] : element.reader.take(dataBytes);
    for await (const chunk of chunks) {
      let bytes: Uint8Array = chunk;
      if (carry.length > 0) {
        bytes = new Uint8Array(carry.length + chunk.length);
        bytes.set(carry);
        bytes.set(chunk, carry.length);
      }
      const n = Math.floor(bytes.length / type.bytes);
      if (n > 0) {
        // Typed-array views need aligned offsets; a copy realigns the rare unaligned chunk.
        const aligned = bytes.byteOffset % type.bytes === 0 ? bytes : bytes.slice();
        onValues(type.view(aligned.buffer as ArrayBuffer, aligned.byteOffset, n), first);
        first += n;
      }
      carry = bytes.slice(n * type.bytes);
    }
  } finally {
    await element.close();
  }
}

/** A byte reader over a top-level element's content (inflated when compressed), starting at the miMATRIX tag. */
interface Element {
  reader: ByteReader;
  /** The size of the element in the file; its content inflates from it when compressed. */
  storedBytes: number;
  compressed: boolean;
  close(): Promise<void>;
}

async function openElement(file: SourceFile, offset: number): Promise<Element> {
  const fd = openSync(file.abs, 'r');
  const tag = Buffer.alloc(8);
  readSync(fd, tag, 0, 8, offset);
  closeSync(fd);
  const type = tag.readUInt32LE(0);
  const nbytes = tag.readUInt32LE(4);
  const raw = createReadStream(file.abs, { start: type === MI_COMPRESSED ? offset + 8 : offset, end: offset + 8 + nbytes - 1, highWaterMark: 1 << 20 });
  const stream = type === MI_COMPRESSED ? raw.pipe(createInflate({ chunkSize: 1 << 20 })) : raw;
  if (stream !== raw) raw.on('error', (err) => stream.destroy(err));
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const reader = new ByteReader(
    iterator,
    () => truncated(file),
    (err) => corrupt(file, err),
  );
  return {
    reader,
    storedBytes: nbytes,
    compressed: type === MI_COMPRESSED,
    close: async () => {
      await iterator.return?.();
      raw.destroy();
    },
  };
}

/**
 * The variable a miMATRIX element describes. Every size in it is checked against what holds it before
 * anything is read or allocated by it: the matrix against its stored (or at most inflated) element,
 * the dimensions and name against small limits, and the data's size against the dimensions.
 */
async function readMatrixHeader(element: Element, file: SourceFile): Promise<{ variable: Omit<MatVariable, 'offset'>; dataType: number; dataBytes: number; small?: Buffer }> {
  const { reader } = element;
  const matrix = await reader.tag();
  if (matrix.type !== MI_MATRIX) throw corrupt(file, new Error(`expected a matrix element, found data type ${matrix.type}`));
  const room = element.compressed ? element.storedBytes * MAX_DEFLATE_RATIO : element.storedBytes;
  if (matrix.nbytes > room) {
    throw corrupt(file, new Error(`a matrix declares ${matrix.nbytes} bytes, more than its ${element.storedBytes}-byte${element.compressed ? ' compressed' : ''} element can hold`));
  }
  const flagsTag = await reader.tag();
  if (flagsTag.type !== MI_UINT32 || flagsTag.nbytes !== 8) throw corrupt(file, new Error('bad array flags'));
  const flags = (await reader.read(8)).readUInt32LE(0);
  const classId = flags & 0xff;
  const complex = (flags & 0x800) !== 0;
  const dimsTag = await reader.tag();
  if (dimsTag.type !== MI_INT32 || dimsTag.nbytes % 4 !== 0 || dimsTag.nbytes < 8 || dimsTag.nbytes > MAX_DIMS * 4) {
    throw corrupt(file, new Error(`bad dimensions (${dimsTag.nbytes} bytes of data type ${dimsTag.type}; expected 2 to ${MAX_DIMS} int32 values)`));
  }
  const dimsBytes = await reader.padded(dimsTag);
  const dims = Array.from({ length: dimsTag.nbytes / 4 }, (_, i) => dimsBytes.readInt32LE(i * 4));
  if (dims.some((d) => d < 0)) throw corrupt(file, new Error(`negative dimensions ${dims.join(' x ')}`));
  const nameTag = await reader.tag();
  if (nameTag.type !== MI_INT8 || nameTag.nbytes > MAX_NAME_BYTES) throw corrupt(file, new Error('bad array name'));
  const name = (await reader.padded(nameTag)).toString('latin1', 0, nameTag.nbytes);
  const variable = { name, dims, className: CLASS_NAMES[classId] ?? `class ${classId}`, numeric: NUMERIC_CLASSES.has(classId), complex };
  if (!variable.numeric) return { variable, dataType: 0, dataBytes: 0 };
  const data = await reader.tag();
  const type = ELEMENT_TYPES[data.type];
  const declared = dims.reduce((n, d) => n * d, 1);
  if (type && data.nbytes !== declared * type.bytes) {
    throw corrupt(file, new Error(`variable '${name}' is ${dims.join(' x ')} (${declared} values of ${type.bytes} bytes) but holds ${data.nbytes} bytes`));
  }
  if (data.nbytes > matrix.nbytes) throw corrupt(file, new Error(`variable '${name}' declares ${data.nbytes} bytes of data in a ${matrix.nbytes}-byte matrix`));
  return { variable, dataType: data.type, dataBytes: data.nbytes, ...(data.small ? { small: data.small } : {}) };
}

interface Tag {
  type: number;
  nbytes: number;
  /** Small data element: the data sits in the tag's last 4 bytes. */
  small?: Buffer;
}

class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;

  constructor(
    private readonly it: AsyncIterator<Buffer>,
    private readonly endError: () => Error,
    private readonly streamError: (err: unknown) => Error,
  ) {}

  private async next(): Promise<Buffer> {
    let result: IteratorResult<Buffer>;
    try {
      result = await this.it.next();
    } catch (err) {
      throw this.streamError(err);
    }
    if (result.done) throw this.endError();
    return result.value;
  }

  async read(n: number): Promise<Buffer> {
    while (this.buf.length - this.pos < n) {
      const chunk = await this.next();
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
      this.pos = 0;
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  async tag(): Promise<Tag> {
    const head = await this.read(8);
    const first = head.readUInt32LE(0);
    if (first >>> 16 !== 0) return { type: first & 0xffff, nbytes: first >>> 16, small: head.subarray(4, 8) };
    return { type: first, nbytes: head.readUInt32LE(4) };
  }

  /** A tag's data, skipping the padding to the next 8-byte boundary. */
  async padded(tag: Tag): Promise<Buffer> {
    if (tag.small) return tag.small;
    const data = Buffer.from(await this.read(tag.nbytes));
    if (tag.nbytes % 8 !== 0) await this.read(8 - (tag.nbytes % 8));
    return data;
  }

  /** The next n bytes, as they arrive. */
  async *take(n: number): AsyncGenerator<Buffer> {
    while (n > 0) {
      if (this.pos >= this.buf.length) {
        this.buf = await this.next();
        this.pos = 0;
      }
      const k = Math.min(n, this.buf.length - this.pos);
      yield this.buf.subarray(this.pos, this.pos + k);
      this.pos += k;
      n -= k;
    }
  }
}

function truncated(file: SourceFile): UserError {
  return new UserError(`${file.display}: the MAT-file ends early: it is truncated (an interrupted download or copy?). Download it again.`);
}

function corrupt(file: SourceFile, err: unknown): Error {
  if (err instanceof UserError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'Z_BUF_ERROR') return truncated(file);
  return new UserError(`${file.display}: the MAT-file is corrupt (${(err as Error).message}). Download it again.`);
}
