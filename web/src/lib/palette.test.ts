import { describe, expect, it } from 'vitest';

import { contrast, luminance, pointPalette } from './palette';

describe('point colours', () => {
  it('computes WCAG contrast', () => {
    expect(luminance('#ffffff')).toBeCloseTo(1);
    expect(luminance('#000000')).toBeCloseTo(0);
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21);
    expect(contrast('#0f5c8c', '#ffffff')).toBeGreaterThan(4.5);
  });

  it('gives every point a text colour with at least 4.5:1 contrast', () => {
    for (let count = 1; count <= 11; count++) {
      const palette = pointPalette(count);
      expect(palette).toHaveLength(count);
      for (const swatch of palette) expect(contrast(swatch.fill, swatch.text)).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('goes from light to dark', () => {
    const palette = pointPalette(5);
    const lum = palette.map((s) => luminance(s.fill));
    expect([...lum].sort((a, b) => b - a)).toEqual(lum);
  });
});
