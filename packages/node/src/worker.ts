/**
 * The worker_threads entry: exposes a RemoteEngine over Comlink's Node
 * adapter. Nothing else.
 */
import { parentPort } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { RemoteEngine, installErrorTransfer } from '@pybox/core/internal';
import { expose } from './comlink.js';
import { createMounts } from './host-mount/index.js';

if (!parentPort) throw new Error('@pybox/node worker must run in a worker thread');
installErrorTransfer();
expose(new RemoteEngine({ createMounts }), nodeEndpoint(parentPort));
