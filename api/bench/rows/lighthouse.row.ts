import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Flags, Result } from 'lighthouse';
import { startApi } from '../../test/support/api-process';
import { GLB_DIR, clearKilnKeys } from '../../test/support/env';
import { isTraceFault } from '../../test/support/lighthouse';
import type { BenchContext, BenchLine, BenchRow } from '../support/bench-row';
import { CHROMIUM, CHROMIUM_ARGS, WEB_DIR, requireWebBuild } from '../support/web-app';

/** The share page's model: a real textured GLB of the fixtures (fixtures/README.md). */
const SHARE_MODEL = 'generic-trigger-left.glb';

/**
 * Issue 21's figures: Lighthouse 12's accessibility and performance scores (0-100) of the home
 * page and of a share page (/m/{uuid}, a fixture GLB), in English and, full size, Chinese
 * (`?lang=`). Lighthouse's desktop config (1350×940, its simulated desktop throttling for the
 * performance metrics) on Debian's Chromium driven by puppeteer-core, one browser for every run.
 * Informative: the accessibility score is asserted (≥ 95) by web/e2e/accessibility.test.mjs; the
 * performance score depends on this machine's CPU (SwiftShader draws the model on it).
 */
export const row: BenchRow = {
  name: 'lighthouse',
  order: 80,
  async run(context: BenchContext): Promise<BenchLine[]> {
    requireWebBuild();
    const langs = context.quick ? ['en'] : ['en', 'zh'];
    await clearKilnKeys(context.redisUrl);
    const staticDir = join(context.workDir, 'static');
    mkdirSync(staticDir, { recursive: true });
    const id = randomUUID();
    copyFileSync(join(GLB_DIR, SHARE_MODEL), join(staticDir, `${id}.glb`));
    copyFileSync(join(GLB_DIR, SHARE_MODEL), join(staticDir, `${id}.source.glb`));
    const api = await startApi({
      staticDir,
      logDir: join(context.workDir, 'logs'),
      env: { REDIS_URL: context.redisUrl, INFERENCE_ENGINE: 'simulate', WEB_DIR },
    });
    // Both are ES modules: loaded at run time (this file compiles to CommonJS).
    const { default: puppeteer } = await import('puppeteer-core');
    const { desktopConfig, navigation } = await import('lighthouse');
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS],
    });
    const settings: Flags = { onlyCategories: ['accessibility', 'performance'] };
    const config = { ...desktopConfig, settings: { ...desktopConfig.settings, ...settings } };
    const lines: BenchLine[] = [];
    try {
      const page = await browser.newPage();
      for (const lang of langs) {
        for (const [name, path] of [
          ['home page', '/'],
          ['share page', `/m/${id}`],
        ] as const) {
          const t0 = performance.now();
          const url = `${api.url}${path}?lang=${lang}`;
          let lhr: Result | undefined = (await navigation(page, url, { config }))?.lhr;
          if (lhr && isTraceFault(lhr.runtimeError)) {
            // Lighthouse's own advice for these ("Please run Lighthouse again"): once more.
            context.log(`${name} (${lang}): ${lhr.runtimeError.code}, run again`);
            lhr = (await navigation(page, url, { config }))?.lhr;
          }
          if (!lhr || lhr.runtimeError)
            throw new Error(`${name} ${lang}: ${JSON.stringify(lhr?.runtimeError)}`);
          const seconds = (performance.now() - t0) / 1000;
          const score = (category: string): number => (lhr.categories[category]?.score ?? Number.NaN) * 100;
          context.log(
            `${name} (${lang}): accessibility ${score('accessibility')}, performance ${score('performance')} in ${seconds.toFixed(1)} s`,
          );
          const row = `Lighthouse: ${name} (${lang})`;
          lines.push(
            {
              row,
              figure: 'accessibility score',
              value: score('accessibility'),
              unit: '/100',
              note: 'asserted ≥ 95 by web/e2e/accessibility.test.mjs',
            },
            {
              row,
              figure: 'performance score (desktop, simulated throttling)',
              value: score('performance'),
              unit: '/100',
              note: `LCP ${lhr.audits['largest-contentful-paint']?.displayValue ?? '-'}, TBT ${lhr.audits['total-blocking-time']?.displayValue ?? '-'}; this machine's CPU`,
            },
          );
        }
      }
    } finally {
      await browser.close();
      await api.stop(10_000);
    }
    return lines;
  },
};
