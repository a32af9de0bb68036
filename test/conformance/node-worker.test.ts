// The conformance suites against @pybox/node on worker_threads.
import { PyBox } from '@pybox/node';
import { defineBadInput } from './bad-input.js';
import { defineFailureDomains } from './failure-domains.js';
import { defineAttacks } from './attacks.js';
import { defineSecurity } from './security.js';
import { defineFilesystem } from './filesystem.js';
import { defineConformance, type EngineUnderTest } from './suite.js';
import { defineValidation } from './validation.js';
import { defineWaits } from './waits.js';

const engine: EngineUnderTest = { name: 'node worker_threads', create: (options) => PyBox.create(options), inThread: false };
defineConformance(engine.name, engine.create);
defineSecurity(engine.name, engine.create);
defineFailureDomains(engine);
defineBadInput(engine);
defineWaits(engine);
defineAttacks(engine.name, engine.create);
defineValidation(engine.name, engine.create);
defineFilesystem(engine.name, engine.create);
