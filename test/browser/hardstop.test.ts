// Hard stops with @pybox/core in a Web Worker.
import { PyBox } from '@pybox/core';
import { defineHardStop } from '../hardstop.js';

defineHardStop((options) => PyBox.create(options));
