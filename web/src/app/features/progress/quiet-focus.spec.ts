import { TestBed } from '@angular/core/testing';

import { FocusModality, QUIET_FOCUS_ATTRIBUTE, focusFromCode } from './quiet-focus';

describe('focusFromCode', () => {
  afterEach(() => document.body.replaceChildren());

  function status(): HTMLElement {
    const p = document.createElement('p');
    p.tabIndex = -1;
    document.body.append(p);
    return p;
  }

  it('focuses without a ring for someone who has not used the keyboard, until it loses focus', () => {
    const p = status();
    focusFromCode(p, false);
    expect(document.activeElement).toBe(p);
    expect(p.hasAttribute(QUIET_FOCUS_ATTRIBUTE)).toBe(true);
    p.blur();
    expect(p.hasAttribute(QUIET_FOCUS_ATTRIBUTE)).toBe(false);
  });

  it('keeps the ring for a keyboard user', () => {
    const p = status();
    p.setAttribute(QUIET_FOCUS_ATTRIBUTE, '');
    focusFromCode(p, true);
    expect(document.activeElement).toBe(p);
    expect(p.hasAttribute(QUIET_FOCUS_ATTRIBUTE)).toBe(false);
  });
});

describe('FocusModality', () => {
  it('keyboard after a key press, not after a pointer or a shortcut, nor before anything', () => {
    const modality = TestBed.inject(FocusModality);
    expect(modality.keyboard).toBe(false);
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    expect(modality.keyboard).toBe(true);
    document.dispatchEvent(new Event('pointerdown'));
    expect(modality.keyboard).toBe(false);
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'c', ctrlKey: true }));
    expect(modality.keyboard).toBe(false);
  });
});
