import { TestBed } from '@angular/core/testing';

import { I18n } from '../../core/i18n/i18n';
import { PICTURE_TOOLS, type PictureTools } from './picture-tools';
import { PickedPicture, UploadPanel } from './upload-panel';

const PNG_HEAD = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];

describe('UploadPanel', () => {
  beforeEach(() => {
    TestBed.inject(I18n).setLang('en');
    // jsdom has no object URLs; the thumbnail only needs a string.
    URL.createObjectURL = vi.fn(() => 'blob:thumbnail');
    URL.revokeObjectURL = vi.fn();
  });

  it('writes its hint as each language does: a space between English sentences, none in Chinese', async () => {
    const fixture = TestBed.createComponent(UploadPanel);
    await fixture.whenStable();
    const hint = (): string =>
      (fixture.nativeElement as HTMLElement).querySelector('[data-testid=upload-hint]')?.textContent ?? '';
    expect(hint()).toContain('is ideal. JPG, PNG or WebP, up to 10 MB. Larger photos');
    TestBed.inject(I18n).setLang('zh');
    await fixture.whenStable();
    expect(hint()).toContain('最理想。JPG、PNG 或 WebP，最大 10 MB。更大的照片');
    expect(hint()).not.toMatch(/。 /);
  });

  it("refuses a non-picture with the server's code, and offers nothing to send", async () => {
    const fixture = TestBed.createComponent(UploadPanel);
    await fixture.componentInstance.accept(new File(['just text'], 'cat.png', { type: 'image/png' }));
    await fixture.whenStable();
    const element = fixture.nativeElement as HTMLElement;
    const error = element.querySelector('[data-testid=upload-error]');
    expect(error?.getAttribute('data-error-code')).toBe('unsupported_image');
    expect(error?.textContent).toContain('not a JPG, PNG or WebP');
    expect(element.querySelector('[data-testid=generate]')).toBeNull();
    // The buttons that pick again name the refusal, so a screen reader repeats it there.
    for (const picker of ['[data-testid=choose]', '[data-testid=camera]']) {
      expect(element.querySelector(picker)?.getAttribute('aria-describedby')).toBe(error?.id);
    }
    expect(error?.id).toMatch(/^kiln-upload-error-\d+$/);
  });

  it('a HEIC photo this browser cannot read says so, with a way forward (not "not a JPG")', async () => {
    TestBed.inject(I18n).setLang('en');
    const fixture = TestBed.createComponent(UploadPanel);
    const heic = new Uint8Array([0, 0, 0, 0x18, ...[...'ftypheic'].map((c) => c.charCodeAt(0)), 1, 2, 3]);
    await fixture.componentInstance.accept(new File([heic], 'IMG_0002.HEIC'));
    await fixture.whenStable();
    const error = (fixture.nativeElement as HTMLElement).querySelector('[data-testid=upload-error]');
    expect(error?.textContent).toContain('This browser cannot read HEIC photos');
    expect(error?.textContent).toContain('Most Compatible');
  });

  it('a mesh offered as the picture says so and names the mode that paints meshes', async () => {
    const fixture = TestBed.createComponent(UploadPanel);
    await fixture.componentInstance.accept(new File(['v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n'], 'cube.obj'));
    await fixture.whenStable();
    const error = (fixture.nativeElement as HTMLElement).querySelector('[data-testid=upload-error]');
    expect(error?.textContent).toContain('This is a 3D mesh, not a picture.');
    expect(error?.textContent).toContain('choose "Paint my own mesh" above');
  });

  it('shows a thumbnail of an accepted picture and sends it on Generate', async () => {
    const fixture = TestBed.createComponent(UploadPanel);
    const sent: PickedPicture[] = [];
    fixture.componentInstance.submitted.subscribe((picked) => sent.push(picked));
    await fixture.componentInstance.accept(new File([new Uint8Array(PNG_HEAD)], 'shot.jpg'));
    await fixture.whenStable();
    const element = fixture.nativeElement as HTMLElement;
    expect(element.querySelector('[data-testid=thumbnail]')?.getAttribute('src')).toBe('blob:thumbnail');
    element.querySelector<HTMLButtonElement>('[data-testid=generate]')?.click();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ name: 'shot.jpg', kind: 'png' });
    // Nothing chosen, nothing sent: the fields' starting values are the server's defaults.
    expect(sent[0]?.options).toEqual({});
    const quality = element.querySelector<HTMLSelectElement>(
      '[data-testid=option-quality]',
    ) as HTMLSelectElement;
    quality.value = 'high';
    quality.dispatchEvent(new Event('change'));
    element.querySelector<HTMLButtonElement>('[data-testid=generate]')?.click();
    expect(sent[1]?.options).toEqual({ quality: 'high' });
  });

  it('does not send while a task is running', async () => {
    const fixture = TestBed.createComponent(UploadPanel);
    fixture.componentRef.setInput('busy', true);
    const sent: PickedPicture[] = [];
    fixture.componentInstance.submitted.subscribe((picked) => sent.push(picked));
    await fixture.componentInstance.accept(new File([new Uint8Array(PNG_HEAD)], 'a.png'));
    await fixture.whenStable();
    const button = (fixture.nativeElement as HTMLElement).querySelector<HTMLButtonElement>(
      '[data-testid=generate]',
    );
    expect(button?.disabled).toBe(true);
    button?.click();
    expect(sent).toEqual([]);
  });

  it('in texture mode offers "Paint the mesh" once a mesh is chosen, with only the options that apply', async () => {
    const fixture = TestBed.createComponent(UploadPanel);
    fixture.componentRef.setInput('mode', 'texture');
    fixture.componentRef.setInput('ready', false);
    const sent: PickedPicture[] = [];
    fixture.componentInstance.submitted.subscribe((picked) => sent.push(picked));
    await fixture.componentInstance.accept(new File([new Uint8Array(PNG_HEAD)], 'look.png'));
    await fixture.whenStable();
    const element = fixture.nativeElement as HTMLElement;
    expect(element.querySelector('[data-testid=generate]')).toBeNull();
    const button = element.querySelector<HTMLButtonElement>('[data-testid=texture]');
    expect(button?.textContent?.trim()).toBe('Paint the mesh');
    expect(button?.disabled).toBe(true);
    expect(element.querySelector('[data-testid=need-mesh]')).not.toBeNull();
    button?.click();
    expect(sent).toEqual([]);
    // Quality and faces make a model, not a texture: not offered.
    expect(element.querySelector('[data-testid=option-quality]')).toBeNull();
    expect(element.querySelector('[data-testid=option-faces]')).toBeNull();
    expect(element.querySelector('[data-testid=option-seed]')).not.toBeNull();
    expect(element.querySelector('[data-testid=option-texture-size]')).not.toBeNull();

    fixture.componentRef.setInput('ready', true);
    await fixture.whenStable();
    expect(button?.disabled).toBe(false);
    expect(element.querySelector('[data-testid=need-mesh]')).toBeNull();
    button?.click();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ name: 'look.png', kind: 'png' });
  });

  it('offers a labelled camera picker (capture="environment") beside the file picker', () => {
    const fixture = TestBed.createComponent(UploadPanel);
    fixture.detectChanges();
    const element = fixture.nativeElement as HTMLElement;
    const camera = element.querySelector<HTMLInputElement>('[data-testid=camera-input]');
    expect(camera?.getAttribute('capture')).toBe('environment');
    expect(camera?.getAttribute('accept')).toBe('image/*');
    expect(element.querySelector('[data-testid=camera]')?.textContent?.trim()).toBe('Take a photo');
  });
});

