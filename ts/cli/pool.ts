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
  private early = new Map<Worker, (e: Error) => void>();

  private constructor() {}

  /**
   * Starts `n` workers from `script` without waiting: thread start and bundle load (tens of ms
   * each) overlap the first batch's read. {@link setup} then hands them the run's settings.
   */
  static spawn(n: number, script: URL): Pool {
    const pool = new Pool();
    for (let i = 0; i < n; i++) {
      const w = new Worker(script, { workerData: { lossfnWorker: true } });
      pool.workers.push(w);
      // Until setup() listens, a start-up failure is kept for it.
      const early = (e: Error): void => void (pool.broken ??= e);
      w.on('error', early);
      pool.early.set(w, early);
    }
    return pool;
  }

  /** Sends every spawned worker the run's settings and waits until each has initialised lossfn. */
  async setup(setup: WorkerSetup): Promise<void> {
    if (this.broken !== null) throw this.broken;
    await Promise.all(this.workers.map((w) => new Promise<void>((resolve, reject) => {
      w.off('error', this.early.get(w) as (e: Error) => void);
      w.once('error', reject);
      const onReady = (m: { type: string }): void => {
        if (m.type !== 'ready') return;
        w.off('message', onReady);
        w.off('error', reject);
        w.on('message', (r: WorkerReply) => this.finished(w, r));
        w.on('error', (e: Error) => this.crashed(w, e));
        this.release(w);
        resolve();
      };
      w.on('message', onReady);
      w.postMessage({ type: 'setup', setup });
    })));
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
