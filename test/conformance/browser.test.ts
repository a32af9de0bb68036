// The conformance suite against @pybox/core in a real Web Worker inside Chromium.
import { PyBox } from '@pybox/core';
import { defineConformance } from './suite.js';

defineConformance('browser Web Worker', (options) => PyBox.create(options));
