/* global getComputedStyle -- used inside the page */
// Lighthouse's accessibility category (axe-core inside) on the pages people use, in both
// languages: the home page, a task page (the home page following a task: running, then finished
// with the download menu open) and a share page, each scored ≥ 0.95, the failing audits listed
// otherwise. Desktop form factor (Lighthouse's desktop config: 1350×940, no touch), its timings
// simulated, never applied to the page (the category does not depend on them). One Chromium for every run: puppeteer-core drives
// Debian's Chromium, and Lighthouse runs on its page (navigation mode for a page as it loads,
// snapshot mode for a state reached by clicking). The language comes from the link's ?lang=.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { desktopConfig, navigation, snapshot } from 'lighthouse';
import puppeteer from 'puppeteer-core';

import { SAMPLES_DIR, apiSupport, chromiumLaunchOptions, saveArtifact, startApi } from './helpers.mjs';

const MIN_SCORE = 0.95;
const LANGS = (process.env.KILN_A11Y_LANGS ?? 'en,zh').split(',');

const CONFIG = {
  ...desktopConfig,
  settings: {
    ...desktopConfig.settings,
    onlyCategories: ['accessibility'],
    // desktopConfig's 'simulate' stays: it throttles nothing while the page loads (it models
    // timings afterwards, which this category has none of). 'provided' would raise every quiet
    // window below to 5.25 s (lighthouse core/config/config.js, overrideThrottlingWindows): about
    // 11 s of each navigation here went to waiting on them.
    // The task page keeps its event stream open: do not wait for a quiet network forever.
    maxWaitForLoad: 30_000,
    // The category reads the DOM once loaded: no settling pauses, no full-page screenshot.
    pauseAfterFcpMs: 0,
    pauseAfterLoadMs: 250,
    networkQuietThresholdMs: 250,
    cpuQuietThresholdMs: 250,
    disableFullPageScreenshot: true,
  },
};

/**
 * The audits of the accessibility category that did not pass, as lines: id, title, and the
 * elements axe named (selector and a snippet of each).
 */
export function failingAudits(lhr) {
  const lines = [];
  for (const ref of lhr.categories.accessibility.auditRefs) {
    const audit = lhr.audits[ref.id];
    if (ref.weight === 0 || audit.score === null || audit.score >= 1) continue;
    const nodes = (audit.details?.items ?? [])
      .map((item) => item.node)
      .filter(Boolean)
      .map((node) => `    ${node.selector}: ${String(node.snippet).slice(0, 160)}`);
    lines.push(`  ${ref.id} (${audit.title})`, ...nodes.slice(0, 8));
  }
  return lines;
}

