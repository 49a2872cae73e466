/**
 * Service of a binding, as the study grouped ports in use: by the outside
 * (destination) port of the session that created the binding.
 */
export const SERVICES = ['dns', 'http', 'https', 'other'] as const;
export type Service = (typeof SERVICES)[number];

/** DNS: 53 (UDP, TCP) and 853 (DNS over TLS / QUIC); HTTP: 80, 8080; HTTPS: 443 (TLS, and QUIC over UDP). */
export function serviceOfPort(proto: number, outsidePort: number): Service {
  if (proto !== 6 && proto !== 17) return 'other'; // ICMP echo
  switch (outsidePort) {
    case 53:
    case 853:
      return 'dns';
    case 80:
    case 8080:
      return 'http';
    case 443:
      return 'https';
    default:
      return 'other';
  }
}

/** `--by app`: the flow's app tag, or this label when the taggers recognised nothing. */
export const UNTAGGED = 'other';

/** Display order: known labels first in their order, then the rest alphabetically, "other" last. */
export function orderCategories(seen: Iterable<string>, preferred: readonly string[]): string[] {
  const set = new Set(seen);
  const first = preferred.filter((c) => set.has(c) && c !== UNTAGGED);
  const rest = [...set].filter((c) => !preferred.includes(c) && c !== UNTAGGED).sort();
  return [...first, ...rest, ...(set.has(UNTAGGED) ? [UNTAGGED] : [])];
}
