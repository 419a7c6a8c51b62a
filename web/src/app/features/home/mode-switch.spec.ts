import { TestBed } from '@angular/core/testing';

import { I18n } from '../../core/i18n/i18n';
import { ModeSwitch } from './mode-switch';

describe('ModeSwitch', () => {
  beforeEach(() => TestBed.inject(I18n).setLang('en'));

  it('switches between making a model and texturing a mesh, as a radio group', async () => {
    const fixture = TestBed.createComponent(ModeSwitch);
    await fixture.whenStable();
    const element = fixture.nativeElement as HTMLElement;
    const generate = element.querySelector<HTMLButtonElement>('[data-testid=mode-generate]');
    const texture = element.querySelector<HTMLButtonElement>('[data-testid=mode-texture]');
    expect([generate?.textContent?.trim(), texture?.textContent?.trim()]).toEqual([
      'From a picture',
      'Paint my own mesh',
    ]);
    expect(generate?.getAttribute('aria-checked')).toBe('true');
    texture?.click();
    await fixture.whenStable();
    expect(fixture.componentInstance.mode()).toBe('texture');
    expect(texture?.getAttribute('aria-checked')).toBe('true');
    expect(generate?.getAttribute('aria-checked')).toBe('false');
    // Arrow keys move the choice, as in any radio group.
    element
      .querySelector('[role=radiogroup]')
      ?.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }));
    expect(fixture.componentInstance.mode()).toBe('generate');
  });

  it('does not change the job while a task is sent or followed', async () => {
    const fixture = TestBed.createComponent(ModeSwitch);
    fixture.componentRef.setInput('disabled', true);
    await fixture.whenStable();
    const texture = (fixture.nativeElement as HTMLElement).querySelector<HTMLButtonElement>(
      '[data-testid=mode-texture]',
    );
    expect(texture?.disabled).toBe(true);
    texture?.click();
    expect(fixture.componentInstance.mode()).toBe('generate');
  });
});