describe('UploadPanel with a picture to scale', () => {
  const encoded = new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0])], { type: 'image/jpeg' });
  const tools: PictureTools = {
    decode: () => Promise.resolve({ width: 6000, height: 4000, close: () => undefined }),
    draw: () => ({ hasTransparency: () => false, encode: () => Promise.resolve(encoded) }),
  };

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [{ provide: PICTURE_TOOLS, useValue: tools }] });
    TestBed.inject(I18n).setLang('en');
    URL.createObjectURL = vi.fn(() => 'blob:thumbnail');
    URL.revokeObjectURL = vi.fn();
  });

  it('scales a phone photo over the limit, shows what was done, and sends the scaled picture', async () => {
    const fixture = TestBed.createComponent(UploadPanel);
    fixture.componentRef.setInput('mode', 'texture');
    const sent: PickedPicture[] = [];
    fixture.componentInstance.submitted.subscribe((picked) => sent.push(picked));
    const photo = new Uint8Array(11 * 1024 * 1024);
    photo.set([0xff, 0xd8, 0xff, 0xe1]);
    await fixture.componentInstance.accept(new File([photo], 'IMG_0001.JPG'));
    await fixture.whenStable();
    const element = fixture.nativeElement as HTMLElement;
    const change = element.querySelector('[data-testid=picture-change]');
    expect(change?.getAttribute('data-reason')).toBe('bytes');
    expect(change?.textContent?.trim()).toBe('Scaled 6000×4000, 11.0 MB → 3072×2048, 1 kB (JPEG).');
    expect(element.querySelector('[data-testid=upload-error]')).toBeNull();
    element.querySelector<HTMLButtonElement>('[data-testid=texture]')?.click();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.blob).toBe(encoded);
    expect(sent[0]).toMatchObject({ name: 'IMG_0001.jpg', kind: 'jpeg' });
  });
});
