/**
 * The stdlib bundle as a file of the guest's filesystem: its bytes, or — in
 * browsers — a URL it is read from. A box booted from the boot image has its
 * most-used modules imported already, so the first result needs no byte of
 * the bundle: it is fetched in the background, and read with a blocking
 * request (which a worker may make) only if Python imports a module the image
 * does not hold before that fetch is done.
 */
import { File } from '@bjorn3/browser_wasi_shim';

/** Where the stdlib bundle comes from: its bytes, or the URL of `python313.zip`. */
export type StdlibSource = Uint8Array | { url: string };

/**
 * The read-only file `/lib/python313.zip` for a source. The bytes are never
 * copied (boxes of one thread share them; the shim never writes in place).
 *
 * @example
 * ```ts
 * const zip = bundleFile({ url: new URL('python313.zip', base).href })
 * ```
 */
export function bundleFile(source: StdlibSource): File {
  if (source instanceof Uint8Array) {
    const file = new File(new Uint8Array(0), { readonly: true });
    file.data = source;
    return file;
  }
  if (typeof source !== 'object' || source === null || typeof source.url !== 'string') {
    throw new TypeError('assets.stdlib must be the bundle\'s bytes (a Uint8Array) or { url }');
  }
  return new FetchedBundle(source.url);
}

/**
 * The bundle from a URL: fetched in the background at once, read with a blocking request only if
 * Python needs it first. That read bypasses the HTTP cache: in Chromium a cacheable request
 * waits on any unfinished request of the same URL (the cache entry's lock), and the background
 * fetch could only finish on this very thread — 20 s of deadlock.
 */
class FetchedBundle extends File {
  /** The bundle once it is here (null until then). */
  bytes: Uint8Array | null = null;

  constructor(readonly url: string) {
    super(new Uint8Array(0), { readonly: true });
    if (typeof fetch === 'function') {
      fetch(url)
        .then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`HTTP ${r.status}`))))
        .then((buffer) => {
          this.bytes ??= new Uint8Array(buffer);
        })
        .catch(() => undefined); // the blocking read says what went wrong, if it is ever needed
    }
  }
}
// The shim reads and sizes a file through `data` (a plain property of File): here it waits for
// the bundle when it is not here yet. Its constructor stores a placeholder, which is ignored.
Object.defineProperty(FetchedBundle.prototype, 'data', {
  get(this: FetchedBundle): Uint8Array {
    this.bytes ??= fetchNow(this.url);
    return this.bytes;
  },
  set(this: FetchedBundle, _value: Uint8Array) {},
});

/**
 * A blocking GET. Workers may ask for an ArrayBuffer; a page's main thread
 * only for text, read byte by byte (x-user-defined maps bytes 1:1). A
 * failure leaves Python an empty bundle: imports of modules not in the boot
 * image then fail with ImportError, and the console says why.
 */
function fetchNow(url: string): Uint8Array {
  const Xhr = (globalThis as { XMLHttpRequest?: typeof XMLHttpRequest }).XMLHttpRequest;
  if (!Xhr) {
    console.warn(`PyBox: cannot read the stdlib bundle ${url} synchronously here: pass its bytes as assets.stdlib`);
    return new Uint8Array(0);
  }
  try {
    const xhr = new Xhr();
    xhr.open('GET', url, false);
    // A conditional header makes the request's cache mode "no-store" (Fetch, HTTP-network-or-cache
    // fetch): no wait on the cache entry the background fetch holds. Same origin only: on another
    // origin the header would need a CORS preflight.
    if (sameOrigin(url)) xhr.setRequestHeader('If-None-Match', '"pybox-bypass-cache"');
    const inWindow = typeof (globalThis as { document?: unknown }).document !== 'undefined';
    if (inWindow) xhr.overrideMimeType('text/plain; charset=x-user-defined');
    else xhr.responseType = 'arraybuffer';
    xhr.send();
    if (xhr.status !== 200) throw new Error(`HTTP ${xhr.status}`);
    if (!inWindow) return new Uint8Array(xhr.response as ArrayBuffer);
    const text = xhr.responseText;
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
    return out;
  } catch (e) {
    console.warn(`PyBox: could not load the stdlib bundle ${url} (${e instanceof Error ? e.message : String(e)}): imports of modules outside the boot image will fail`);
    return new Uint8Array(0);
  }
}

function sameOrigin(url: string): boolean {
  const here = (globalThis as { location?: { href: string; origin: string } }).location;
  return here !== undefined && new URL(url, here.href).origin === here.origin;
}
