/**
 * NFQL benchmark: a filter-only query, a grouper query and a 4-branch merger
 * (the Skype-behind-NAT64 signature's shape) over 250k, 1M and 4M flow
 * records made in memory by a seeded generator. Prints records per second
 * and how time and rule evaluations grow from one size to the next (×4
 * records: about ×4 for n, ×4.4 for n log n).
 *
 *   node dist/scripts/bench-nfql.js [--sizes 250000,1000000,4000000] [--runs 3]
 *
 * Targets: ≥ 10 million records/s for the filter, the merger over 1M
 * records in < 2 s.
 */
import { pathToFileURL } from 'node:url';
import type { FlowRecord } from '../src/flow/record.js';
import { createQueryRunner } from '../src/nfql/exec/run.js';
import { compileQuery } from '../src/nfql/index.js';
import { mulberry32, type Random, uniformInt } from './bench/random.js';

export const QUERIES = {
  filter: `
filter f {
  proto = tcp
  dstport = 443 OR dstport = 8443
  packets > 390
  srcip in 10.0.0.0/8 OR srcip in 2001:db8::/32
}`,
  grouper: `
splitter S {}
filter f { proto = tcp  dstport = 443 }
grouper g {
  module m {
    srcip = srcip
    dstip = dstip
    etime < stime rdelta 2s
  }
  aggregate srcip, dstip, sum(packets) as pkts, sum(bytes) as bytes, count(rec_id) as flows
}
groupfilter gf { flows > 1 }
"input" -> S
S branch A -> f -> g -> gf -> "output"
`,
  merger: `
splitter S {}
filter f-mdns { dstip = 224.0.0.251  dstport = 5353  duration in [1s, 5s] }
filter f-login { proto = tcp  dstport = 443  duration in [55s, 59s] }
merger M {
  branches A, B, C, D
  A.srcip = B.srcip
  B.srcip = C.srcip
  C.srcip = D.srcip
  B.dstip = C.dstip
  C.dstip = D.dstip
  B.srcport = C.srcport rdelta 1
  C.srcport = D.srcport rdelta 1
  B.packets > C.packets
  C.packets > D.packets
  A < B delta 10s
  A < C delta 10s
  A < D delta 10s
}
ungrouper U {}
"input" -> S
S branch A -> f-mdns -> M
S branch B -> f-login -> M
S branch C -> f-login -> M
S branch D -> f-login -> M
M -> U -> "output"
`,
};

type Name = keyof typeof QUERIES;

// ------------------------------------------------------------------ records

function pool(rng: Random, n: number, v6share: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    if (rng() < v6share) out.push(`2001:db8:${uniformInt(rng, 0, 0xffff).toString(16)}::${uniformInt(rng, 1, 0xffff).toString(16)}`);
    else out.push(`10.${uniformInt(rng, 0, 255)}.${uniformInt(rng, 0, 255)}.${uniformInt(rng, 1, 254)}`);
  }
  return out;
}

function record(id: number, stime: number, dur: number, proto: number, srcip: string, srcport: number, dstip: string, dstport: number, packets: number): FlowRecord {
  return {
    rec_id: id,
    stime,
    etime: stime + dur,
    duration: dur,
    ipver: srcip.includes(':') ? 6 : 4,
    proto,
    srcip,
    srcport,
    dstip,
    dstport,
    tos: 0,
    tcpflags: proto === 6 ? 0x1b : 0,
    packets,
    bytes: packets * 600,
    l2bytes: packets * 614,
    input: 0,
    vlan: 0,
    tunnel: null,
    tun_srcip: null,
    tun_dstip: null,
    endreason: 'fin',
  };
}

/**
 * `n` records in start order: web and DNS traffic of a few thousand hosts,
 * mDNS chatter, and every 20,000 records a failed Skype login (mDNS, then
 * three 55–59 s HTTPS flows with consecutive ports and falling packet counts).
 */
