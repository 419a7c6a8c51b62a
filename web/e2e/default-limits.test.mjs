// The per-client limits at the product's defaults (issue 19: uploads, unfinished tasks, reads and
// event streams per address) meet a household using the real page from one address: every other
// browser suite turns them off (the harness sends from 127.0.0.1 far more than a family does), so
// this one proves the defaults refuse nothing an honest visitor does.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { SAMPLES_DIR, newPage, useApiAndBrowser } from './helpers.mjs';

describe('the default per-client limits, one household in the real page', () => {
  // '' = the setting's default (app-config.ts): the harness's 0s (no limit) are undone.
  const app = useApiAndBrowser({
    SIMULATE_SECONDS: '3',
    UPLOADS_PER_MINUTE: '',
    ACTIVE_TASKS_PER_CLIENT: '',
    READS_PER_MINUTE: '',
    SSE_STREAMS_PER_CLIENT: '',
    MAX_CONNECTIONS_PER_CLIENT: '',
    INSTANT_REPEATS: 'on',
  });

  test('three people upload at once, one makes a variation, the share link opens in three more tabs: nothing refused', async () => {
    const { context, page, errors } = await newPage(app.browser);
    const refused = [];
    context.on('response', (r) => {
      if (r.status() === 429 || r.status() >= 500) refused.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    try {
      // Three tabs of one address, each following its own task over its own event stream: the
      // default share of a one-GPU box (half its 6 places).
      const people = [page, await context.newPage(), await context.newPage()];
      const pictures = [
        'typical_misc_lantern.png',
        'typical_creature_elephant.png',
        'typical_vehicle_helicopter.png',
      ];
      await Promise.all(
        people.map(async (tab, i) => {
          await tab.goto(app.api.baseUrl);
          await tab.locator('[data-testid=file-input]').setInputFiles(join(SAMPLES_DIR, pictures[i]));
          await tab.locator('[data-testid=thumbnail]').waitFor();
          await tab.locator('[data-testid=generate]').click();
        }),
      );
      await Promise.all(
        people.map((tab) => tab.locator('[data-testid=status-completed]').waitFor({ timeout: 90_000 })),
      );
      await page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 });

      // Another take on the first picture (a new seed: a job of its own).
      await page.locator('[data-testid=variation]').click();
      await page.locator('[data-testid=status-processing], [data-testid=status-queued]').first().waitFor();
      await page.locator('[data-testid=status-completed]').waitFor({ timeout: 60_000 });

      // The family opens the share link on three more tabs.
      const entry = page.locator('[data-testid=history-entry] a').first();
      const share = new URL(await entry.getAttribute('href'), app.api.baseUrl).href;
      const tabs = await Promise.all([1, 2, 3].map(() => context.newPage()));
      await Promise.all(tabs.map((tab) => tab.goto(share)));
      await Promise.all(
        tabs.map((tab) => tab.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 })),
      );

      assert.deepEqual(refused, [], 'answers that refused the household');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
