// The conformance suite against @pybox/node on worker_threads.
import { PyBox } from '@pybox/node';
import { defineConformance } from './suite.js';
import { defineSecurity } from './security.js';
import { defineAttacks } from './attacks.js';

defineConformance('node worker_threads', (options) => PyBox.create(options));
defineSecurity('node worker_threads', (options) => PyBox.create(options));
defineAttacks('node worker_threads', (options) => PyBox.create(options));
