import { ChangeDetectionStrategy, Component, inject, input, model } from '@angular/core';

import type { TaskKind } from '../../core/api/api-types';
import { I18n } from '../../core/i18n/i18n';
import type { MessageKey } from '../../core/i18n/messages';

/** The page's two jobs: a model made from a picture, or the person's own mesh painted from one. */
const MODES: readonly { value: TaskKind; label: MessageKey }[] = [
  { value: 'generate', label: 'mode.generate' },
  { value: 'texture', label: 'mode.texture' },
];

/**
 * Chooses the job: a model "From a picture" or "Paint my own mesh" (a radio group of two buttons),
 * in other words than the submit button's ("Make the 3D model", "Paint the mesh").
 */
@Component({
  selector: 'kiln-mode-switch',
  templateUrl: './mode-switch.html',
  styleUrl: './mode-switch.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ModeSwitch {
  /** The chosen job, two-way bound. */
  readonly mode = model<TaskKind>('generate');
  /** True while a task is sent or followed: the job cannot change under it. */
  readonly disabled = input(false);

  protected readonly i18n = inject(I18n);
  protected readonly modes = MODES;

  protected choose(value: TaskKind): void {
    if (!this.disabled()) this.mode.set(value);
  }

  /** Arrow keys move between the two, as in any radio group. */
  protected onKey(event: KeyboardEvent): void {
    if (!['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'].includes(event.key)) return;
    event.preventDefault();
    const next = this.mode() === 'generate' ? 'texture' : 'generate';
    this.choose(next);
    const target = (event.currentTarget as HTMLElement).querySelector<HTMLElement>(`[data-mode=${next}]`);
    target?.focus();
  }
}
