// Colours of the points of a scale: one hue from light (lowest) to dark (highest), each with
// the text colour (black or white) that reads best on it.

type Rgb = [number, number, number];

const LIGHT: Rgb = [0xd6, 0xe8, 0xf5];
const DARK: Rgb = [0x0a, 0x35, 0x5c];

function hex([r, g, b]: Rgb): string {
  return `#${[r, g, b].map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

function parse(colour: string): Rgb {
  const n = Number.parseInt(colour.replace('#', ''), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** WCAG relative luminance of a "#rrggbb" colour. */
export function luminance(colour: string): number {
  const [r, g, b] = parse(colour).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as Rgb;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two "#rrggbb" colours (1–21). */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

export interface Swatch {
  fill: string;
  text: string;
}

/** `count` swatches from light to dark. */
export function pointPalette(count: number): Swatch[] {
  const swatches: Swatch[] = [];
  for (let i = 0; i < count; i++) {
    const t = count === 1 ? 1 : i / (count - 1);
    const fill = hex(LIGHT.map((l, k) => l + (DARK[k]! - l) * t) as Rgb);
    const text = contrast(fill, '#000000') >= contrast(fill, '#ffffff') ? '#000000' : '#ffffff';
    swatches.push({ fill, text });
  }
  return swatches;
}
