/**
 * Downloads the guest (the wasm module, the stdlib zip, the boot image) with
 * progress in bytes, for the page's loading bar, and hands them to PyBox as
 * blob: URLs. PyBox would fetch the same files itself; fetching them here
 * is only so that the page can show how far the download is.
 */
import type { AssetUrls } from '@pybox/core';
import imageUrl from '@pybox/core/wasm/pybox.image?url';
import wasmUrl from '@pybox/core/wasm/pybox.wasm?url';
import stdlibUrl from '@pybox/core/wasm/python313.zip?url';

/** How far the download is: bytes so far and in all (0 while a size is unknown). */
export interface Progress {
  loaded: number;
  total: number;
}

const FILES = [
  { key: 'wasm', name: 'pybox.wasm', url: wasmUrl, type: 'application/wasm' },
  { key: 'stdlib', name: 'python313.zip', url: stdlibUrl, type: 'application/zip' },
  { key: 'image', name: 'pybox.image', url: imageUrl, type: 'application/octet-stream' },
] as const;

/**
 * Fetches the three assets at once, reporting progress, and returns blob:
 * URLs for `PyBox.create({ assets })`. The URLs stay valid for the page's
 * life (a box created again, after new limits, reuses them).
 *
 * @example
 * ```ts
 * const assets = await downloadGuest((p) => bar.value = p.loaded / p.total)
 * const box = await PyBox.create({ assets })
 * ```
 */
export async function downloadGuest(onProgress: (p: Progress) => void): Promise<AssetUrls> {
  const loaded = FILES.map(() => 0);
  const totals = FILES.map(() => 0);
  const report = () => onProgress({ loaded: sum(loaded), total: totals.every((t) => t > 0) ? sum(totals) : 0 });
  const blobs = await Promise.all(
    FILES.map(async (file, i) => {
      const response = await fetch(file.url);
      if (!response.ok || !response.body) throw new Error(`could not download ${file.url}: HTTP ${response.status}`);
      // The size known at build time, else Content-Length (absent when the server compresses on the fly).
      const encoded = response.headers.get('content-encoding');
      totals[i] = __GUEST_SIZES__[file.name] || (encoded ? 0 : Number(response.headers.get('content-length') ?? 0));
      const chunks: Uint8Array[] = [];
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        loaded[i]! += value.byteLength;
        totals[i] = Math.max(totals[i]!, loaded[i]!);
        report();
      }
      return new Blob(chunks as BlobPart[], { type: file.type });
    }),
  );
  const urls = Object.fromEntries(FILES.map((file, i) => [file.key, URL.createObjectURL(blobs[i]!)]));
  return { wasm: urls.wasm, stdlib: urls.stdlib, image: urls.image };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
