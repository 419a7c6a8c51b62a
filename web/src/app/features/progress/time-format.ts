/** 75 -> "1:15"; 3725 -> "1:02:05". */
export function formatElapsed(totalSeconds: number): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

/** A rough wait for people: "45 s", "3 min", in the page's language. */
export function formatEta(seconds: number, lang: 'en' | 'zh'): string {
  const rounded = Math.max(1, Math.round(seconds));
  if (rounded < 90) return lang === 'zh' ? `约 ${rounded} 秒` : `about ${rounded} s`;
  const minutes = Math.round(rounded / 60);
  return lang === 'zh' ? `约 ${minutes} 分钟` : `about ${minutes} min`;
}
