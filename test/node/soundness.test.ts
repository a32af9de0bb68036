// A sound guest (guest/patches/0002-wasm-soundness.patch) with @pybox/node: in-thread and worker_threads.
import { PyBox } from '@pybox/node';
import { defineSoundness } from '../soundness.js';

defineSoundness('in-thread engine', (options) => PyBox.create({ ...options, inThread: true }));
defineSoundness('worker_threads engine', (options) => PyBox.create(options));
