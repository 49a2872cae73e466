/**
 * Flowy's example queries (test/nfql/fixtures/flowy-*.nfql) and an HTTP
 * request/response pairing, on small flow sets whose matches were worked
 * out by hand.
 */
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { flow, matchIds, resetIds, run } from './exec-records.js';

beforeEach(resetIds);

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

const SYN_ACK_FIN = 0x13;

describe('HTTP requests paired with their responses', () => {
  const query = `
    splitter S {}
    filter request { proto = tcp  dstport = 80 }
    filter response { proto = tcp  srcport = 80 }
    merger M {
      branches A, B
      A.srcip = B.dstip
      A.dstip = B.srcip
      A.srcport = B.dstport
      A o B OR A s B OR A = B delta 50ms
    }
    ungrouper U {}
    "input" -> S
    S branch A -> request -> M
    S branch B -> response -> M
    M -> U -> "output"`;

  it('finds each exchange once, its two flows in start order', () => {
    const recs = [
      /* 1 */ flow({ at: 0, lasts: 1, srcip: '10.0.0.1', srcport: 40001, dstip: '192.0.2.80', dstport: 80 }),
      /* 2 */ flow({ at: 0.02, lasts: 1.1, srcip: '192.0.2.80', srcport: 80, dstip: '10.0.0.1', dstport: 40001 }), // overlaps 1
      /* 3 */ flow({ at: 5, lasts: 2, srcip: '10.0.0.2', srcport: 40002, dstip: '192.0.2.80', dstport: 80 }),
      /* 4 */ flow({ at: 5, lasts: 2.01, srcip: '192.0.2.80', srcport: 80, dstip: '10.0.0.2', dstport: 40002 }), // 3 starts 4 (and equals it within 50 ms): one match
      /* 5 */ flow({ at: 9, lasts: 1, srcip: '10.0.0.3', srcport: 40003, dstip: '192.0.2.80', dstport: 80 }),
      /* 6 */ flow({ at: 9.5, lasts: 1, srcip: '192.0.2.80', srcport: 80, dstip: '10.0.0.3', dstport: 40099 }), // another port: no
      /* 7 */ flow({ at: 12, lasts: 1, srcip: '10.0.0.4', srcport: 40004, dstip: '192.0.2.80', dstport: 80 }),
      /* 8 */ flow({ at: 13.5, lasts: 1, srcip: '192.0.2.80', srcport: 80, dstip: '10.0.0.4', dstport: 40004 }), // after the request: no
      /* 9 */ flow({ at: 20, lasts: 3, srcip: '192.0.2.80', srcport: 80, dstip: '10.0.0.5', dstport: 40005 }), // a response alone
    ];
    const r = run(query, recs, 'http-pairs');
    expect(r.kind).toBe('matches');
    expect(matchIds(r)).toEqual([[1, 2], [3, 4]]);
    expect(r.matches.map((m) => [m.signature, m.match, m.hosts])).toEqual([
      ['http-pairs', 1, ['10.0.0.1', '192.0.2.80']],
      ['http-pairs', 2, ['10.0.0.2', '192.0.2.80']],
    ]);
    expect(r.matches[0].stime).toBe(recs[0].stime);
    expect(r.matches[0].etime).toBe(recs[1].etime);
  });
});

