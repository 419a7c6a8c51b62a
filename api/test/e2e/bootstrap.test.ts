import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { API_MAIN } from '../support/api-process';
import { REPO_ROOT } from '../support/env';

/** main.ts validates the environment before anything starts. */
void describe('bootstrap configuration check', () => {
  const cases: [string, string][] = [
    ['PORT', 'eighty'],
    ['MAX_QUEUE', '-3'],
    ['INFERENCE_ENGINE', 'gpu'],
    ['CLEANUP_CRON', 'every night'],
  ];
  for (const [name, value] of cases) {
    void it(`${name}=${value}: exit code 1 and a message naming ${name}`, () => {
      const result = spawnSync(process.execPath, [API_MAIN], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH, [name]: value, REDIS_URL: 'redis://127.0.0.1:6379/11' },
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`^Invalid configuration: ${name} `, 'm'));
    });
  }
});
