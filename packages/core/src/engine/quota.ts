/**
 * The filesystem quota (`limits.fsBytes`): how many bytes of host memory
 * the guest's files may hold. It counts every in-memory file by its size
 * (a sparse file by its full size: its zeros are real bytes here), plus a
 * small charge per name, because an empty file or folder costs host memory
 * too. Files count while anything holds them — a directory entry (hard links
 * count once) or an open fd — so deleting a file that is not open frees its
 * bytes at once. Host folders mounted `rw` or `ro` are on the host's disk and
 * are not counted; an overlay's in-memory layer is.
 */
import { wasi, type File } from '@bjorn3/browser_wasi_shim';
import { InvalidArgumentError } from '../errors.js';

/** The default quota: room for real work, yet safe for a browser tab. */
export const DEFAULT_FS_BYTES = 256 * 1024 * 1024;

/** What each name (file, folder, overlay entry) costs on top of its characters: about a Map entry and an inode. */
export const ENTRY_BYTES = 128;

/** The longest name a folder accepts, in UTF-16 code units (Linux: 255 bytes). */
export const MAX_NAME_LENGTH = 255;

/**
 * The largest in-memory file (2 GiB - 1): past it a write, truncate or
 * allocate fails with EFBIG, whatever the quota, because JavaScript cannot
 * hold larger buffers everywhere.
 */
export const MAX_FILE_BYTES = 2 ** 31 - 1;

/** Growth past this many bytes is no longer doubled: a huge file's spare room stays bounded. */
const MAX_SPARE_BYTES = 16 * 1024 * 1024;

/**
 * The bytes charged to a box's files, and the operations that change them.
 * Every method that can fail returns a WASI errno (`wasi.ERRNO_SUCCESS` = 0),
 * because its callers are WASI calls, which must never throw into the guest.
 *
 * @example
 * ```ts
 * const quota = new FsQuota(1024 * 1024)
 * const file = new File(new Uint8Array(0))
 * quota.hold(file)                                   // linked somewhere: its bytes count
 * quota.write(file, new Uint8Array(10), 0)           // 0: 10 bytes charged
 * quota.resize(file, 2 ** 40)                        // wasi.ERRNO_FBIG
 * quota.resize(file, 2_000_000)                      // wasi.ERRNO_NOSPC
 * ```
 */
export class FsQuota {
  private usedBytes = 0;
  /** How many things hold each file: directory entries and open fds. */
  private readonly holders = new WeakMap<File, number>();

  /** @param limit bytes the files may hold (an integer ≥ 0; 0 allows no files at all) */
  constructor(readonly limit: number) {}

  /** A quota that never refuses (for a mount created outside an engine). */
  static unlimited(): FsQuota {
    return new FsQuota(Number.MAX_SAFE_INTEGER);
  }

  /** Bytes in use now. */
  get used(): number {
    return this.usedBytes;
  }

  /** Whether `bytes` more would fit. */
  fits(bytes: number): boolean {
    return bytes <= 0 || this.usedBytes + bytes <= this.limit;
  }

  /** What a name costs. */
  static entryCost(name: string): number {
    return ENTRY_BYTES + name.length;
  }

  /** Charges a new name; `force` (for undoing a removal) charges even past the limit. */
  addEntry(name: string, force = false): number {
    const cost = FsQuota.entryCost(name);
    if (!force && !this.fits(cost)) return wasi.ERRNO_NOSPC;
    this.usedBytes += cost;
    return wasi.ERRNO_SUCCESS;
  }

  /** Frees a name's charge. */
  removeEntry(name: string): void {
    this.usedBytes -= FsQuota.entryCost(name);
  }

  /**
   * Something now holds `file` (a directory entry or an open fd). Its bytes
   * count from the first holder on; this never refuses, so check
   * {@link fits} first where a new file's bytes arrive at once.
   */
  hold(file: File): void {
    const n = this.holders.get(file) ?? 0;
    if (n === 0) this.usedBytes += file.data.length;
    this.holders.set(file, n + 1);
  }

