/**
 * `BoxThread`: one worker thread that runs many boxes, each engine on its
 * own control port. It costs far less memory and start-up time per box than
 * a worker each (one V8 isolate, and one copy of the guest's assets, loaded
 * and compiled by the thread itself, instead of many), at a price: its boxes share
 * the thread's CPU (one box's long exec delays the others) and a hard stop
 * (code that never checks its time limit) terminates the thread and so every
 * box on it (they report `GuestCrashError` with reason `worker-died`).
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { WorkerHandle } from '@pybox/core/internal';

/**
 * A worker thread shared by boxes: `PyBox.create({ thread })`.
 *
 * @example
 * ```ts
 * const thread = new BoxThread()
 * const a = await PyBox.create({ thread })
 * const b = await PyBox.create({ thread })   // the same worker thread
 * await a.close(); await b.close(); await thread.close()
 * ```
 */
export class BoxThread {
  private worker: Worker | null = null;
  private deaths = new Set<(error: Error) => void>();
  private refs = 0;
  private engines = 0;

  /** How many boxes run on it now. */
  get size(): number {
    return this.engines;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: { boxThread: true } });
    worker.unref();
    const deaths = this.deaths;
    const died = (error: Error) => {
      if (this.worker === worker) {
        this.worker = null;
        this.deaths = new Set();
        this.engines = 0;
        this.refs = 0;
      }
      for (const notify of [...deaths]) notify(error);
      deaths.clear();
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`the worker thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  /**
   * A handle for one more engine on this thread (started if needed).
   * @internal `PyBox.create({ thread })` calls it.
   */
  handle(): WorkerHandle {
    const worker = this.start();
    const deaths = this.deaths;
    const { port1, port2 } = new MessageChannel();
    worker.postMessage({ openEngine: port2 }, [port2]);
    this.engines++;
    const endpoint = nodeEndpoint(port1);
    let referenced = false;
    let notify: ((error: Error) => void) | undefined;
    const unref = () => {
      if (!referenced) return;
      referenced = false;
      port1.unref();
      if (--this.refs === 0 && this.worker === worker) worker.unref();
    };
    let open = true;
    return {
      endpoint: {
        postMessage: (message: unknown, transfer?: Transferable[]) => endpoint.postMessage(message, transfer),
        addEventListener: (type, listener) => {
          endpoint.addEventListener(type, listener);
          if (!referenced) port1.unref(); // an idle box keeps nothing alive
        },
        removeEventListener: (type, listener) => endpoint.removeEventListener(type, listener),
      },
      hasAssets: true, // the thread reads and compiles them once, for all its boxes
      terminate: () => void worker.terminate(),
      close: () => {
        if (!open) return;
        open = false;
        unref();
        if (notify) deaths.delete(notify);
        port1.close();
        if (this.worker === worker) this.engines--;
      },
      ref: () => {
        if (referenced) return;
        referenced = true;
        port1.ref();
        if (this.refs++ === 0) worker.ref();
      },
      unref,
      onDeath: (callback) => {
        notify = callback;
        deaths.add(callback);
      },
    };
  }

  /** Terminates the thread (boxes still on it report `worker-died`). */
  async close(): Promise<void> {
    await this.worker?.terminate();
  }
}
