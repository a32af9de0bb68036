// A sound guest (guest/patches/0002 and 0003) with @pybox/node: in-thread and worker_threads.
import { PyBox } from '@pybox/node';
import { defineSoundness } from '../soundness.js';

defineSoundness('in-thread engine', (options) => PyBox.create({ ...options, inThread: true }));
defineSoundness('worker_threads engine', (options) => PyBox.create(options));
