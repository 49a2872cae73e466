/**
 * `--svg`: the file is well-formed XML (checked here without dependencies),
 * Chromium opens it without a parser error, and its screenshot is a PNG of
 * the SVG's size showing the stacked areas in their legend colours.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SVG_WIDTH, svgHeight } from '../../src/ports/svg.js';
import { flowsig, ROOT } from '../cli/run.js';
import { corpusPath, HAVE_CORPUS, NO_CORPUS_MESSAGE } from '../corpus.js';
import { IS_ROOT, missingPrograms } from '../live/namespaces.js';
import { countColor, readPng } from './png.js';
import { checkXml } from './xml.js';

const CHROMIUM = '/usr/bin/chromium';
const missing = missingPrograms([CHROMIUM]);
const noChromium = missing.length > 0 ? `needs ${CHROMIUM}` : undefined;
const OUT = join(ROOT, 'test-out', 'ports');

/** Chromium, in a network namespace of its own when we are root (it must not reach any network). */
function chromium(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const base = ['--headless', '--no-sandbox', '--disable-gpu', `--user-data-dir=${join(OUT, 'profile')}`, ...args];
  const r = IS_ROOT ? spawnSync('unshare', ['--net', CHROMIUM, ...base], { timeout: 90_000 }) : spawnSync(CHROMIUM, base, { timeout: 90_000 });
  return { code: r.status, stdout: r.stdout?.toString() ?? '', stderr: r.stderr?.toString() ?? '' };
}

describe('ports --svg', () => {
  beforeAll(() => mkdirSync(OUT, { recursive: true }));
  afterAll(() => rmSync(join(OUT, 'profile'), { recursive: true, force: true })); // the SVGs and the screenshot stay for a person to look at

  it('the XML checker rejects what browsers reject', () => {
    expect(checkXml('<?xml version="1.0"?>\n<svg a="1"><g><text>a &amp; b</text></g></svg>\n')).toEqual(['svg', 'g', 'text']);
    for (const bad of ['<svg><g></svg>', '<svg a=1/>', '<svg a="1" a="2"/>', '<svg>a & b</svg>', '<svg/><svg/>', '<svg><text>1 < 2</text></svg>', 'x<svg/>']) {
      expect(() => checkXml(bad), bad).toThrow();
    }
  });

  it.skipIf(!HAVE_CORPUS)('is well-formed: one panel per host (top 2), stacked areas by service, legend, axes', () => {
    if (!HAVE_CORPUS) return console.warn(NO_CORPUS_MESSAGE);
    const svgPath = join(OUT, 'skype.svg');
    const r = flowsig(['ports', '-r', corpusPath('apps/ndpi-skype-2015-session.pcap'), '--top', '2', '--svg', svgPath, '-q']);
    expect(r.code).toBe(0);
    const svg = readFileSync(svgPath, 'utf8');
    const names = checkXml(svg);
    expect(names[0]).toBe('svg');
    expect(svg).toContain(`width="${SVG_WIDTH}" height="${svgHeight(2)}"`);
    expect([...svg.matchAll(/<g class="host" data-host="([^"]+)"/g)].map((m) => m[1])).toEqual(['192.168.1.34', '192.168.1.92']);
    expect([...svg.matchAll(/<polygon class="area" data-category="([^"]+)"/g)].map((m) => m[1])).toEqual(['dns', 'https', 'other', 'other']);
    expect(svg).toContain('>192.168.1.34: peak 132 at 17:23:13 UTC, 132 bindings</text>');
    expect(svg).toContain('1 more hosts not shown');
    expect(svg).toContain('>time (UTC)</text>');
  });

  it.skipIf(!HAVE_CORPUS || noChromium !== undefined)('opens in headless Chromium without errors; the screenshot shows the chart', () => {
    const svgPath = join(OUT, 'skype-chromium.svg');
    expect(flowsig(['ports', '-r', corpusPath('apps/ndpi-skype-2015-session.pcap'), '--top', '2', '--svg', svgPath, '-q']).code).toBe(0);
    const dom = chromium(['--dump-dom', svgPath]);
    expect(dom.stdout).toContain('<svg');
    expect(dom.stdout).not.toContain('parsererror');
    expect(dom.stdout).toContain('192.168.1.34: peak 132');

    const png = join(OUT, 'skype.png');
    const height = svgHeight(2);
    const shot = chromium([`--screenshot=${png}`, `--window-size=${SVG_WIDTH},${height}`, '--hide-scrollbars', svgPath]);
    expect(shot.code, shot.stderr).toBe(0);
    const image = readPng(readFileSync(png));
    expect([image.width, image.height]).toEqual([SVG_WIDTH, height]);
    // the stacked areas in their palette colours (dns, https, other) and the red peak marker: not a blank page
    const dns = countColor(image, [0x4e, 0x79, 0xa7]);
    const https = countColor(image, [0x59, 0xa1, 0x4f]);
    const other = countColor(image, [0x9c, 0x9c, 0x9c]);
    const white = countColor(image, [255, 255, 255], 2);
    expect(dns).toBeGreaterThan(2000);
    expect(https).toBeGreaterThan(2000);
    expect(other).toBeGreaterThan(2000);
    expect(countColor(image, [0xdd, 0x00, 0x00], 40)).toBeGreaterThan(10);
    expect(white).toBeLessThan(image.width * image.height * 0.95);
    console.log(`screenshot ${png}: ${image.width}x${image.height}, dns ${dns} https ${https} other ${other} px`);
  });
});
