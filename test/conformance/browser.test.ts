// The conformance suites against @pybox/core in a real Web Worker inside Chromium.
import { PyBox } from '@pybox/core';
import { defineBadInput } from './bad-input.js';
import { defineFailureDomains } from './failure-domains.js';
import { defineAttacks } from './attacks.js';
import { defineSecurity } from './security.js';
import { defineFilesystem } from './filesystem.js';
import { defineConformance, type EngineUnderTest } from './suite.js';
import { defineValidation } from './validation.js';
import { defineWaits } from './waits.js';

const engine: EngineUnderTest = { name: 'browser Web Worker', create: (options) => PyBox.create(options), inThread: false };
defineConformance(engine.name, engine.create);
defineSecurity(engine.name, engine.create);
defineFailureDomains(engine);
defineBadInput(engine);
defineWaits(engine);
defineAttacks(engine.name, engine.create);
defineValidation(engine.name, engine.create);
defineFilesystem(engine.name, engine.create);
