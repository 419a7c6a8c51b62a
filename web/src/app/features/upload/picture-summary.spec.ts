import { translate } from '../../core/i18n/i18n';
import { describeChange, formatSize } from './picture-summary';

const MB = 1024 * 1024;

describe('describeChange', () => {
  it('says what was scaled: size and bytes before and after, and the format sent', () => {
    const { key, params } = describeChange({
      reason: 'bytes',
      from: { width: 6000, height: 4000, bytes: 14.2 * MB },
      to: { width: 3072, height: 2048, bytes: 1.9 * MB, kind: 'jpeg' },
    });
    expect(translate('en', key, params)).toBe('Scaled 6000×4000, 14.2 MB → 3072×2048, 1.9 MB (JPEG).');
    expect(translate('zh', key, params)).toBe('已缩小：6000×4000, 14.2 MB → 3072×2048, 1.9 MB（JPEG）。');
  });

  it('says "compressed" when only the bytes changed, not the size', () => {
    const { key, params } = describeChange({
      reason: 'bytes',
      from: { width: 2400, height: 2400, bytes: 13.5 * MB },
      to: { width: 2400, height: 2400, bytes: 3.8 * MB, kind: 'png' },
    });
    expect(key).toBe('upload.compressed');
    expect(translate('en', key, params)).toBe('Compressed 2400×2400, 13.5 MB → 2400×2400, 3.8 MB (PNG).');
    expect(translate('zh', key, params)).toBe('已压缩：2400×2400, 13.5 MB → 2400×2400, 3.8 MB（PNG）。');
  });

  it('says a HEIC or AVIF photo was converted', () => {
    const { key, params } = describeChange({
      reason: 'format',
      from: { width: 4032, height: 3024, bytes: 2.04 * MB },
      to: { width: 3072, height: 2304, bytes: 1.5 * MB, kind: 'png' },
    });
    expect(key).toBe('upload.converted');
    expect(translate('en', key, params)).toBe('Converted 4032×3024, 2.0 MB → 3072×2304, 1.5 MB (PNG).');
  });

  it('writes bytes as MB with one decimal from 1 MB, as whole kB below', () => {
    expect(formatSize(10 * MB)).toBe('10.0 MB');
    expect(formatSize(MB)).toBe('1.0 MB');
    expect(formatSize(MB - 1)).toBe('1024 kB');
    expect(formatSize(300 * 1024)).toBe('300 kB');
    expect(formatSize(11_988)).toBe('12 kB');
    expect(formatSize(100)).toBe('1 kB');
  });
});
