/**
 * The protobuf wire format, as far as TensorFlow's FunctionDef (written) and OpList (read) need
 * it: varints, length-delimited fields, float32. Small enough to own rather than depend on
 * protobufjs, which reaches node_modules only through other packages.
 */

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

export class ProtoWriter {
  private readonly bytes: number[] = [];

  /** A varint field; negative int64 values are written as ten-byte two's complement, as protobuf does. */
  varint(field: number, value: number | boolean): this {
    this.tag(field, VARINT);
    this.rawVarint(typeof value === 'boolean' ? (value ? 1 : 0) : value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, FIXED32);
    const buffer = new DataView(new ArrayBuffer(4));
    buffer.setFloat32(0, value, true);
    for (let i = 0; i < 4; i++) this.bytes.push(buffer.getUint8(i));
    return this;
  }

  string(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  bytesField(field: number, value: Uint8Array): this {
    this.tag(field, LENGTH_DELIMITED);
    this.rawVarint(value.length);
    for (const byte of value) this.bytes.push(byte);
    return this;
  }

  message(field: number, write: (writer: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    write(inner);
    return this.bytesField(field, inner.finish());
  }

  /** A packed repeated varint field (proto3's default for repeated scalars). */
  packedVarints(field: number, values: readonly (number | boolean)[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.rawVarint(typeof v === 'boolean' ? (v ? 1 : 0) : v);
    return this.bytesField(field, inner.finish());
  }

  packedFloats(field: number, values: readonly number[]): this {
    const data = new Float32Array(values);
    return this.bytesField(field, new Uint8Array(data.buffer));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }

  private tag(field: number, wireType: number): void {
    this.rawVarint(field * 8 + wireType);
  }

  private rawVarint(value: number): void {
    if (!Number.isSafeInteger(value)) throw new Error(`protobuf varint: ${value} is not a safe integer`);
    let v = BigInt.asUintN(64, BigInt(value));
    do {
      const low = Number(v & 0x7fn);
      v >>= 7n;
      this.bytes.push(v > 0n ? low | 0x80 : low);
    } while (v > 0n);
  }
}

export interface ProtoField {
  field: number;
  /** The varint's value, or the field's bytes when length-delimited. */
  value: number | Uint8Array;
}

/** The fields of one message, in order; fixed-width fields other than what callers read are skipped. */
export function readFields(bytes: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  let at = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (at >= bytes.length) throw new Error('protobuf: truncated varint');
      const byte = bytes[at++]!;
      result += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) return result;
    }
  };
  while (at < bytes.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    switch (tag % 8) {
      case VARINT:
        fields.push({ field, value: varint() });
        break;
      case LENGTH_DELIMITED: {
        const length = varint();
        fields.push({ field, value: bytes.subarray(at, at + length) });
        at += length;
        break;
      }
      case FIXED64:
        at += 8;
        break;
      case FIXED32:
        at += 4;
        break;
      default:
        throw new Error(`protobuf: unsupported wire type ${tag % 8}`);
    }
  }
  return fields;
}

export function decodeString(value: number | Uint8Array): string {
  return typeof value === 'number' ? '' : new TextDecoder().decode(value);
}