  /** Something let go of `file`; when nothing holds it any more its bytes are free. */
  drop(file: File): void {
    const n = this.holders.get(file) ?? 0;
    if (n <= 0) return;
    if (n === 1) {
      this.holders.delete(file);
      this.usedBytes -= file.data.length;
    } else {
      this.holders.set(file, n - 1);
    }
  }

  /** Whether `file` is charged (something holds it). */
  holds(file: File): boolean {
    return (this.holders.get(file) ?? 0) > 0;
  }

  /**
   * Sets a file's size (new bytes are zeros): EFBIG past {@link MAX_FILE_BYTES},
   * ENOSPC when the growth does not fit (or the host is out of memory).
   */
  resize(file: File, size: number | bigint): number {
    if (size < 0) return wasi.ERRNO_INVAL;
    if (size > MAX_FILE_BYTES) return wasi.ERRNO_FBIG;
    const next = Number(size);
    const delta = next - file.data.length;
    const charged = this.holds(file);
    if (charged && !this.fits(delta)) return wasi.ERRNO_NOSPC;
    try {
      resizeData(file, next);
    } catch {
      return wasi.ERRNO_NOSPC; // the host could not allocate the buffer
    }
    if (charged) this.usedBytes += delta;
    return wasi.ERRNO_SUCCESS;
  }

  /** Writes `data` at `offset`, growing the file as needed (EFBIG, ENOSPC as {@link resize}). */
  write(file: File, data: Uint8Array, offset: number | bigint): number {
    const end = BigInt(offset) + BigInt(data.length);
    if (end > BigInt(MAX_FILE_BYTES)) return wasi.ERRNO_FBIG;
    const at = Number(offset);
    if (Number(end) > file.data.length) {
      const ret = this.resize(file, Number(end));
      if (ret !== wasi.ERRNO_SUCCESS) return ret;
    }
    file.data.set(data, at);
    return wasi.ERRNO_SUCCESS;
  }

  /** Replaces a file's contents with a copy of `data` (ENOSPC when the growth does not fit). */
  replace(file: File, data: Uint8Array): number {
    if (data.length > MAX_FILE_BYTES) return wasi.ERRNO_FBIG;
    const delta = data.length - file.data.length;
    const charged = this.holds(file);
    if (charged && !this.fits(delta)) return wasi.ERRNO_NOSPC;
    file.data = data.slice();
    if (charged) this.usedBytes += delta;
    return wasi.ERRNO_SUCCESS;
  }
}

/**
 * Sets `file.data` to `size` bytes. Growth reuses spare room in the buffer
 * or doubles it (up to 16 MiB of spare room), so a file written in small
 * appends is copied O(log n) times, not once per write; a file that shrinks
 * to under a quarter of its buffer gets a buffer of its own size, so that
 * truncating really frees memory. Bytes past the old size read as zeros.
 */
function resizeData(file: File, size: number): void {
  const old = file.data;
  const buffer = old.buffer;
  const room = old.byteOffset === 0 && buffer instanceof ArrayBuffer ? buffer.byteLength : old.length;
  if (size <= old.length) {
    file.data = size * 4 < room ? old.slice(0, size) : old.subarray(0, size);
    return;
  }
  if (size <= room) {
    file.data = new Uint8Array(buffer, 0, size);
    file.data.fill(0, old.length);
    return;
  }
  const capacity = Math.min(MAX_FILE_BYTES, Math.max(size, Math.min(old.length * 2, size + MAX_SPARE_BYTES), 4096));
  const next = new Uint8Array(new ArrayBuffer(capacity), 0, size);
  next.set(old);
  file.data = next;
}

/**
 * Checks a `limits.fsBytes` value: a whole number of bytes, 0 or more.
 *
 * @throws InvalidArgumentError saying what to pass
 * @example
 * ```ts
 * checkFsBytes(64 * 1024 * 1024)   // fine
 * checkFsBytes(-1)                 // throws InvalidArgumentError
 * ```
 */
export function checkFsBytes(value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    const shown = typeof value === 'number' ? String(value) : typeof value;
    throw new InvalidArgumentError(`limits.fsBytes must be a whole number of bytes, 0 or more (e.g. 64 * 1024 * 1024), got ${shown}`);
  }
}
