/**
 * The tag codec carries tag fields from the metering thread to the output thread: every value must come
 * back exactly (numbers bit for bit, strings in any script, sets, null), absent fields stay absent, and
 * the reused record forgets the previous record's fields.
 */
import { describe, expect, it } from 'vitest';
import type { FieldDef } from '../../src/flow/fields.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { createTagDecoder, createTagEncoder } from '../../src/report/tagcodec.js';

const NAMES = ['app', 'sip_methods', 'sip_codes', 'sdp_media', 'rtp_jitter_max', 'dns_synth64', 'xlat_peer', 'note'];
/** `app` is an enum (sent as the index of its value), the others travel as what they hold */
const FIELDS: FieldDef[] = NAMES.map((name) => ({
  name, aliases: [], group: 'tag', description: '', type: name === 'app' ? 'enum' : 'string', values: name === 'app' ? ['sip', 'rtp', 'dns'] : undefined,
}));

function roundTrip(values: Record<string, unknown>[]): Record<string, unknown>[] {
  const enc = createTagEncoder(FIELDS);
  const dec = createTagDecoder(FIELDS);
  return values.map((v) => {
    const n = enc.encode(v as FlowRecord);
    const copy = Buffer.from(enc.bytes.subarray(0, n));
    const rec = dec(copy, 0);
    // only the fields that came back (the reused record has the others undefined)
    return Object.fromEntries(Object.entries(rec).filter(([, x]) => x !== undefined));
  });
}

describe('tag codec', () => {
  it('brings back every kind of value exactly', () => {
    const records = [
      { app: 'sip', sip_methods: ['INVITE', 'ACK', 'BYE'], sip_codes: [100, 180, 200], sdp_media: ['[2001:db8::1]:49170', '192.0.2.7:5004'] },
      { app: 'rtp', rtp_jitter_max: 0.1 + 0.2, xlat_peer: 2 ** 53 - 1, dns_synth64: false },
      { dns_synth64: true, note: null, sip_methods: [] },
      { note: 'Grüße aus Köln — 日本語 — ' + 'x'.repeat(100), app: 'dns' },
      { note: 'é'.repeat(70) },
      // not one of the enum's values: carried as a string
      { app: 'mdns' },
      { rtp_jitter_max: -0, xlat_peer: 1e-300, sip_codes: [NaN, Infinity] },
    ];
    expect(roundTrip(records)).toEqual(records);
  });

  it('sends an enum value as one byte', () => {
    const enc = createTagEncoder(FIELDS);
    // field 0, ENUM, index 2 ("dns"), END
    expect([...enc.bytes.subarray(0, enc.encode({ app: 'dns' } as unknown as FlowRecord))]).toEqual([0, 6, 2, 255]);
  });

  it('leaves fields of the previous record behind', () => {
    const [, second] = roundTrip([{ app: 'sip', sip_methods: ['REGISTER'] }, { dns_synth64: true }]);
    expect(second).toEqual({ dns_synth64: true });
  });

  it('grows past its first buffer for a long value', () => {
    const long = 'a'.repeat(200_000);
    expect(roundTrip([{ note: long, sip_methods: Array.from({ length: 5000 }, (_, i) => `M${i}`) }])).toEqual([
      { note: long, sip_methods: Array.from({ length: 5000 }, (_, i) => `M${i}`) },
    ]);
  });
});