describe("Flowy's HTTP download query (flowy-http-download.nfql)", () => {
  // Requests to port 80 chained per client and server (each within 1 s of the previous one's end),
  // responses the same way; both groups must have seen SYN, ACK and FIN; the responses' group lies
  // within or overlaps the requests' group, carries more bytes, and answers the same ports.
  const recs = () => [
    // client 10.0.0.1: two requests 0–1 s and 1.5–2.5 s, their responses 0.1–1.05 s and 1.6–2.6 s
    /* 1 */ flow({ at: 0, lasts: 1, srcip: '10.0.0.1', srcport: 40001, dstip: '192.0.2.80', dstport: 80, bytes: 500, tcpflags: 0x1b }),
    /* 2 */ flow({ at: 0.1, lasts: 0.95, srcip: '192.0.2.80', srcport: 80, dstip: '10.0.0.1', dstport: 40001, bytes: 30000, tcpflags: 0x1b }),
    /* 3 */ flow({ at: 1.5, lasts: 1, srcip: '10.0.0.1', srcport: 40002, dstip: '192.0.2.80', dstport: 80, bytes: 600, tcpflags: 0x1b }),
    /* 4 */ flow({ at: 1.6, lasts: 1, srcip: '192.0.2.80', srcport: 80, dstip: '10.0.0.1', dstport: 40002, bytes: 20000, tcpflags: 0x1b }),
    // client 10.0.0.2: an upload (the request carries more bytes)
    /* 5 */ flow({ at: 10, lasts: 2, srcip: '10.0.0.2', srcport: 41000, dstip: '192.0.2.80', dstport: 80, bytes: 90000, tcpflags: 0x1b }),
    /* 6 */ flow({ at: 10.1, lasts: 2, srcip: '192.0.2.80', srcport: 80, dstip: '10.0.0.2', dstport: 41000, bytes: 800, tcpflags: 0x1b }),
    // client 10.0.0.3: the response group never saw FIN (still open)
    /* 7 */ flow({ at: 20, lasts: 2, srcip: '10.0.0.3', srcport: 42000, dstip: '192.0.2.80', dstport: 80, bytes: 400, tcpflags: 0x1b }),
    /* 8 */ flow({ at: 20.1, lasts: 1.5, srcip: '192.0.2.80', srcport: 80, dstip: '10.0.0.3', dstport: 42000, bytes: 9000, tcpflags: 0x12 }),
  ];

  it('finds the download of 10.0.0.1 (four flows, two groups) and nothing else', () => {
    const r = run(fixture('flowy-http-download.nfql'), recs(), 'http-download');
    expect(matchIds(r)).toEqual([[1, 2, 3, 4]]);
    const groups = r.matches[0].groups.map((g) => [g.branch, g.group.members.map((m) => m.rec_id), g.group.fields]);
    expect(groups).toEqual([
      ['B', [2, 4], { srcip: '192.0.2.80', dstip: '10.0.0.1', bytes: 50000, n: 2, flags: 0x1b, dstports: [40001, 40002] }],
      ['A', [1, 3], { srcip: '10.0.0.1', dstip: '192.0.2.80', bytes: 1100, n: 2, flags: 0x1b, srcports: [40001, 40002] }],
    ]);
  });

  it('the group filter needs SYN, ACK and FIN in each group', () => {
    const rs = recs();
    rs[1].tcpflags = 0x12;
    rs[3].tcpflags = 0x12; // the responses of 10.0.0.1 lose their FIN
    expect(matchIds(run(fixture('flowy-http-download.nfql'), rs))).toEqual([]);
    expect(SYN_ACK_FIN & 0x12).not.toBe(SYN_ACK_FIN);
  });
});

describe("Flowy's HTTPS query (flowy-https-flows.nfql)", () => {
  // Every flow to 443 in one group, every flow from 443 in another (empty modules); the first meets
  // the second within a day: |B.stime − A.etime| ≤ 1 day, A starting and ending before B.
  it('pairs the group of requests with the group of responses', () => {
    const recs = [
      /* 1 */ flow({ at: 0, lasts: 10, srcip: '10.0.0.1', srcport: 50000, dstip: '192.0.2.43', dstport: 443, tcpflags: 0x1b }),
      /* 2 */ flow({ at: 0.1, lasts: 10, srcip: '192.0.2.43', srcport: 443, dstip: '10.0.0.1', dstport: 50000, tcpflags: 0x1b }),
      /* 3 */ flow({ at: 20, lasts: 10, srcip: '10.0.0.2', srcport: 50001, dstip: '192.0.2.44', dstport: 443, tcpflags: 0x1b }),
      /* 4 */ flow({ at: 20.1, lasts: 10.1, srcip: '192.0.2.44', srcport: 443, dstip: '10.0.0.2', dstport: 50001, tcpflags: 0x1b }),
      /* 5 */ flow({ at: 3, lasts: 1, srcip: '10.0.0.1', srcport: 53000, dstip: '192.0.2.53', dstport: 53, proto: 17, tcpflags: 0 }),
    ];
    const r = run(fixture('flowy-https-flows.nfql'), recs);
    expect(matchIds(r)).toEqual([[1, 2, 3, 4]]);
    expect(r.matches[0].groups.map((g) => [g.branch, g.group.stime - recs[0].stime, g.group.etime - recs[0].stime])).toEqual([
      ['B', 100, 30200],
      ['A', 0, 30000],
    ]);
  });

  it('nothing when the responses end before the requests', () => {
    const recs = [
      flow({ at: 0, lasts: 10, srcip: '10.0.0.1', srcport: 50000, dstip: '192.0.2.43', dstport: 443, tcpflags: 0x1b }),
      flow({ at: 0.1, lasts: 9, srcip: '192.0.2.43', srcport: 443, dstip: '10.0.0.1', dstport: 50000, tcpflags: 0x1b }),
    ];
    expect(matchIds(run(fixture('flowy-https-flows.nfql'), recs))).toEqual([]);
  });
});

