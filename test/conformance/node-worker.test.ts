// The conformance suite against @pybox/node on worker_threads.
import { PyBox } from '@pybox/node';
import { defineConformance } from './suite.js';
import { defineSecurity } from './security.js';
import { defineFilesystem } from './filesystem.js';

defineConformance('node worker_threads', (options) => PyBox.create(options));
defineSecurity('node worker_threads', (options) => PyBox.create(options));
defineFilesystem('node worker_threads', (options) => PyBox.create(options));
