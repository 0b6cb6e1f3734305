/** Server frames parsed from a byte buffer: whole frames with the offset each ends at, and what is left of a partial one. */
export function parseFrames(data: Buffer): { frames: Array<{ fin: boolean; opcode: number; payload: Buffer; end: number }>; rest: Buffer } {
  const frames: Array<{ fin: boolean; opcode: number; payload: Buffer; end: number }> = [];
  let i = 0;
  while (data.length - i >= 2) {
    let length = data[i + 1] & 0x7f;
    let p = i + 2;
    if (length === 126) {
      if (data.length < p + 2) break;
      length = data.readUInt16BE(p);
      p += 2;
    } else if (length === 127) {
      if (data.length < p + 8) break;
      length = Number(data.readBigUInt64BE(p));
      p += 8;
    }
    if ((data[i + 1] & 0x80) !== 0) p += 4; // a masked frame: the server must not send one, but it is skipped whole
    if (data.length < p + length) break;
    frames.push({ fin: (data[i] & 0x80) !== 0, opcode: data[i] & 0x0f, payload: data.subarray(p, p + length), end: p + length });
    i = p + length;
  }
  return { frames, rest: data.subarray(i) };
}
