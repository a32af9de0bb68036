// The conformance suite against the in-thread engine (@pybox/node, inThread: true).
import { PyBox } from '@pybox/node';
import { defineConformance } from './suite.js';
import { defineSecurity } from './security.js';
import { defineFilesystem } from './filesystem.js';

defineConformance('in-thread engine', (options) => PyBox.create({ ...options, inThread: true }));
defineSecurity('in-thread engine', (options) => PyBox.create({ ...options, inThread: true }));
defineFilesystem('in-thread engine', (options) => PyBox.create({ ...options, inThread: true }));
