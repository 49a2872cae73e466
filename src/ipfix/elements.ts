/**
 * How each registry field travels as an IPFIX / NetFlow v9 information element: the element ids
 * come from the field registry (src/flow/fields.ts); this module only decides the wire encoding
 * from the field's type, so there is no second list of fields.
 */
import { allFields, type FieldDef, FLOWSIG_PEN, type IpfixElement } from '../flow/fields.js';

/** wire encodings */
export type Codec =
  /** unsigned integer, 1–8 bytes big-endian */
  | 'uint'
  /** signed 64-bit integer */
  | 'int'
  /** float64 */
  | 'float'
  | 'ip4'
  | 'ip6'
  /** dateTimeMilliseconds: unsigned64 epoch ms */
  | 'ms'
  /** IPFIX boolean: 1 true, 2 false */
  | 'bool'
  /** variable-length UTF-8 string */
  | 'string'
  /** a set as a variable-length UTF-8 string, elements joined by ';' (as in flowsig's CSV) */
  | 'set'
  /** flowEndReason code */
  | 'reason';

export const VARIABLE_LENGTH = 0xffff;

export interface ElementSpec {
  field: FieldDef;
  element: IpfixElement;
  id: number;
  /** 0 for IANA elements */
  enterprise: number;
  /** bytes on the wire, VARIABLE_LENGTH for strings */
  length: number;
  codec: Codec;
}

/** Fields never exported: rec_id is per input, duration is etime − stime (both times travel). */
const NOT_EXPORTED = new Set(['rec_id', 'duration']);

export function codecOf(field: FieldDef, element: IpfixElement): Codec {
  const iana = element.enterprise === undefined || element.enterprise === 29305;
  switch (field.type) {
    case 'time':
      return 'ms';
    case 'duration':
      return iana ? 'uint' : 'float';
    case 'int':
      return iana ? 'uint' : 'int';
    case 'ip':
      return element.family === 6 ? 'ip6' : 'ip4';
    case 'enum':
      return iana && element.id === 136 ? 'reason' : 'string';
    case 'bool':
      return 'bool';
    case 'set':
      return 'set';
    case 'string':
      return 'string';
  }
}

function lengthOf(codec: Codec, element: IpfixElement): number {
  if (element.length !== undefined) return element.length;
  switch (codec) {
    case 'ip4':
      return 4;
    case 'ip6':
      return 16;
    case 'bool':
    case 'reason':
      return 1;
    case 'string':
    case 'set':
      return VARIABLE_LENGTH;
    default:
      return 8;
  }
}

/** One spec per element of `field` (two for address fields: IPv4 and IPv6); our enterprise elements under `pen`. */
export function fieldSpecs(field: FieldDef, pen: number): ElementSpec[] {
  if (!field.ipfix) return [];
  return field.ipfix.map((element) => {
    const codec = codecOf(field, element);
    const enterprise = element.enterprise === undefined ? 0 : element.enterprise === FLOWSIG_PEN ? pen : element.enterprise;
    return { field, element, id: element.id, enterprise, length: lengthOf(codec, element), codec };
  });
}

/** The elements an exporter may send for records with these fields. */
export function exportSpecs(fields: readonly FieldDef[], pen: number): ElementSpec[] {
  return fields.filter((f) => !NOT_EXPORTED.has(f.name)).flatMap((f) => fieldSpecs(f, pen));
}

/** Every element the registry knows (the collector's view), keyed by `enterprise:id`. */
export function registrySpecs(pen: number): Map<string, ElementSpec> {
  const map = new Map<string, ElementSpec>();
  for (const f of allFields()) for (const s of fieldSpecs(f, pen)) map.set(`${s.enterprise}:${s.id}`, s);
  return map;
}

/** flowEndReason (RFC 7011 / IANA): 1 idle timeout, 2 active timeout, 3 end of flow detected, 4 forced end, 5 lack of resources */
export const END_REASON_CODES: Readonly<Record<string, number>> = { idle: 1, active: 2, fin: 3, rst: 3, eof: 4, cache: 5 };
