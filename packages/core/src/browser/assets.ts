/**
 * Finds and compiles the guest assets in a browser (or any runtime with
 * fetch). The URLs are written as `new URL(..., import.meta.url)` so that
 * Vite and other bundlers pick the files up with no configuration. The
 * module is compiled once per page and shared with every worker.
 */
import type { GuestAssets } from '../engine/types.js';

/**
 * Where the guest assets are; defaults to the files shipped in this package.
 *
 * @example
 * ```ts
 * const box = await PyBox.create({ assets: { wasm: '/static/pybox.wasm', stdlib: '/static/python313.zip' } })
 * ```
 */
export interface AssetUrls {
  /** URL of `pybox.wasm`. */
  wasm?: string | URL;
  /** URL of `python313.zip`. */
  stdlib?: string | URL;
  /** URL of the boot image `pybox.image` (optional: without it the guest boots from scratch). */
  image?: string | URL | null;
}

let shared: Promise<GuestAssets> | undefined;

/** Fetches and compiles the guest once per page (per URL set, when given explicitly). */
export function loadAssets(urls: AssetUrls = {}): Promise<GuestAssets> {
  if (urls.wasm || urls.stdlib) return fetchAssets(urls);
  shared ??= fetchAssets(urls).catch((e: unknown) => {
    shared = undefined; // let a later call retry
    throw e;
  });
  return shared;
}

async function fetchAssets(urls: AssetUrls): Promise<GuestAssets> {
  const wasmUrl = urls.wasm ?? new URL('../wasm/pybox.wasm', import.meta.url);
  const stdlibUrl = urls.stdlib ?? new URL('../wasm/python313.zip', import.meta.url);
  const imageUrl = urls.image === undefined ? new URL('../wasm/pybox.image', import.meta.url) : urls.image;
  const [module, image] = await Promise.all([
    compile(wasmUrl),
    imageUrl ? fetchBytes(imageUrl).catch(() => undefined) : undefined,
  ]);
  // With a boot image the first result needs none of the stdlib bundle: the engine fetches it in
  // the background (engine/stdlib.ts). Without an image, CPython boots from it at once.
  if (!image) return { module, stdlib: await fetchBytes(stdlibUrl) };
  const base = typeof location === 'undefined' ? undefined : location.href;
  return { module, stdlib: { url: new URL(stdlibUrl, base).href }, image };
}

/**
 * The assets with the stdlib bundle's bytes, for an engine on the page's own thread (which may
 * not make a blocking request for binary data).
 *
 * @example
 * ```ts
 * const engine = await Engine.create(await withStdlibBytes(await loadAssets()))
 * ```
 */
export async function withStdlibBytes(assets: GuestAssets): Promise<GuestAssets> {
  if (assets.stdlib instanceof Uint8Array) return assets;
  return { ...assets, stdlib: await fetchBytes(assets.stdlib.url) };
}

async function compile(url: string | URL): Promise<WebAssembly.Module> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not load ${String(url)}: HTTP ${response.status}`);
  // compileStreaming needs the application/wasm type; fall back when a server does not send it.
  if (response.headers.get('content-type')?.startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

async function fetchBytes(url: string | URL): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not load ${String(url)}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
