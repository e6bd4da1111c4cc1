// Allocation of byte ranges inside a fixed memory (the WASM memory the SIMD kernels address):
// first fit from the released blocks, else a bump pointer. Released blocks are kept sorted by
// address and merged with their neighbours, and a block that ends at the bump pointer lowers it,
// so workspaces that grow (released, then reserved again larger) do not use up the memory.
// Pure bookkeeping over numbers: the caller makes the typed-array views and zeroes reused blocks.

/** Every block is a multiple of this many bytes and starts at such an address (SIMD loads). */
export const ALIGN = 16;

export class Arena {
  private top: number;
  private clean: number; // bytes from here on were never handed out: still zero
  private readonly free: Array<[number, number]> = []; // [address, bytes], sorted, never adjacent
  private readonly live = new Map<number, number>(); // address → bytes of each reserved block

  /** Addresses [start, end); start must be a multiple of ALIGN. */
  constructor(start: number, readonly end: number) {
    this.top = start;
    this.clean = start;
  }

  /** Bytes the next reserve() of a never-used region would start at (the high-water mark). */
  get highWater(): number {
    return this.top;
  }

  /** Bytes currently reserved. */
  get reservedBytes(): number {
    let n = 0;
    for (const b of this.live.values()) n += b;
    return n;
  }

  /**
   * The address of `bytes` (rounded up to ALIGN, at least ALIGN) free bytes, or −1 when none is
   * left. `dirty`: some of its bytes were handed out before (the caller zeroes them if it must).
   */
  reserve(bytes: number): { at: number; dirty: boolean } {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.free.length; i++) {
      const [at, n] = this.free[i];
      if (n < size) continue;
      if (n === size) this.free.splice(i, 1);
      else this.free[i] = [at + size, n - size];
      this.live.set(at, size);
      return { at, dirty: true };
    }
    if (this.top + size > this.end) return { at: -1, dirty: false };
    const at = this.top;
    this.top += size;
    this.live.set(at, size);
    const dirty = at < this.clean;
    this.clean = Math.max(this.clean, this.top);
    return { at, dirty };
  }

  /** Returns the block that starts at `at` (a no-op for any other address, or a second release). */
  release(at: number): void {
    const size = this.live.get(at);
    if (size === undefined) return;
    this.live.delete(at);
    let start = at;
    let n = size;
    // insert sorted, merging with the free neighbours
    let i = 0;
    while (i < this.free.length && this.free[i][0] < start) i++;
    if (i > 0 && this.free[i - 1][0] + this.free[i - 1][1] === start) {
      i--;
      start = this.free[i][0];
      n += this.free[i][1];
      this.free.splice(i, 1);
    }
    if (i < this.free.length && start + n === this.free[i][0]) {
      n += this.free[i][1];
      this.free.splice(i, 1);
    }
    if (start + n === this.top) this.top = start; // the block was the last one: the bump pointer takes it back
    else this.free.splice(i, 0, [start, n]);
  }
}
