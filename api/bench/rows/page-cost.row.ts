import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { startApi } from '../../test/support/api-process';
import { SAMPLES_DIR, clearKilnKeys } from '../../test/support/env';
import { type BenchContext, type BenchLine, type BenchRow, ratioLine } from '../support/bench-row';
import { cpuMs, parentPid } from '../support/proc';
import { CHROMIUM, CHROMIUM_ARGS, WEB_DIR, requireWebBuild } from '../support/web-app';

/**
 * CPU time (ms) used so far by the Chromium processes this process started (browser, GPU,
 * renderers, utilities): every descendant whose command line names Chromium. The api and its
 * sidecar, children too, are not Chromium and are left out.
 */
function chromiumCpuMs(): number {
  let total = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('chrom')) continue;
      let ancestor = parentPid(pid);
      while (ancestor > 1 && ancestor !== process.pid) ancestor = parentPid(ancestor);
      if (ancestor === process.pid) total += cpuMs(pid);
    } catch {
      // A process that ended while being read: its time is no longer anyone's.
    }
  }
  return total;
}

/** Chromium's mean cores (CPU-s per s) over the next `seconds`. */
async function chromiumCores(seconds: number): Promise<number> {
  const cpu = chromiumCpuMs();
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return (chromiumCpuMs() - cpu) / (performance.now() - start);
}

/** A page of the web app that has sent the lantern and shows `state` (a status test id). */
async function pageShowing(browser: Browser, baseUrl: string, state: string): Promise<Page> {
  // bypassCSP: the baseline adds a style sheet of its own (stillPage).
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, bypassCSP: true });
  page.setDefaultTimeout(60_000);
  await page.goto(baseUrl);
  await page.locator('[data-testid=file-input]').setInputFiles(join(SAMPLES_DIR, 'typical_misc_lantern.png'));
  await page.locator('[data-testid=thumbnail]').waitFor();
  await page.locator('[data-testid=generate]').click();
  await page.locator(`[data-testid=${state}]`).waitFor();
  return page;
}

/** Turns off every animation and transition of the page: the baseline's "same page, still". */
async function stillPage(page: Page): Promise<void> {
  await page.addStyleTag({
    content:
      '*, *::before, *::after, ::-webkit-progress-value { animation: none !important; transition: none !important; }',
  });
}

/**
 * What an open page costs while it waits: headless Chromium's CPU (all its processes, in cores)
 * while one page follows a job (progress events up to four a second) and while one waits in
 * line, each against the same page with every animation and transition turned off (a style
 * sheet added for the baseline). The ratio is what motion costs. The goal on the followed job guards against a page that
 * repaints every frame between events (a width transition did: 1.2-1.9 cores). Here WebGL and
 * compositing run on SwiftShader, so any animation costs about a core; on a phone's GPU a
 * transform animation is the compositor's, far cheaper. Simulate engine, measured while the
 * percent moves and before the first voxel preview, so no viewer is drawn.
 */
export const row: BenchRow = {
  name: 'page-cost',
  order: 65,
  async run(context: BenchContext): Promise<BenchLine[]> {
    // Both windows fall in the structure stage: 12 progress events in 4 s (SIMULATE_SECONDS 16:
    // 25 % of it), about as often as the api lets them through (four a second), before its voxel
    // preview brings the viewer. The same in both forms: the stage is that short.
    const windowS = 1.5;
    requireWebBuild();
    await clearKilnKeys(context.redisUrl);
    const api = await startApi({
      staticDir: join(context.workDir, 'static'),
      logDir: join(context.workDir, 'logs'),
      env: { REDIS_URL: context.redisUrl, INFERENCE_ENGINE: 'simulate', SIMULATE_SECONDS: '16', WEB_DIR },
    });
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [...CHROMIUM_ARGS],
      });
      context.log('page-cost: a page following a job');
      const following = await pageShowing(browser, api.url, 'status-processing');
      // The structure stage: the percent moves.
      await following.locator('[data-testid=percent]', { hasNotText: /^0\s*%$/ }).waitFor();
      const processing = await chromiumCores(windowS);
      await stillPage(following);
      const processingStill = await chromiumCores(windowS);
      // Closed: its job runs on and holds the sidecar, so the next page waits in line.
      await following.close();
      context.log('page-cost: a page waiting in line');
      const waiting = await pageShowing(browser, api.url, 'status-queued');
      await new Promise((resolve) => setTimeout(resolve, 500));
      const queued = await chromiumCores(windowS);
      await stillPage(waiting);
      const queuedStill = await chromiumCores(windowS);
      const note = `headless Chromium, SwiftShader; mean over ${windowS} s`;
      return [
        ratioLine(
          { row: 'page cost', figure: 'a page following a job', value: processing, unit: 'cores', note },
          { label: 'the same page, nothing animated', value: processingStill },
          1.5,
        ),
        ratioLine(
          {
            row: 'page cost',
            figure: 'a page waiting in line (the sheen)',
            value: queued,
            unit: 'cores',
            note,
          },
          { label: 'the same page, nothing animated', value: queuedStill },
          undefined,
        ),
      ];
    } finally {
      await browser?.close();
      await api.stop(10_000);
    }
  },
};