describe("Flowy's SSDP and NAT-PMP query (flowy-ssdp-natpmp.nfql)", () => {
  const ssdp = (srcip: string, at: number, bytes: number) => flow({ at, lasts: 4, proto: 17, srcip, srcport: 1900, dstip: '239.255.255.250', dstport: 1900, bytes, tcpflags: 0 });
  const natpmp = (srcip: string, at: number, bytes: number) => flow({ at, lasts: 4, proto: 17, srcip, srcport: 5350, dstip: '192.168.1.1', dstport: 5351, bytes, tcpflags: 0 });

  it('a host whose SSDP (321 bytes) and NAT-PMP (160 bytes) exchanges overlap', () => {
    const recs = [
      /* 1 */ ssdp('192.168.1.5', 0, 200),
      /* 2 */ ssdp('192.168.1.5', 1, 121), // same group as 1: 321 bytes, 0–5 s
      /* 3 */ natpmp('192.168.1.5', 2, 160), // 2–6 s: overlaps
      /* 4 */ ssdp('192.168.1.6', 10, 321),
      /* 5 */ natpmp('192.168.1.6', 20, 160), // same host, no overlap
      /* 6 */ ssdp('192.168.1.7', 30, 500),
      /* 7 */ natpmp('192.168.1.7', 31, 160), // overlaps, but the SSDP group has 500 bytes
      /* 8 */ natpmp('192.168.1.8', 10.5, 160), // overlaps 4, another host
    ];
    expect(matchIds(run(fixture('flowy-ssdp-natpmp.nfql'), recs))).toEqual([[1, 2, 3]]);
  });
});

describe("Flowy's Chrome query (flowy-chrome.nfql)", () => {
  it('connections to the two sets of front ends whose groups overlap (either way round)', () => {
    const recs = [
      /* 1 */ flow({ at: 0, lasts: 5, srcip: '10.0.0.1', dstip: '209.85.135.100', dstport: 80 }),
      /* 2 */ flow({ at: 2, lasts: 5, srcip: '10.0.0.1', dstip: '74.125.171.217', dstport: 80 }), // overlaps 1
      /* 3 */ flow({ at: 20, lasts: 2, srcip: '10.0.0.2', dstip: '209.85.135.113', dstport: 80 }),
      /* 4 */ flow({ at: 19, lasts: 2, srcip: '10.0.0.2', dstip: '74.125.43.141', dstport: 80 }), // 4 overlaps 3 (B o A)
      /* 5 */ flow({ at: 40, lasts: 1, srcip: '10.0.0.3', dstip: '209.85.135.138', dstport: 80 }),
      /* 6 */ flow({ at: 42, lasts: 1, srcip: '10.0.0.3', dstip: '74.125.171.231', dstport: 80 }), // after: no
    ];
    expect(matchIds(run(fixture('flowy-chrome.nfql'), recs))).toEqual([[1, 2], [4, 3]]);
  });
});
