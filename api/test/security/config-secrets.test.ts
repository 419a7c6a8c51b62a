import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startApi } from '../support/api-process';
import { freePort } from '../support/ports';
import { TEST_REDIS_URL, sleep, tempDir } from '../support/env';
import { startWith } from './support';

/** The secret every case hides somewhere in a bad setting: it must never reach stderr or the log. */
const SECRET = 'hunter2-do-not-print-me';

/** A refused start: exit 1, the variable named, the secret nowhere in what the process wrote. */
function assertRefusedQuietly(env: Record<string, string>, variable: string): void {
  const started = startWith(env);
  assert.equal(started.status, 1, started.stderr);
  assert.match(started.stderr, new RegExp(`^Invalid configuration: ${variable}\\b`, 'm'));
  assert.ok(!`${started.stderr}${started.stdout}`.includes(SECRET), started.stderr);
  assert.ok(!`${started.stderr}${started.stdout}`.includes('hunter2'), started.stderr);
}

void describe('security: configuration errors name the variable, never print a secret', () => {
  const cases: [string, Record<string, string>, string][] = [
    [
      'a REDIS_URL with a password and the wrong scheme',
      { REDIS_URL: `http://default:${SECRET}@redis:6379/0` },
      'REDIS_URL',
    ],
    [
      'a REDIS_URL with a password that does not parse',
      { REDIS_URL: `redis//default:${SECRET}@redis:6379` },
      'REDIS_URL',
    ],
    ['an API key too short', { API_KEYS: 'hunter2' }, 'API_KEYS'],
    ['an API key with a space', { API_KEYS: `${SECRET} x` }, 'API_KEYS'],
    ['an INFERENCE_TOKEN with a space', { INFERENCE_TOKEN: `${SECRET} x` }, 'INFERENCE_TOKEN'],
    ['an ADMIN_TOKEN too short', { ADMIN_TOKEN: 'hunter2' }, 'ADMIN_TOKEN'],
    ['a METRICS_TOKEN too short', { METRICS_TOKEN: 'hunter2' }, 'METRICS_TOKEN'],
    [
      'bucket keys written into STORAGE_URL',
      { STORAGE_URL: `s3://AKIAEXAMPLE:${SECRET}@Bad_Bucket/models` },
      'STORAGE_URL',
    ],
    [
      'a token in STORAGE_PUBLIC_URL without a bucket',
      { STORAGE_PUBLIC_URL: `https://cdn.example.com/?token=${SECRET}` },
      'STORAGE_PUBLIC_URL',
    ],
    [
      'credentials in an http CF_ACCESS_CERTS_URL',
      {
        CF_ACCESS_TEAM_DOMAIN: 'team.cloudflareaccess.com',
        CF_ACCESS_AUD: 'aud',
        CF_ACCESS_CERTS_URL: `http://user:${SECRET}@keys.example/certs`,
      },
      'CF_ACCESS_CERTS_URL',
    ],
    ['credentials in INFERENCE_URL', { INFERENCE_URL: `grpc://user:${SECRET}@10.0.0.5` }, 'INFERENCE_URL'],
    ['a secret pasted into TRUST_PROXY', { TRUST_PROXY: `https://user:${SECRET}@proxy` }, 'TRUST_PROXY'],
  ];
  for (const [what, env, variable] of cases) {
    void it(`attack: ${what} -> exit 1 naming ${variable}, the secret not printed`, () => {
      assertRefusedQuietly(env, variable);
    });
  }

  void it('a good REDIS_URL with a password that answers nothing: the api starts and never prints the password', async () => {
    const dir = tempDir('security-redis-password');
    const url = new URL(TEST_REDIS_URL);
    url.port = String(await freePort());
    url.password = SECRET;
    const api = await startApi({
      staticDir: `${dir.path}/static`,
      logDir: `${dir.path}/logs`,
      env: { REDIS_URL: url.toString(), INFERENCE_URL: 'unix:///nonexistent/kiln3d-security.sock' },
      waitReady: false,
    });
    try {
      await sleep(2000); // Redis retries and warns meanwhile
      assert.match(api.output(), /redis redis:\/\/\*\*\*@/);
      assert.ok(!api.output().includes(SECRET), api.output().slice(-2000));
    } finally {
      await api.kill();
      dir.remove();
    }
  });
});
