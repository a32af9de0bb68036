// The conformance suite against @pybox/core in a real Web Worker inside Chromium.
import { PyBox } from '@pybox/core';
import { defineConformance } from './suite.js';
import { defineSecurity } from './security.js';
import { defineFilesystem } from './filesystem.js';

defineConformance('browser Web Worker', (options) => PyBox.create(options));
defineSecurity('browser Web Worker', (options) => PyBox.create(options));
defineFilesystem('browser Web Worker', (options) => PyBox.create(options));
