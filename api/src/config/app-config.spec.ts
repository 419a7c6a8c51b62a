import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './app-config';

void describe('loadConfig', () => {
  void it('has defaults that work with an empty environment', () => {
    const config = loadConfig({}, '/srv/kiln');
    assert.equal(config.port, 8000);
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
    assert.equal(config.maxQueue, 5);
    assert.equal(config.jobTimeoutS, 180);
    assert.equal(config.maxUploadMb, 10);
    assert.equal(config.retentionHours, 48);
    assert.equal(config.cleanupCron, '0 3 * * *');
    assert.equal(config.staticDir, '/srv/kiln/static');
    assert.equal(config.trustProxy, 'loopback');
    assert.equal(config.publicBaseUrl, undefined);
    assert.equal(config.sseHeartbeatS, 15);
    assert.equal(config.inferenceReadyTimeoutS, 1200);
    assert.equal(loadConfig({ INFERENCE_READY_TIMEOUT_S: '3600' }).inferenceReadyTimeoutS, 3600);
  });

  void it('strips the trailing slash of PUBLIC_BASE_URL and keeps absolute folders', () => {
    const config = loadConfig({ PUBLIC_BASE_URL: 'https://api.example.com/', STATIC_DIR: '/data/glb' }, '/x');
    assert.equal(config.publicBaseUrl, 'https://api.example.com');
    assert.equal(config.staticDir, '/data/glb');
  });

  const bad: [string, string][] = [
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['MAX_QUEUE', '-1'],
    ['MAX_QUEUE', '2.5'],
    ['JOB_TIMEOUT_S', '0'],
    ['MAX_UPLOAD_MB', 'ten'],
    ['INFERENCE_ENGINE', 'cuda'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['PUBLIC_BASE_URL', 'not a url'],
    ['CLEANUP_CRON', 'daily'],
    ['CLEANUP_CRON', '0 25 * * *'],
    ['SSE_HEARTBEAT_S', '60'],
    ['INFERENCE_READY_TIMEOUT_S', '5'],
    ['UPLOADS_PER_MINUTE', '-1'],
    ['UPLOADS_PER_MINUTE', 'many'],
    ['ACTIVE_TASKS_PER_CLIENT', '1.5'],
    ['API_KEYS', 'short'],
    ['API_KEYS', 'sha256:abc'],
    ['CF_ACCESS_AUD', 'aud-tag-only'],
    ['CF_ACCESS_TEAM_DOMAIN', 'team.cloudflareaccess.com'],
    ['CF_ACCESS_CERTS_URL', 'http://127.0.0.1:9/certs'],
  ];
  for (const [name, value] of bad) {
    void it(`refuses ${name}=${value} with a message naming the variable`, () => {
      assert.throws(
        () => loadConfig({ [name]: value }, '/x'),
        (error: unknown) => error instanceof ConfigError && error.message.startsWith(name),
      );
    });
  }

  void it('reads TRUST_PROXY as a hop count, a boolean or an address list', () => {
    assert.equal(loadConfig({ TRUST_PROXY: '1' }).trustProxy, 1);
    assert.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: '10.0.0.0/8' }).trustProxy, '10.0.0.0/8');
  });

  void it('limits uploads to 30 a minute and 6 unfinished tasks per client by default; 0 turns each off', () => {
    const config = loadConfig({}, '/x');
    assert.equal(config.uploadsPerMinute, 30);
    assert.equal(config.activeTasksPerClient, 6);
    const off = loadConfig({ UPLOADS_PER_MINUTE: '0', ACTIVE_TASKS_PER_CLIENT: '0' }, '/x');
    assert.deepEqual([off.uploadsPerMinute, off.activeTasksPerClient], [0, 0]);
  });

  void it('has access control off by default', () => {
    assert.equal(loadConfig({}, '/x').access, undefined);
  });

  void it('keeps API keys only as SHA-256 digests, plain or given hashed', () => {
    const key = 'family-key-0123456789';
    const digest = createHash('sha256').update(key).digest('hex');
    const other = createHash('sha256').update('another-key-0123456789').digest('hex');
    const config = loadConfig({ API_KEYS: ` ${key} , sha256:${other.toUpperCase()} ` }, '/x');
    assert.deepEqual(config.access, { apiKeySha256: [digest, other], cloudflare: undefined });
    assert.ok(!JSON.stringify(config).includes(key), 'the key itself is not kept');
  });

  void it('never puts a refused API key into its message', () => {
    assert.throws(
      () => loadConfig({ API_KEYS: 'secret with spaces in it' }, '/x'),
      (error: unknown) => error instanceof ConfigError && !error.message.includes('secret'),
    );
  });

  void it("derives Cloudflare Access's issuer and certs URL from the team domain; the certs URL can be overridden", () => {
    const config = loadConfig(
      { CF_ACCESS_TEAM_DOMAIN: 'https://MyTeam.cloudflareaccess.com/', CF_ACCESS_AUD: 'aud1, aud2' },
      '/x',
    );
    assert.deepEqual(config.access?.cloudflare, {
      issuer: 'https://myteam.cloudflareaccess.com',
      audiences: ['aud1', 'aud2'],
      certsUrl: 'https://myteam.cloudflareaccess.com/cdn-cgi/access/certs',
    });
    assert.deepEqual(config.access?.apiKeySha256, []);
    const local = loadConfig(
      {
        CF_ACCESS_TEAM_DOMAIN: 'myteam.cloudflareaccess.com',
        CF_ACCESS_AUD: 'aud1',
        CF_ACCESS_CERTS_URL: 'http://127.0.0.1:8123/certs',
      },
      '/x',
    );
    assert.equal(local.access?.cloudflare?.certsUrl, 'http://127.0.0.1:8123/certs');
    assert.throws(
      () => loadConfig({ CF_ACCESS_TEAM_DOMAIN: 'not a host', CF_ACCESS_AUD: 'a' }, '/x'),
      (error: unknown) =>
        error instanceof ConfigError && error.message.startsWith('CF_ACCESS_TEAM_DOMAIN must be'),
    );
  });
});
