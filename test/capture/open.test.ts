import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { readCaptureFile, readCaptureStream } from '../../src/capture/open.js';
import { InputError } from '../../src/capture/types.js';
import { corpusPath, HAVE_CORPUS, NO_CORPUS_MESSAGE } from '../corpus.js';
import { collector } from './collect.js';

const dir = mkdtempSync(join(tmpdir(), 'flowsig-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function inputError(run: () => unknown): InputError {
  try {
    run();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('readCaptureFile errors', () => {
  it('reports a missing file and a directory as InputError without an offset', () => {
    const missing = inputError(() => readCaptureFile(join(dir, 'nope.pcap'), collector().sink));
    expect(missing.describe()).toBe(`${join(dir, 'nope.pcap')}: cannot open: no such file`);
    const directory = inputError(() => readCaptureFile(dir, collector().sink));
    expect([directory.offset, directory.message]).toEqual([undefined, 'cannot read: is a directory']);
  });
});

describe.skipIf(!HAVE_CORPUS)(`reading files and streams${HAVE_CORPUS ? '' : ` (${NO_CORPUS_MESSAGE})`}`, () => {
  const T38 = 'sip-rtp/ndpi-sip-t38-fax-call-rtp.pcap'; // 283979 bytes, 1552 packets
  const MULTI = 'pcapng/pcapng-gen-multi-section-mixed-endian.pcapng';

  it('reads in small chunks with one progress call per chunk, and the same packets as in one chunk', () => {
    const whole = collector();
    const summary = readCaptureFile(corpusPath(T38), whole.sink);
    expect(summary).toMatchObject({ format: 'pcap', packets: 1552, bytesRead: 283979 });
    expect(summary.interfaces).toEqual([{ index: 0, linkType: 1, snapLen: 65535, fcsBytes: 0 }]);

    const small = collector();
    const progress: [number, number | undefined][] = [];
    readCaptureFile(corpusPath(T38), small.sink, { chunkSize: 1000, onProgress: (read, total) => progress.push([read, total]) });
    expect(progress.length).toBe(284);
    expect(progress[0]).toEqual([1000, 283979]);
    expect(progress[283]).toEqual([283979, 283979]);
    expect(small.packets).toEqual(whole.packets);
  });

  it('passes interfaces to onInterface as they are learned', () => {
    const seen: number[] = [];
    const summary = readCaptureFile(corpusPath(MULTI), collector().sink, { onInterface: (iface) => seen.push(iface.linkType) });
    expect(seen).toEqual([1, 0, 1, 1, 0]);
    expect(summary).toMatchObject({ format: 'pcapng', packets: 8, bytesRead: 2908 });
  });

  it('reads a FIFO (the path standard input and `-r <(tcpdump -w -)` take): no size, no seeking', () => {
    const fifo = join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', corpusPath(T38), fifo], { stdio: 'ignore' });
    const { sink, packets } = collector();
    const totals = new Set<number | undefined>();
    const summary = readCaptureFile(fifo, sink, { onProgress: (_, total) => totals.add(total) });
    writer.kill();
    expect(summary).toMatchObject({ format: 'pcap', packets: 1552, bytesRead: 283979 });
    expect(totals).toEqual(new Set([undefined]));
    expect(packets[1551].tsMs).toBe(1228469046884.194);
  });

  it('reads a child process pipe with readCaptureStream', async () => {
    const child = spawn('cat', [corpusPath(MULTI)], { stdio: ['ignore', 'pipe', 'ignore'] });
    const { sink, packets } = collector();
    const summary = await readCaptureStream('cat', child.stdout, sink);
    expect(summary).toMatchObject({ format: 'pcapng', packets: 8, bytesRead: statSync(corpusPath(MULTI)).size });
    expect(packets.map((p) => p.ifIndex)).toEqual([0, 0, 1, 2, 2, 2, 2, 4]);
  });

  it('rejects with the InputError after delivering the packets before the damage', async () => {
    const bytes = (await import('node:fs')).readFileSync(corpusPath('malformed/ndpi-fuzz-cut-short-mid-packet.pcap'));
    const pieces = [bytes.subarray(0, 100), bytes.subarray(100, 200), bytes.subarray(200)];
    const { sink, packets } = collector();
    const failure = await readCaptureStream('pipe', Readable.from(pieces), sink).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(InputError);
    expect((failure as InputError).describe()).toBe('pipe: offset 237: file ends in the middle of a pcap record header (needed 16 bytes, 2 left)');
    expect(packets.length).toBe(1);
  });

  it('refuses a text stream', async () => {
    const failure = await readCaptureStream('pipe', Readable.from(['abc'], { objectMode: true }), collector().sink).catch((err: unknown) => err);
    expect(String(failure)).toContain('capture stream must deliver bytes');
  });
});
