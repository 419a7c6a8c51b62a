import { TestBed } from '@angular/core/testing';

import { I18n } from '../../core/i18n/i18n';
import { PickedPicture, UploadPanel } from './upload-panel';

const PNG_HEAD = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];

describe('UploadPanel', () => {
  beforeEach(() => {
    TestBed.inject(I18n).setLang('en');
    // jsdom has no object URLs; the thumbnail only needs a string.
    URL.createObjectURL = vi.fn(() => 'blob:thumbnail');
    URL.revokeObjectURL = vi.fn();
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

  it('in texture mode offers "Texture my mesh" once a mesh is chosen, with only the options that apply', async () => {
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
    expect(button?.textContent?.trim()).toBe('Texture my mesh');
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
});