export function generate(n: number, seed = 1): FlowRecord[] {
  const rng = mulberry32(seed);
  const clients = pool(rng, 5000, 0.4);
  const servers = pool(rng, 2000, 0.3);
  const out: FlowRecord[] = [];
  let t = Date.UTC(2024, 0, 1);
  let id = 1;
  while (out.length < n) {
    t += rng() * 2; // ~1000 records per second
    const c = clients[uniformInt(rng, 0, clients.length - 1)];
    const s = servers[uniformInt(rng, 0, servers.length - 1)];
    const kind = rng();
    if (out.length % 20000 === 19990 && out.length + 4 <= n) {
      const port = uniformInt(rng, 1024, 60000);
      out.push(record(id++, t, 3000, 17, c, 5353, '224.0.0.251', 5353, 4));
      out.push(record(id++, t + 4000, 57000, 6, c, port, s, 443, 12));
      out.push(record(id++, t + 4500, 56500, 6, c, port + 1, s, 443, 9));
      out.push(record(id++, t + 5000, 58000, 6, c, port + 2, s, 443, 7));
    } else if (kind < 0.55) {
      // HTTPS: many short, some long (55–59 s ones too, of unrelated connections)
      const dur = rng() < 0.05 ? 55000 + rng() * 4000 : rng() * 20000;
      out.push(record(id++, t, dur, 6, c, uniformInt(rng, 1024, 65535), s, rng() < 0.9 ? 443 : 8443, uniformInt(rng, 1, 400)));
    } else if (kind < 0.75) {
      out.push(record(id++, t, rng() * 5000, 6, c, uniformInt(rng, 1024, 65535), s, 80, uniformInt(rng, 1, 200)));
    } else if (kind < 0.95) {
      out.push(record(id++, t, rng() * 50, 17, c, uniformInt(rng, 1024, 65535), s, 53, 1));
    } else {
      out.push(record(id++, t, rng() * 6000, 17, c, 5353, '224.0.0.251', 5353, uniformInt(rng, 1, 10)));
    }
  }
  return out;
}

// ------------------------------------------------------------------ running

interface Measure {
  seconds: number;
  matches: number;
  evaluations: number;
}

function runOnce(name: Name, records: FlowRecord[]): Measure {
  const query = compileQuery(QUERIES[name], `${name}.nfql`);
  const started = process.hrtime.bigint();
  const runner = createQueryRunner(query);
  for (let i = 0; i < records.length; i++) runner.push(records[i]);
  const result = runner.finish();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, matches: result.matches.length, evaluations: runner.counters.ruleEvaluations };
}

function best(name: Name, records: FlowRecord[], runs: number): Measure {
  let b: Measure | undefined;
  for (let i = 0; i < runs; i++) {
    const m = runOnce(name, records);
    if (!b || m.seconds < b.seconds) b = m;
  }
  return b!;
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const sizes = (opt('--sizes') ?? '250000,1000000,4000000').split(',').map(Number);
  const runs = Number(opt('--runs') ?? 3);
  const names = Object.keys(QUERIES) as Name[];
  const rows: Record<Name, { n: number; m: Measure }[]> = { filter: [], grouper: [], merger: [] };
  for (const n of sizes) {
    let records: FlowRecord[] | undefined = generate(n);
    for (const name of names) rows[name].push({ n, m: best(name, records, runs) });
    records = undefined;
    (globalThis as { gc?: () => void }).gc?.();
  }
  const fmt = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(0)} k`);
  console.log(`NFQL executor, best of ${runs} runs, node ${process.version}\n`);
  console.log('query     records   seconds   records/s   matches   rule evals   time growth   evals growth');
  for (const name of names) {
    rows[name].forEach(({ n, m }, i) => {
      const prev = rows[name][i - 1];
      const growth = (a: number, b: number) => (prev ? `×${(a / b).toFixed(2)} (n ×${(n / prev.n).toFixed(0)})` : '');
      console.log(
        [
          name.padEnd(8),
          fmt(n).padStart(8),
          m.seconds.toFixed(3).padStart(9),
          fmt(n / m.seconds).padStart(11),
          String(m.matches).padStart(9),
          String(m.evaluations).padStart(12),
          (prev ? growth(m.seconds, prev.m.seconds) : '').padStart(13),
          (prev && prev.m.evaluations > 0 ? growth(m.evaluations, prev.m.evaluations) : '').padStart(14),
        ].join(' '),
      );
    });
  }
  const filter1 = rows.filter.find((r) => r.n === 1_000_000) ?? rows.filter[rows.filter.length - 1];
  const merger1 = rows.merger.find((r) => r.n === 1_000_000);
  console.log(`\ntargets: filter ≥ 10 M records/s: ${fmt(filter1.n / filter1.m.seconds)}/s; 4-branch merger over 1M records < 2 s: ${merger1 ? `${merger1.m.seconds.toFixed(2)} s` : 'not run'}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
