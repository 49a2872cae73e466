/**
 * Every tagger, registered in one place. Importing this module registers the
 * tag fields in the field registry (so writers and the NFQL checker know them);
 * `createTagging` builds the FlowInspector a meter runs them with.
 */
import { type FieldDef, registerField } from '../flow/fields.js';
import type { FlowInspector } from '../flow/meter.js';
import { dnsTagger } from './dns.js';
import { createTagInspector, type Tagger } from './inspector.js';
import { createMediaRegistry } from './media.js';
import { nat64Tagger, parsePrefix64, type Prefix64, WELL_KNOWN_PREFIX } from './nat64.js';
import { createRtpTagger, RTP_FIELDS } from './rtp.js';
import { sipTagger, SIP_FIELDS } from './sip.js';
import { DNS_FIELDS } from './dns.js';
import { NAT64_FIELDS } from './nat64.js';
import { createXlatTagger, XLAT_FIELDS } from './xlat.js';
import { forwardingClatHosts, forwardingInspector, type OffThreadEvents } from './offthread.js';

export const APPS = ['sip', 'rtp', 'rtcp', 'dns', 'mdns'] as const;

const APP_FIELD: FieldDef = {
  name: 'app', aliases: ['application'], type: 'enum', values: APPS, group: 'tag',
  description: 'application the taggers recognized: sip, rtp, rtcp, dns, mdns (empty when none)',
};

/** The tag fields, in output order. */
export const TAG_FIELDS: readonly FieldDef[] = [APP_FIELD, ...SIP_FIELDS, ...RTP_FIELDS, ...DNS_FIELDS, ...NAT64_FIELDS, ...XLAT_FIELDS];
for (const f of TAG_FIELDS) registerField(f);

export interface TagOptions {
  /** NAT64 prefixes as text ("64:ff9b::/96"); default the well-known prefix */
  pref64?: readonly string[];
  /**
   * The output thread sets the nat64 and xlat tags (src/tag/offthread.ts): the taggers here leave them
   * out and tell `offThread` what those need.
   */
  offThread?: OffThreadEvents;
}

/** Parses --pref64 values; throws Error with the reason for a bad one. */
export function parsePref64List(texts: readonly string[] | undefined): Prefix64[] {
  const list = texts && texts.length > 0 ? texts : [WELL_KNOWN_PREFIX];
  return list.map(parsePrefix64);
}

/** A fresh set of taggers (their shared state — announced media — belongs to one pipeline). */
export function createTagging(options: TagOptions = {}): FlowInspector {
  const pref64 = parsePref64List(options.pref64);
  const off = options.offThread;
  const taggers = (off ? [sipTagger, dnsTagger, createRtpTagger()] : [sipTagger, dnsTagger, createRtpTagger(), nat64Tagger, createXlatTagger()]) as Tagger[];
  const clatHosts = off ? forwardingClatHosts(off) : new Set<string>();
  const inspector = { ...createTagInspector(taggers, { pref64, media: createMediaRegistry(), clatHosts }), fields: TAG_FIELDS.map((f) => f.name) };
  return off ? forwardingInspector(inspector, pref64, off) : inspector;
}
