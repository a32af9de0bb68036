// A sound guest (guest/patches/0002 and 0003) with @pybox/core in a Web Worker in Chromium.
import { PyBox } from '@pybox/core';
import { defineSoundness } from '../soundness.js';

defineSoundness('browser Web Worker', (options) => PyBox.create(options));
