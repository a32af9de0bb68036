// The conformance suites against the in-thread engine (@pybox/node, inThread: true).
import { PyBox } from '@pybox/node';
import { defineBadInput } from './bad-input.js';
import { defineFailureDomains } from './failure-domains.js';
import { defineAttacks } from './attacks.js';
import { defineSecurity } from './security.js';
import { defineFilesystem } from './filesystem.js';
import { defineConformance, type EngineUnderTest } from './suite.js';
import { defineValidation } from './validation.js';
import { defineWaits } from './waits.js';

const engine: EngineUnderTest = {
  name: 'in-thread engine',
  create: (options) => PyBox.create({ ...options, inThread: true }),
  inThread: true,
};
defineConformance(engine.name, engine.create);
defineSecurity(engine.name, engine.create);
defineFailureDomains(engine);
defineBadInput(engine);
defineWaits(engine);
defineAttacks(engine.name, engine.create);
defineValidation(engine.name, engine.create);
defineFilesystem(engine.name, engine.create);
