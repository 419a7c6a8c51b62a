import type { I18n } from './i18n';
import { isMessageKey } from './messages';

/** The options in the order the Options panel shows them; the sidecar names them in its own. */
const PANEL_ORDER = ['quality', 'seed', 'texture_size', 'faces', 'texture_resolution'];

/**
 * "This server's engine does not use: quality, seed." for the request options an engine ignores
 * (a task's `ignored_options`, GET /api/qualities' `unused_options`): each by its message
 * `option.<name>` (a name without one as the server sent it, last), in the panel's order, listed
 * as the page's language lists; undefined when there are none.
 */
export function unusedOptionsText(i18n: I18n, names: readonly string[]): string | undefined {
  if (names.length === 0) return undefined;
  const rank = (name: string): number => {
    const index = PANEL_ORDER.indexOf(name);
    return index < 0 ? PANEL_ORDER.length : index;
  };
  const words = [...names]
    .sort((a, b) => rank(a) - rank(b))
    .map((name) => {
      const key = `option.${name}`;
      return isMessageKey(key) ? i18n.t(key) : name;
    });
  return i18n.t('options.unused', { options: words.join(i18n.lang() === 'zh' ? '、' : ', ') });
}
