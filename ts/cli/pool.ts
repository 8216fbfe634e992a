// A fixed pool of worker threads (node:worker_threads), each running this same bundle with its
// own lossfn instance. Batches go to idle workers; a bounded number are in flight, so memory
// stays bounded whatever the input size. (A hand-rolled pool rather than piscina/tinypool: those
// load a separate worker file by path, which a single-file bundle does not have.)

import { Worker } from 'node:worker_threads';
import type { BatchMessage, WorkerReply, WorkerSetup } from './work.js';

export class Pool {
  private idle: Worker[] = [];
  private waiting: { msg: BatchMessage; transfer: ArrayBuffer[]; done: (r: WorkerReply) => void; fail: (e: Error) => void }[] = [];
  private workers: Worker[] = [];
  private current = new Map<Worker, { done: (r: WorkerReply) => void; fail: (e: Error) => void }>();
  private broken: Error | null = null;

  private constructor() {}

  /** Starts `n` workers from `script` and waits until each has initialised lossfn. */
  static async start(n: number, script: URL, setup: WorkerSetup): Promise<Pool> {
    const pool = new Pool();
    await Promise.all(Array.from({ length: n }, () => new Promise<void>((resolve, reject) => {
      const w = new Worker(script, { workerData: { lossfnWorker: setup } });
      pool.workers.push(w);
      w.once('error', reject);
      const onReady = (m: { type: string }): void => {
        if (m.type !== 'ready') return;
        w.off('message', onReady);
        w.off('error', reject);
        w.on('message', (r: WorkerReply) => pool.finished(w, r));
        w.on('error', (e: Error) => pool.crashed(w, e));
        pool.release(w);
        resolve();
      };
      w.on('message', onReady);
    })));
    return pool;
  }

  /** Runs one batch on the next idle worker (transferring the batch's buffers). */
  run(msg: BatchMessage): Promise<WorkerReply> {
    if (this.broken !== null) return Promise.reject(this.broken);
    const transfer = [...new Set(msg.args.map((a) => a.data.buffer as ArrayBuffer))];
    return new Promise((done, fail) => {
      this.waiting.push({ msg, transfer, done, fail });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.waiting.length > 0) {
      const w = this.idle.pop() as Worker;
      const job = this.waiting.shift() as (typeof this.waiting)[number];
      this.current.set(w, job);
      w.postMessage(job.msg, job.transfer);
    }
  }

  private release(w: Worker): void {
    this.idle.push(w);
    this.dispatch();
  }

  private finished(w: Worker, r: WorkerReply): void {
    const job = this.current.get(w);
    this.current.delete(w);
    this.release(w);
    job?.done(r);
  }

  /** A worker died (not a data error: those come back as replies): the run fails, nothing waits. */
  private crashed(w: Worker, e: Error): void {
    this.broken ??= e;
    const job = this.current.get(w);
    this.current.delete(w);
    job?.fail(e);
    for (const j of this.waiting.splice(0)) j.fail(e);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
