import { TestBed } from '@angular/core/testing';

import { ApiClient } from '../../core/api/api-client';
import type { QualityPreset } from '../../core/api/api-types';
import { I18n, type MessageParams, translate } from '../../core/i18n/i18n';
import type { MessageKey } from '../../core/i18n/messages';
import { UploadPanel, qualityChoices, toChoice } from './upload-panel';

describe('toChoice (the options panel)', () => {
  const blank = { quality: 'balanced', seed: '', textureSize: '2048', faces: '' };

  it('sends what the panel holds, and nothing for blank numbers', () => {
    expect(toChoice(blank)).toEqual({ quality: 'balanced', texture_size: 2048 });
    expect(toChoice({ quality: 'high', seed: '7', textureSize: '4096', faces: '20000' })).toEqual({
      quality: 'high',
      seed: 7,
      texture_size: 4096,
      faces: 20000,
    });
  });

  it('leaves out what the server would refuse (it decides; the page never sends a bad value)', () => {
    expect(toChoice({ quality: 'ultra', seed: '0', textureSize: '512', faces: '5' })).toEqual({});
    expect(toChoice({ ...blank, seed: '1.5', faces: '2000000' })).toEqual({
      quality: 'balanced',
      texture_size: 2048,
    });
  });
});

describe('the quality list (GET /api/qualities)', () => {
  const preset = (
    quality: QualityPreset['quality'],
    offered: boolean,
    expected_s: number,
  ): QualityPreset => ({
    quality,
    pipeline_type: { fast: '512', balanced: '1024_cascade', high: '1536_cascade' }[quality],
    default: quality === 'balanced',
    offered,
    expected_s,
    measured_s: offered ? expected_s : 181,
    measured_jobs: 3,
  });
  const en = (key: MessageKey, params?: MessageParams) => translate('en', key, params);

  it('shows the bare names, all selectable, before the server said anything', () => {
    expect(qualityChoices([], 'en', en)).toEqual([
      { value: 'fast', offered: true, text: 'Fast (512)' },
      { value: 'balanced', offered: true, text: 'Balanced (1024)' },
      { value: 'high', offered: true, text: 'High (1536)' },
    ]);
  });

  it("names each preset's expected time, and marks one this GPU cannot run in time", () => {
    const list = [preset('fast', true, 21.4), preset('balanced', true, 48), preset('high', false, 181)];
    expect(qualityChoices(list, 'en', en)).toEqual([
      { value: 'fast', offered: true, text: 'Fast (512), about 21 s' },
      { value: 'balanced', offered: true, text: 'Balanced (1024), about 48 s' },
      { value: 'high', offered: false, text: 'High (1536): too slow for this GPU' },
    ]);
  });

  it('the panel disables a refused preset and moves a refused choice to the default', async () => {
    const list = [preset('fast', true, 20), preset('balanced', true, 48), preset('high', false, 181)];
    const getQualities = vi.spyOn(TestBed.inject(ApiClient), 'getQualities').mockResolvedValue({
      presets: list,
      unused: { generate: [], texture: [] },
    });
    TestBed.inject(I18n).setLang('en');
    const fixture = TestBed.createComponent(UploadPanel);
    await fixture.whenStable();
    const element = fixture.nativeElement as HTMLElement;
    const select = element.querySelector<HTMLSelectElement>('[data-testid=option-quality]');
    if (!select) throw new Error('no quality select');
    select.value = 'high';
    select.dispatchEvent(new Event('change'));
    await fixture.whenStable();
    expect(select.value).toBe('high');
    await fixture.componentInstance.loadPresets();
    await fixture.whenStable();
    expect(getQualities).toHaveBeenCalledOnce();
    const options = Array.from(select.options).map((o) => [o.value, o.disabled, o.textContent?.trim()]);
    expect(options).toEqual([
      ['fast', false, 'Fast (512), about 20 s'],
      ['balanced', false, 'Balanced (1024), about 48 s'],
      ['high', true, 'High (1536): too slow for this GPU'],
    ]);
    expect(select.value).toBe('balanced');
  });
});

describe('options the engine never uses (GET /api/qualities unused_options)', () => {
  const disabled = (element: HTMLElement): Record<string, boolean> =>
    Object.fromEntries(
      Array.from(
        element.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[data-testid^=option-]'),
      ).map((control) => [control.dataset['testid'] ?? '', control.disabled]),
    );

  async function panel(mode: 'generate' | 'texture', lang: 'en' | 'zh') {
    vi.spyOn(TestBed.inject(ApiClient), 'getQualities').mockResolvedValue({
      presets: [],
      // The CPU engine's, as GET /api/qualities answers them (in the requests' order).
      unused: {
        generate: ['quality', 'seed', 'texture_size', 'faces'],
        texture: ['seed', 'texture_resolution'],
      },
    });
    TestBed.inject(I18n).setLang(lang);
    const fixture = TestBed.createComponent(UploadPanel);
    fixture.componentRef.setInput('mode', mode);
    await fixture.whenStable();
    const element = fixture.nativeElement as HTMLElement;
    expect(element.querySelector('[data-testid=unused-options]')).toBeNull();
    expect(Object.values(disabled(element)).some(Boolean)).toBe(false);
    await fixture.componentInstance.loadPresets();
    await fixture.whenStable();
    return element;
  }

  it('are greyed out and named for a generation, once the server said so', async () => {
    const element = await panel('generate', 'en');
    expect(element.querySelector('[data-testid=unused-options]')?.textContent?.trim()).toBe(
      "This server's engine does not use: quality, seed, texture size, faces.",
    );
    expect(disabled(element)).toEqual({
      'option-quality': true,
      'option-seed': true,
      'option-texture-size': true,
      'option-faces': true,
    });
  });

  it("only the texturing's own fields for a texturing: its texture size stays, and texture resolution (no field here) is not named, in zh too", async () => {
    const element = await panel('texture', 'zh');
    expect(element.querySelector('[data-testid=unused-options]')?.textContent?.trim()).toBe(
      '这台服务器的引擎不使用：随机种子。',
    );
    expect(disabled(element)).toEqual({ 'option-seed': true, 'option-texture-size': false });
  });
});
