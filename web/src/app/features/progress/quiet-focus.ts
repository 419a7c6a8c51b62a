import { DOCUMENT, Injectable, inject } from '@angular/core';

/** The attribute that hides the focus ring of an element focused by code (styles.css). */
export const QUIET_FOCUS_ATTRIBUTE = 'data-quiet-focus';

/**
 * How the person last used the page: by keyboard (a key pressed, not a shortcut) or not (a
 * pointer, or nothing yet). Listens from the app's start (app.config.ts), so the key press that
 * started a task (Enter on Generate) is already known when the task's status takes the focus.
 */
@Injectable({ providedIn: 'root' })
export class FocusModality {
  private keyboardLast = false;

  constructor() {
    const doc = inject(DOCUMENT);
    doc.addEventListener(
      'keydown',
      (event) => {
        if (!event.ctrlKey && !event.metaKey && !event.altKey) this.keyboardLast = true;
      },
      true,
    );
    doc.addEventListener('pointerdown', () => (this.keyboardLast = false), true);
  }

  /** Whether the last interaction was a key press. */
  get keyboard(): boolean {
    return this.keyboardLast;
  }
}

/**
 * Moves the focus to `element` from code (a status sentence, tabindex="-1", that takes it when
 * the button that held it went away). With a ring only for a keyboard user (`keyboard`), who
 * needs to see where the focus went; a visitor who never touched the page, or one using a
 * pointer, sees none (browsers draw :focus-visible for focus moved by code before any input).
 */
export function focusFromCode(element: HTMLElement, keyboard: boolean): void {
  if (keyboard) {
    element.removeAttribute(QUIET_FOCUS_ATTRIBUTE);
    element.focus();
    return;
  }
  element.setAttribute(QUIET_FOCUS_ATTRIBUTE, '');
  element.addEventListener('blur', () => element.removeAttribute(QUIET_FOCUS_ATTRIBUTE), { once: true });
  // focusVisible: where supported, the browser draws no ring either (styles.css covers the rest).
  element.focus({ focusVisible: false } as FocusOptions);
}
