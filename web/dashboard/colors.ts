// Colours of the lines on screen, distinct among what is visible: up to the palette's size the
// shared run palette (the colours `recur report` uses), beyond it hues spread evenly around the
// circle with alternating lightness, so neighbours in the order differ in both.
import { PALETTE } from '../../src/track/colors.js';

export function distinctColors(n: number): string[] {
  if (n <= PALETTE.length) return PALETTE.slice(0, n);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    // Every other colour from the opposite half of the circle: adjacent lines never share a hue.
    const k = i % 2 === 0 ? i / 2 : Math.ceil(n / 2) + (i - 1) / 2;
    const hue = (k * 360) / n;
    const light = [0.42, 0.3, 0.55][i % 3];
    out.push(hslToHex(hue, 0.7, light));
  }
  return out;
}

export function hslToHex(h: number, s: number, l: number): string {
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    const c = l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(c * 255).toString(16).padStart(2, '0');
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}
