/**
 * The Web Worker entry: exposes a RemoteEngine over Comlink. Nothing else.
 */
import * as Comlink from '../comlink.js';
import { installErrorTransfer } from './protocol.js';
import { RemoteEngine } from './remote.js';

installErrorTransfer();
Comlink.expose(new RemoteEngine());
