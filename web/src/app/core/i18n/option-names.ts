import type { I18n } from './i18n';
import { isMessageKey } from './messages';

/**
 * "This server's engine does not use: quality, seed." for the request options an engine ignores
 * (a task's `ignored_options`, GET /api/qualities' `unused_options`): each by its message
 * `option.<name>` (a name without one as the server sent it), in the server's order (the
 * requests' own: apiOptionNames), listed as the page's language lists; undefined when none.
 */
export function unusedOptionsText(i18n: I18n, names: readonly string[]): string | undefined {
  if (names.length === 0) return undefined;
  const words = names.map((name) => {
    const key = `option.${name}`;
    return isMessageKey(key) ? i18n.t(key) : name;
  });
  return i18n.t('options.unused', { options: words.join(i18n.lang() === 'zh' ? '、' : ', ') });
}
