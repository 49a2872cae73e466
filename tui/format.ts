/** Numbers and times for narrow columns. */

/** 1234567 → "1.23M"; 950 → "950" */
export function si(n: number, unit = ''): string {
  if (!Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  const [d, s] = abs >= 1e9 ? [1e9, 'G'] : abs >= 1e6 ? [1e6, 'M'] : abs >= 1e3 ? [1e3, 'k'] : [1, ''];
  const v = n / d;
  const text = d === 1 ? String(Math.round(v)) : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return `${text}${s}${unit}`;
}

/** 3725000 → "1:02:05"; 65000 → "1:05" */
export function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** time of day, UTC, to the millisecond: "10:00:05.123" */
export function timeOfDay(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  return new Date(ms).toISOString().slice(11, 23);
}

/** "[2001:db8::1]:443", "10.0.0.1:53", "10.0.0.1" for portless protocols */
export function endpoint(ip: string, port: number, proto: number): string {
  if (proto !== 6 && proto !== 17 && proto !== 132) return ip;
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function fit(text: string, width: number): string {
  if (text.length <= width) return text.padEnd(width);
  return `${text.slice(0, Math.max(0, width - 1))}…`;
}
