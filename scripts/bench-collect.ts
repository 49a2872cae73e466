/**
 * `npm run bench:collect [-- --records 2M]`: IPFIX export and collection throughput.
 *
 * Export: flow records → IPFIX messages (1400-byte MTU) in memory, records/s.
 * Collection: inside a network namespace made for the run (its own lo), one process sends the
 * pre-encoded messages over UDP as fast as it can, another runs `startCollector` (the code behind
 * `flowsig collect --listen`) and counts records. Reported: records/s from first to last datagram,
 * and loss (records sent − records received). Needs root (network namespaces); otherwise only the
 * export figure is printed. Target: ≥ 500,000 records/s collected.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { meterFields } from '../src/flow/fields.js';
import type { FlowRecord } from '../src/flow/record.js';
import { startCollector } from '../src/ipfix/collector.js';
import { createExporter } from '../src/ipfix/encode.js';

const TARGET_RECORDS_PER_SECOND = 500_000;
const SELF = fileURLToPath(import.meta.url);
const PORT = 4739;

function parseCount(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(text);
  if (!m) throw new Error(`not a count: ${text}`);
  return Math.round(Number(m[1]) * ({ '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6 } as Record<string, number>)[m[2]]);
}

/** Deterministic records: 3/4 IPv4, 1/4 IPv6, TCP and UDP, no tags (what a router exports). */
function makeRecords(n: number): FlowRecord[] {
  const out: FlowRecord[] = [];
  const t0 = 1_700_000_000_000;
  for (let i = 0; i < n; i++) {
    const six = i % 4 === 3;
    const a = i & 0xff, b = (i >> 8) & 0xff;
    out.push({
      rec_id: i + 1, stime: t0 + i, etime: t0 + i + 1500, duration: 1500, ipver: six ? 6 : 4, proto: i % 3 === 0 ? 17 : 6,
      srcip: six ? `2001:db8::${b.toString(16)}:${a.toString(16)}` : `10.${(i >> 16) & 0xff}.${b}.${a}`, srcport: 1024 + (i % 60000),
      dstip: six ? '2001:db8:ffff::1' : '192.0.2.1', dstport: i % 3 === 0 ? 53 : 443, tos: 0, tcpflags: i % 3 === 0 ? 0 : 0x1b,
      packets: 1 + (i % 50), bytes: 60 * (1 + (i % 50)), l2bytes: 74 * (1 + (i % 50)), input: 1, vlan: 0,
      tunnel: null, tun_srcip: null, tun_dstip: null, endreason: 'idle',
    });
  }
  return out;
}

