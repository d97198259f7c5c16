// Hostile MAT-files: every size a level-5 MAT-file declares is checked against the bytes that hold
// it before it is used, so a small file cannot make the reader allocate or inflate without limit.
import { test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { listMatV5 } from '../../src/data/matv5.js';
import { sourceFile } from '../../src/data/source.js';
import { rejectsWith, tempDir, write } from './data-helpers.js';

const pad8 = (b: Buffer) => Buffer.concat([b, Buffer.alloc((8 - (b.length % 8)) % 8)]);
function tag(type: number, nbytes: number): Buffer {
  const t = Buffer.alloc(8);
  t.writeUInt32LE(type, 0);
  t.writeUInt32LE(nbytes, 4);
  return t;
}

/** A miMATRIX of doubles: dims as declared, `data` as the data bytes; each size overridable. */
function matrix(options: { dims: number[]; data: Buffer; dimsBytes?: number; matrixBytes?: number }): Buffer {
  const dims = Buffer.alloc(options.dims.length * 4);
  options.dims.forEach((d, i) => dims.writeInt32LE(d, i * 4));
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE(6, 0); // mxDOUBLE_CLASS
  const name = Buffer.from('x');
  const content = Buffer.concat([tag(6, 8), flags, tag(5, options.dimsBytes ?? dims.length), pad8(dims), tag(1, name.length), pad8(name), tag(9, options.data.length), pad8(options.data)]);
  return Buffer.concat([tag(14, options.matrixBytes ?? content.length), content]);
}

function matFile(element: Buffer): Buffer {
  const header = Buffer.alloc(128, ' ');
  header.write('MATLAB 5.0 MAT-file, hostile test', 0, 'latin1');
  header.writeUInt16LE(0x0100, 124);
  header.write('IM', 126, 'latin1');
  return Buffer.concat([header, element]);
}

function hostile(name: string, bytes: Buffer) {
  const dir = tempDir();
  write(dir, name, bytes);
  return listMatV5(sourceFile(name, dir));
}

test('a 1 KB file that declares 2^31 records is refused: the data does not hold them', async () => {
  await rejectsWith(
    hostile('huge-dims.mat', matFile(matrix({ dims: [2 ** 31 - 1, 4, 1000], data: Buffer.alloc(16) }))),
    /huge-dims\.mat: the MAT-file is corrupt \(variable 'x' is 2147483647 x 4 x 1000 \(8589934588000 values of 8 bytes\) but holds 16 bytes\)/,
  );
});

test('negative dimensions are refused', async () => {
  await rejectsWith(hostile('negative.mat', matFile(matrix({ dims: [-2, 4], data: Buffer.alloc(0) }))), /negative\.mat: the MAT-file is corrupt \(negative dimensions -2 x 4\)/);
});

test('a dimensions field larger than any real array is refused before it is read', async () => {
  await rejectsWith(
    hostile('dims-tag.mat', matFile(matrix({ dims: [1, 1], data: Buffer.alloc(8), dimsBytes: 1 << 30 }))),
    /dims-tag\.mat: the MAT-file is corrupt \(bad dimensions \(1073741824 bytes/,
  );
});

test('a small compressed element that declares gigabytes is refused before it is inflated', async () => {
  const inner = matrix({ dims: [1, 1], data: Buffer.alloc(8), matrixBytes: 2 ** 32 - 1 });
  const compressed = deflateSync(inner);
  await rejectsWith(
    hostile('bomb.mat', matFile(Buffer.concat([tag(15, compressed.length), compressed]))),
    new RegExp(`bomb\\.mat: the MAT-file is corrupt \\(a matrix declares 4294967295 bytes, more than its ${compressed.length}-byte compressed element can hold\\)`),
  );
});
