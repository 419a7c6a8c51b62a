import { TestBed } from '@angular/core/testing';

import { I18n, format, langFromUrl, pickLang, translate } from './i18n';
import { EN, MessageKey, ZH } from './messages';

describe('i18n', () => {
  it('picks Chinese for any zh tag and English otherwise', () => {
    expect(pickLang(['zh-CN', 'en'])).toBe('zh');
    expect(pickLang(['zh-Hant-TW'])).toBe('zh');
    expect(pickLang(['fr-FR', 'en-GB', 'zh'])).toBe('en');
    expect(pickLang(['de'])).toBe('en');
    expect(pickLang([])).toBe('en');
  });

  it('reads ?lang= from a link, and ignores languages it does not have', () => {
    expect(langFromUrl('https://k.example/m/1?lang=zh')).toBe('zh');
    expect(langFromUrl('https://k.example/?lang=EN')).toBe('en');
    expect(langFromUrl('https://k.example/?lang=zh-CN')).toBe('zh');
    expect(langFromUrl('https://k.example/?lang=fr')).toBeUndefined();
    expect(langFromUrl('https://k.example/')).toBeUndefined();
    expect(langFromUrl(undefined)).toBeUndefined();
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(format('{a} and {b}', { a: 1 })).toBe('1 and {b}');
  });

  it('has every message in both languages, with the same placeholders', () => {
    for (const key of Object.keys(EN) as MessageKey[]) {
      expect(ZH[key].trim(), key).not.toBe('');
      // Each once or more: en repeats the server's contract text in parentheses, zh does not.
      const placeholders = (text: string): string[] => [...new Set(text.match(/\{\w+\}/g) ?? [])].sort();
      expect(placeholders(ZH[key]), key).toEqual(placeholders(EN[key]));
    }
  });

  it('switches language through the signal and remembers it', () => {
    localStorage.removeItem('kiln3d.lang');
    const i18n = TestBed.inject(I18n);
    i18n.setLang('zh');
    expect(i18n.t('progress.cancel')).toBe('取消');
    expect(localStorage.getItem('kiln3d.lang')).toBe('zh');
    i18n.setLang('en');
    expect(i18n.t('progress.queued', { position: 3 })).toBe('Waiting in line: number 3.');
    expect(translate('zh', 'upload.limits', { max: 10 })).toBe('JPG、PNG 或 WebP，最大 10 MB。');
  });
});
