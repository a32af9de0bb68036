// The page bench/browser.mjs loads: a box (a Web Worker engine, or with ?inThread=1 the page's
// thread), one exec, the time since navigation.
import { PyBox } from '@pybox/core';

const inThread = new URLSearchParams(location.search).has('inThread');
const box = await PyBox.create({ inThread });
const ctx = await box.createContext();
const r = await ctx.exec('1 + 1');
window.__pybox = { firstResultMs: performance.now(), result: r.ok ? r.repr : `${r.error.type}: ${r.error.message}` };
