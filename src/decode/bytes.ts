/**
 * Big-endian reads for the decoders. Callers check the offsets against the
 * captured length first; these do no bounds checking of their own.
 */

export function readU16(buf: Buffer, off: number): number {
  return (buf[off] << 8) | buf[off + 1];
}

export function readU32(buf: Buffer, off: number): number {
  // `>>> 0` keeps the top bit from turning the result negative
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}
