/** Blocks small pieces are copied into; big enough that a message costs few of them. */
const BLOCK_SIZE = 16 * 1024;
/** Below this a piece is copied anyway: a Buffer object per piece costs more than the copy. */
const MIN_VIEW = 1024;

/**
 * True when `view` is at least half of the memory it keeps alive, so holding
 * on to it costs at most twice its size; otherwise copy it before keeping it.
 */
export function fillsItsBuffer(view: Uint8Array): boolean {
  return view.length * 2 >= view.buffer.byteLength;
}

/**
 * The payload of a fragmented message as it arrives, piece by piece (§5.4).
 *
 * A piece that fills most of the socket chunk it was read in is kept as a
 * view of that chunk: no copy. Any other piece is copied into shared blocks,
 * because keeping it would hold a Buffer object per piece and, worse, the
 * whole chunk behind it: a peer sending one-byte fragments (7 bytes each on
 * the wire, masked) could make us hold ~100 times the message size limit.
 * With this rule the memory held stays under about twice the message size.
 */
export class MessageParts {
  /** Total payload bytes pushed. */
  size = 0;
  private readonly list: Buffer[] = [];
  private block: Buffer | null = null;
  private blockStart = 0;
  private blockEnd = 0;

  push(piece: Buffer): void {
    if (piece.length === 0) return;
    this.size += piece.length;
    if (piece.length >= MIN_VIEW && fillsItsBuffer(piece)) {
      this.seal();
      this.list.push(piece);
      return;
    }
    let block = this.block;
    if (block !== null) {
      const room = block.length - this.blockEnd;
      if (piece.length <= room) {
        piece.copy(block, this.blockEnd);
        this.blockEnd += piece.length;
        return;
      }
      // Fill the block to the end, then carry the rest into a new one.
      piece.copy(block, this.blockEnd, 0, room);
      this.blockEnd += room;
      piece = piece.subarray(room);
      this.seal();
    }
    block = Buffer.allocUnsafe(Math.max(BLOCK_SIZE, piece.length));
    piece.copy(block, 0);
    this.block = block;
    this.blockStart = 0;
    this.blockEnd = piece.length;
  }

  /** The pieces in order, for inflating or joining. */
  take(): Buffer[] {
    this.seal();
    return this.list;
  }

  /** Closes the current block's run, keeping its free space for later small pieces. */
  private seal(): void {
    if (this.blockEnd > this.blockStart) {
      this.list.push(this.block!.subarray(this.blockStart, this.blockEnd));
      this.blockStart = this.blockEnd;
    }
    if (this.block !== null && this.blockEnd === this.block.length) this.block = null;
  }
}
