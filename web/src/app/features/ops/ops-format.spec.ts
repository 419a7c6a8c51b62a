import { formatBytes, formatSeconds } from './ops-format';

describe('ops console formats', () => {
  it('says bytes in powers of 1024, one decimal under 10', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(20 * 1024 * 1024)).toBe('20 MB');
    expect(formatBytes(3.2 * 1024 ** 3)).toBe('3.2 GB');
    expect(formatBytes(-1)).toBe('?');
  });

  it('says seconds, minutes and hours', () => {
    expect(formatSeconds(44.6)).toBe('45 s');
    expect(formatSeconds(185)).toBe('3 min 5 s');
    expect(formatSeconds(7440)).toBe('2 h 4 min');
  });
});
