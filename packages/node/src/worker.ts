/**
 * The worker_threads entry: exposes a RemoteEngine over Comlink's Node
 * adapter. Nothing else. Started by a `BoxThread`, it serves many engines,
 * one per port it is sent (each box's own control channel).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { RemoteEngine, installErrorTransfer } from '@pybox/core/internal';
import { expose } from './comlink.js';
import { loadAssets } from './assets.js';
import { createMounts } from './host-mount/index.js';
import { installNativeSnapshots } from './snapshot-native.js';

if (!parentPort) throw new Error('@pybox/node worker must run in a worker thread');
installErrorTransfer();
installNativeSnapshots();
if ((workerData as { boxThread?: boolean } | undefined)?.boxThread) {
  parentPort.on('message', (message: { openEngine?: MessagePort }) => {
    const port = message?.openEngine;
    if (!port) return;
    const engine = new RemoteEngine({ createMounts, loadAssets });
    expose(engine, nodeEndpoint(port));
    port.on('close', () => {
      // The box closed: its engine goes, or serves a later restore on this thread.
      port.removeAllListeners();
      engine.release();
    });
  });
} else {
  expose(new RemoteEngine({ createMounts }), nodeEndpoint(parentPort));
}