describe('accessibility (Lighthouse)', () => {
  let api;
  let browser;
  let page;
  /** One finished model per language, for the share page. */
  const models = {};
  const scores = [];

  before(async () => {
    const launch = await chromiumLaunchOptions();
    api = await startApi({ SIMULATE_SECONDS: '12' });
    browser = await puppeteer.launch({ ...launch, headless: true });
    page = await browser.newPage();
    page.setDefaultTimeout(60_000);
  });

  after(async () => {
    await browser?.close();
    await api?.stop();
    console.log(
      `[accessibility] scores: ${scores.map((s) => `${s.page} ${s.lang} ${s.score.toFixed(2)} (${s.seconds.toFixed(1)} s)`).join('; ')}`,
    );
  });

  /** Lighthouse's report for the page (already there: snapshot; else it loads `url`), checked. */
  async function audit(name, lang, url) {
    const startedAt = performance.now();
    let result = url
      ? await navigation(page, url, { config: CONFIG })
      : await snapshot(page, { config: CONFIG });
    const { isTraceFault } = await apiSupport('lighthouse');
    if (url && isTraceFault(result.lhr.runtimeError)) {
      // A trace Lighthouse failed to record, not the page's fault: its own advice is to run again.
      console.log(`[accessibility] ${name} ${lang}: ${result.lhr.runtimeError.code}, run again`);
      result = await navigation(page, url, { config: CONFIG });
    }
    const lhr = result.lhr;
    const seconds = (performance.now() - startedAt) / 1000;
    assert.equal(lhr.runtimeError, undefined, `${name} ${lang}: ${JSON.stringify(lhr.runtimeError)}`);
    const score = lhr.categories.accessibility.score ?? 0;
    scores.push({ page: name, lang, score, seconds });
    const failing = failingAudits(lhr);
    if (process.env.KILN_A11Y_DEBUG) {
      const slow = lhr.timing.entries
        .filter((e) => e.duration > 500)
        .map((e) => `${e.name} ${Math.round(e.duration)}`);
      console.log(`[accessibility] ${name} ${lang}: ${slow.join(', ')}`);
    }
    if (failing.length > 0) {
      await saveArtifact(`lighthouse-${name}-${lang}.json`, JSON.stringify(lhr, null, 1));
    }
    assert.ok(
      score >= MIN_SCORE,
      `${name} (${lang}): accessibility ${score} < ${MIN_SCORE}; failing audits:\n${failing.join('\n')}`,
    );
    return lhr;
  }

  /** The home page in `lang`, a picture sent: resolves once the task is `phase`'s. */
  async function startTask(lang) {
    await page.goto(`${api.baseUrl}/?lang=${lang}`);
    const input = await page.waitForSelector('[data-testid=file-input]');
    await input.uploadFile(join(SAMPLES_DIR, 'typical_misc_lantern.png'));
    await page.waitForSelector('[data-testid=thumbnail]');
    await page.click('[data-testid=generate]');
  }

  /**
   * Tab from the top of the page (the finished task, download menu open) to its end: every stop
   * shows a focus ring and has a name, the order follows the page (skip link, header, inputs,
   * viewer, toolbar, menu, history), and Tab leaves the page at the end: no trap.
   */
  async function keyboardWalk() {
    // Tab starts after the focused element: a point of no stop of its own at the top of the body.
    await page.evaluate(() => {
      const start = document.createElement('span');
      start.tabIndex = -1;
      document.body.prepend(start);
      start.focus();
    });
    const stops = [];
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab');
      const stop = await page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return undefined;
        const style = getComputedStyle(el);
        const name =
          el.getAttribute('aria-label') ||
          el.closest('label')?.textContent?.trim() ||
          (el.id && document.querySelector(`label[for="${el.id}"]`)?.textContent?.trim()) ||
          el.textContent?.trim() ||
          '';
        return {
          what: `${el.tagName.toLowerCase()}${el.getAttribute('data-testid') ? `[${el.getAttribute('data-testid')}]` : ''}`,
          name: name.replace(/\s+/g, ' ').slice(0, 60),
          ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
        };
      });
      if (!stop) break; // left the page: the browser's own controls come next
      stops.push(stop);
    }
    const walk = stops.map((s) => `${s.what} "${s.name}"`).join(' → ');
    await saveArtifact('keyboard-walk.txt', `${walk.replaceAll(' → ', '\n')}\n`);
    assert.ok(stops.length > 10 && stops.length < 80, `no end to the tab order: ${walk}`);
    assert.deepEqual(
      stops.filter((s) => !s.ring),
      [],
      `stops without a visible focus ring: ${walk}`,
    );
    assert.deepEqual(
      stops.filter((s) => !s.name),
      [],
      `stops without a name: ${walk}`,
    );
    const order = (pattern) => stops.findIndex((s) => pattern.test(`${s.what} ${s.name}`));
    const expected = [
      /Skip to content/,
      /select\[lang\]/,
      /mode-generate/,
      /Use another picture/,
      /button\[generate\]/,
      /canvas/,
      // Zoom and turn over the canvas: one Tab stop too.
      /Zoom in/,
      // The viewer's actions are one toolbar: one Tab stop (its first enabled button), arrows for the
      // rest (web/e2e/viewer-survives.test.mjs walks them).
      /download-toggle/,
      /^button GLB/,
      /print-size/,
      // A history link's name begins with what it shows (WCAG 2.5.3).
      /: open (its|the) model/,
    ].map(order);
    assert.ok(
      expected.every((index, i) => index >= 0 && (i === 0 || index > expected[i - 1])),
      `tab order ${JSON.stringify(expected)}: ${walk}`,
    );
  }

  for (const lang of LANGS) {
    test(`home page, ${lang}`, async () => {
      const lhr = await audit('home', lang, `${api.baseUrl}/?lang=${lang}`);
      assert.equal(lhr.finalDisplayedUrl, `${api.baseUrl}/?lang=${lang}`);
      // The page says which language it is in.
      assert.equal(await page.evaluate(() => document.documentElement.lang), lang === 'zh' ? 'zh-CN' : 'en');
    });

    test(`task page, running then finished, ${lang}`, async () => {
      await startTask(lang);
      if (lang === 'en') {
        // While it runs: the progress panel (live region, bar, Cancel) and the voxel preview.
        await page.waitForSelector('[data-testid=status-processing]');
        await audit('task-running', lang);
      }
      try {
        await page.waitForSelector('kiln-model-viewer[data-state=ready]', { timeout: 90_000 });
        // The menu is deferred until the browser is idle: slow while SwiftShader draws on a busy CPU.
        await page.waitForSelector('[data-testid=download-toggle]', { timeout: 90_000 });
      } catch (error) {
        await saveArtifact(`a11y-task-${lang}.png`, await page.screenshot());
        const viewer = await page.$eval('kiln-home-page', (e) => e.outerHTML).catch(() => '');
        await saveArtifact(`a11y-task-${lang}.html`, viewer);
        throw error;
      }
      await page.click('[data-testid=download-toggle]');
      await page.waitForSelector('[data-testid=download-menu]');
      // The canvas is described in words: the picture, the triangles and the file size.
      const description = await page.$eval('[data-testid=viewer-description]', (p) => p.textContent ?? '');
      assert.match(
        description,
        lang === 'zh' ? /typical_misc_lantern\.png.*三角形/s : /lantern\.png.*triangles/s,
      );
      const describedBy = await page.$eval('kiln-model-viewer canvas', (c) =>
        c.getAttribute('aria-describedby'),
      );
      assert.ok(describedBy, 'the canvas has no aria-describedby');
      await audit('task-finished', lang);
      if (lang === 'en') await keyboardWalk();
      const href = await page.$eval('kiln-history-list a[href^="/m/"]', (a) => a.getAttribute('href'));
      models[lang] = href;
    });

    test(`share page, ${lang}`, async () => {
      assert.ok(models[lang], 'no model from the task test');
      // As it loads (Lighthouse waits for a quarter second of quiet), then once the model is drawn
      // and described and its deferred download menu is in.
      await audit('share', lang, `${api.baseUrl}${models[lang]}?lang=${lang}`);
      await page.waitForSelector('kiln-model-viewer[data-state=ready]');
      await page.waitForSelector('[data-testid=download-toggle]', { timeout: 90_000 });
      const description = await page.$eval('[data-testid=viewer-description]', (p) => p.textContent ?? '');
      assert.match(description, lang === 'zh' ? /三角形/ : /triangles/);
      await audit('share-ready', lang);
    });
  }
});
