// The consuming side of test/report/ring.test.ts: checks every message's content, posts a summary.
import { parentPort, workerData } from 'node:worker_threads';
import { RingConsumer } from '../../dist/src/report/ring.js';

const ring = new RingConsumer(workerData.buffers);
ring.started();
let count = 0;
let sum = 0;
let outOfOrder = 0;
ring.run((at) => {
  const n = ring.units[at];
  // message k: n units, [n, k, k+1, ..., k+n-2]
  const k = ring.units[at + 1];
  if (k !== count) outOfOrder++;
  for (let i = 1; i < n; i++) {
    if (ring.units[at + i] !== k + i - 1) outOfOrder++;
    sum += ring.units[at + i];
  }
  count++;
  if (workerData.closeAfter !== undefined && count === workerData.closeAfter) ring.close();
});
parentPort.postMessage({ count, sum, outOfOrder });