function encode(records: FlowRecord[]): { messages: Buffer[]; seconds: number } {
  const messages: Buffer[] = [];
  const exporter = createExporter({ protocol: 'ipfix', fields: meterFields({ biflow: false }), domain: 1 }, (m) => messages.push(m));
  const start = process.hrtime.bigint();
  for (const r of records) exporter.add(r);
  exporter.flush();
  return { messages, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

/** --send: encode and send the messages to 127.0.0.1:PORT at `rate` records/s (0: as fast as possible); prints JSON figures. */
async function send(count: number, rate: number): Promise<void> {
  const records = makeRecords(count);
  const { messages, seconds } = encode(records);
  const perMessage = count / messages.length;
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.connect(PORT, '127.0.0.1', resolve));
  const start = process.hrtime.bigint();
  let inFlight = 0;
  let i = 0;
  while (i < messages.length) {
    // paced: as many messages as the offered rate allows by now, then yield
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    const due = rate > 0 ? Math.min(messages.length, Math.ceil((elapsed * rate) / perMessage)) : messages.length;
    while (i < due && inFlight < 256) {
      inFlight++;
      socket.send(messages[i++], () => { inFlight--; });
    }
    await new Promise((r) => setImmediate(r));
  }
  while (inFlight > 0) await new Promise((r) => setImmediate(r));
  const sendSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  socket.close();
  process.stdout.write(`${JSON.stringify({ records: count, messages: messages.length, bytes: messages.reduce((s, m) => s + m.length, 0), encodeSeconds: seconds, sendSeconds })}\n`);
}

/** --receive: collect until `expect` records arrived or 2 s pass without one; prints JSON figures. */
async function receive(expect: number): Promise<void> {
  let records = 0;
  let first = 0n;
  let last = 0n;
  const collector = startCollector({ address: '127.0.0.1', port: PORT }, () => {
    records++;
    if (records === 1) first = process.hrtime.bigint();
    if ((records & 255) === 0 || records === expect) last = process.hrtime.bigint();
  });
  await collector.ready;
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => {
    let seen = -1;
    let quietSince = Date.now();
    const timer = setInterval(() => {
      if (records !== seen) {
        seen = records;
        quietSince = Date.now();
      }
      if (records >= expect || (records > 0 && Date.now() - quietSince > 2000)) {
        clearInterval(timer);
        resolve();
      }
    }, 50);
  });
  const stats = collector.stats();
  await collector.close();
  process.stdout.write(`${JSON.stringify({ records, datagrams: collector.datagrams, seconds: Number(last - first) / 1e9, gaps: stats[0]?.sequenceGaps ?? 0, lost: stats[0]?.lost ?? 0 })}\n`);
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--send') return send(Number(args[1]), Number(args[2]));
  if (args[0] === '--receive') return receive(Number(args[1]));
  const countArg = args.indexOf('--records');
  const count = countArg >= 0 ? parseCount(args[countArg + 1]) : 2_000_000;

  const exportRun = encode(makeRecords(count));
  const exportRate = count / exportRun.seconds;
  console.log(`IPFIX export (encode, 1400-byte messages): ${count} records in ${exportRun.messages.length} messages, ${exportRun.seconds.toFixed(2)} s, ${Math.round(exportRate).toLocaleString('en')} records/s`);

  if (process.getuid?.() !== 0) {
    console.log('IPFIX collection over UDP: skipped (needs root for a network namespace)');
    return;
  }
  const ns = `fsbench${process.pid}`;
  run('ip', ['netns', 'add', ns]);
  try {
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    // a large receive buffer where the namespace has its own limit (kernels that namespace net.core.rmem_max)
    const rmem = spawnSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.core.rmem_max=67108864']);
    console.log(`IPFIX collection over UDP (namespace lo${rmem.status === 0 ? ', rmem_max 64 MiB' : ''}, ${count} records per run, offered rate → received):`);
    let best = 0;
    for (const offered of [250_000, 500_000, 750_000, 1_000_000, 0]) {
      const receiver = spawn('ip', ['netns', 'exec', ns, process.execPath, SELF, '--receive', String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      receiver.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      while (!out.includes('ready')) await new Promise((r) => setTimeout(r, 20));
      const sender = spawnSync('ip', ['netns', 'exec', ns, process.execPath, SELF, '--send', String(count), String(offered)], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (sender.status !== 0) throw new Error(`sender: ${sender.stderr}`);
      const sent = JSON.parse(sender.stdout.trim()) as { records: number; messages: number; sendSeconds: number };
      await new Promise((r) => receiver.once('exit', r));
      const got = JSON.parse(out.split('\n').filter((l) => l.startsWith('{'))[0]) as { records: number; datagrams: number; seconds: number; gaps: number; lost: number };
      const rate = got.records / got.seconds;
      const loss = sent.records - got.records;
      if (loss === 0 && rate > best) best = rate;
      console.log(`  offered ${offered ? `${offered.toLocaleString('en')} records/s` : 'unpaced'} (sent in ${sent.sendSeconds.toFixed(2)} s, ${Math.round(sent.records / sent.sendSeconds).toLocaleString('en')} records/s): `
        + `received ${got.records} in ${got.datagrams} of ${sent.messages} datagrams, ${Math.round(rate).toLocaleString('en')} records/s, `
        + `loss ${loss} records (${((loss / sent.records) * 100).toFixed(2)} %); the collector counted ${got.gaps} sequence gaps, ${got.lost} records lost`);
    }
    console.log(`IPFIX collection: best loss-free rate ${Math.round(best).toLocaleString('en')} records/s (target ${TARGET_RECORDS_PER_SECOND.toLocaleString('en')}: ${best >= TARGET_RECORDS_PER_SECOND ? 'met' : 'NOT met'})`);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

main().catch((err: Error) => {
  console.error(`bench-collect: ${err.message}`);
  process.exitCode = 1;
});
