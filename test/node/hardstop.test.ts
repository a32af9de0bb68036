// Hard stops with @pybox/node on worker_threads.
import { PyBox } from '@pybox/node';
import { defineHardStop } from '../hardstop.js';

defineHardStop((options) => PyBox.create(options));
