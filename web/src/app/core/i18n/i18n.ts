import { DOCUMENT, Injectable, effect, inject, signal } from '@angular/core';

import { Dictionary, EN, MessageKey, ZH } from './messages';

/** The page's languages. */
export type Lang = 'en' | 'zh';
/** The languages in the switcher's order. */
export const LANGS: readonly Lang[] = ['en', 'zh'];
const DICTIONARIES: Record<Lang, Dictionary> = { en: EN, zh: ZH };
const STORAGE_KEY = 'kiln3d.lang';

/** Values for a message's {name} placeholders. */
export type MessageParams = Record<string, string | number>;

/** Picks the first of the browser's preferred languages that we have; English otherwise. */
export function pickLang(preferred: readonly string[]): Lang {
  for (const tag of preferred) {
    const primary = tag.toLowerCase().split('-')[0];
    if (primary === 'zh') return 'zh';
    if (primary === 'en') return 'en';
  }
  return 'en';
}

/** Replaces {name} placeholders; an unknown placeholder is left visible rather than hidden. */
export function format(template: string, params: MessageParams = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

/** The message for a key in a language, placeholders filled. */
export function translate(lang: Lang, key: MessageKey, params?: MessageParams): string {
  return format(DICTIONARIES[lang][key], params);
}

/**
 * `one` where the locale's plural rules (Intl.PluralRules: CLDR's) call `count` singular (English:
 * 1), else `other`. Chinese has no singular form, so its two messages may read alike.
 */
export function pluralKey(locale: string, count: number, one: MessageKey, other: MessageKey): MessageKey {
  return new Intl.PluralRules(locale).select(count) === 'one' ? one : other;
}

/** `?lang=zh` or `?lang=en` in a link: the language for this page, over a stored choice. */
export function langFromUrl(href: string | undefined): Lang | undefined {
  if (!href) return undefined;
  try {
    const value = new URL(href).searchParams.get('lang')?.toLowerCase().split('-')[0];
    return value === 'en' || value === 'zh' ? value : undefined;
  } catch {
    return undefined;
  }
}

function readStoredLang(): Lang | undefined {
  try {
    const stored = globalThis.localStorage?.getItem(STORAGE_KEY);
    return stored === 'en' || stored === 'zh' ? stored : undefined;
  } catch {
    return undefined; // Storage can be blocked (privacy mode); the browser language still works.
  }
}

/**
 * A signal-based dictionary: templates that call t() re-render when the language changes. The
 * language: a link's `?lang=` (not stored: opening a link does not change a person's choice),
 * else the choice stored by the switcher, else the browser's preferred languages.
 */
@Injectable({ providedIn: 'root' })
export class I18n {
  private readonly document = inject(DOCUMENT);
  readonly lang = signal<Lang>(
    langFromUrl(globalThis.location?.href) ??
      readStoredLang() ??
      pickLang(globalThis.navigator?.languages ?? [globalThis.navigator?.language ?? 'en']),
  );

  constructor() {
    effect(() => {
      this.document.documentElement.lang = this.lang() === 'zh' ? 'zh-CN' : 'en';
    });
  }

  /** The message in the current language (a template that calls it follows language changes). */
  t(key: MessageKey, params?: MessageParams): string {
    return translate(this.lang(), key, params);
  }

  /** Switches the language and remembers the choice in localStorage where it can. */
  setLang(lang: Lang): void {
    this.lang.set(lang);
    try {
      globalThis.localStorage?.setItem(STORAGE_KEY, lang);
    } catch {
      // Not persisted; the choice still holds for this page.
    }
  }

  /** A locale for Intl formatting of dates and numbers. */
  locale(): string {
    return this.lang() === 'zh' ? 'zh-CN' : 'en';
  }
}
