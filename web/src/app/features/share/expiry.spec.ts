import { expiryOf, hoursLeft } from './expiry';

describe('expiry', () => {
  it('is Last-Modified plus the retention period', () => {
    const modified = new Date('2026-03-01T10:00:00Z');
    expect(expiryOf(modified, 48).toISOString()).toBe('2026-03-03T10:00:00.000Z');
  });

  it('counts whole hours left and never below zero', () => {
    const expiry = new Date('2026-03-03T10:00:00Z');
    expect(hoursLeft(expiry, Date.parse('2026-03-02T10:30:00Z'))).toBe(23);
    expect(hoursLeft(expiry, Date.parse('2026-03-04T00:00:00Z'))).toBe(0);
  });
});
