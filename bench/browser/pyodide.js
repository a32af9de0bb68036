// The peer's page for bench/browser.mjs: Pyodide from the same server (its files copied beside
// the build, compressed the same way), loaded on the page's thread as its docs show, one runPython.
const indexURL = new URL('./pyodide/', location.href).href;
const { loadPyodide } = await import(/* @vite-ignore */ `${indexURL}pyodide.mjs`);
const py = await loadPyodide({ indexURL });
const v = py.runPython('1 + 1');
window.__pybox = { firstResultMs: performance.now(), result: String(v) };
