/**
 * WASI filestats written with the right layout.
 */
import { wasi } from '@bjorn3/browser_wasi_shim';

/**
 * A WASI filestat with the right layout (the shim's own writes the times at
 * offsets 38, 46 and 52, over the top bytes of the size).
 *
 * @example
 * ```ts
 * const stat = new WasiStat(file.ino, wasi.FILETYPE_REGULAR_FILE, 10n)
 * ```
 */
export class WasiStat extends wasi.Filestat {
  override write_bytes(view: DataView, ptr: number): void {
    view.setBigUint64(ptr, this.dev, true);
    view.setBigUint64(ptr + 8, this.ino, true);
    view.setUint8(ptr + 16, this.filetype);
    view.setBigUint64(ptr + 24, this.nlink, true);
    view.setBigUint64(ptr + 32, this.size, true);
    view.setBigUint64(ptr + 40, this.atim, true);
    view.setBigUint64(ptr + 48, this.mtim, true);
    view.setBigUint64(ptr + 56, this.ctim, true);
  }
}
