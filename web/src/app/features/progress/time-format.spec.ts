import { formatElapsed, formatEta } from './time-format';

describe('time formats', () => {
  it('formats elapsed time as m:ss or h:mm:ss', () => {
    expect(formatElapsed(0)).toBe('0:00');
    expect(formatElapsed(75)).toBe('1:15');
    expect(formatElapsed(3725)).toBe('1:02:05');
  });

  it('rounds an estimate for people', () => {
    expect(formatEta(44.4, 'en')).toBe('about 44 s');
    expect(formatEta(200, 'en')).toBe('about 3 min');
    expect(formatEta(30, 'zh')).toBe('约 30 秒');
  });
});
