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
    ['KILN_ROLE', 'gpu'],
    ['KILN_GPUS', '0,0'],
    ['KILN_GPUS', '0;1'],
    ['STORAGE_URL', 'http://bucket'],
    ['STORAGE_URL', 's3://'],
    ['STORAGE_URL', 's3://Bad_Bucket/x'],
    ['STORAGE_PUBLIC_URL', 'ftp://cdn'],
    ['STORAGE_PUBLIC_URL', 'https://cdn.example.com'],
    ['INFERENCE_URL', '10.0.0.5'],
    ['INFERENCE_URL', '10.0.0.5:0'],
    ['INFERENCE_URL', 'https://10.0.0.5:50051'],
    ['INFERENCE_TOKEN', 'short'],
    ['INFERENCE_TOKEN', 'a long secret with spaces in it'],
  ];
  for (const [name, value] of bad) {
    void it(`refuses ${name}=${value} with a message naming the variable`, () => {
      assert.throws(
        () => loadConfig({ [name]: value }, '/x'),
        (error: unknown) => error instanceof ConfigError && error.message.startsWith(name),
      );
    });
  }

  void it('takes INFERENCE_URL as host:port, [v6]:port or a unix socket, and INFERENCE_TOKEN of 16+ characters', () => {
    for (const url of [
      '10.0.0.5:50051',
      'grpc://gpu-box:50051',
      'http://gpu-box:50051',
      '[fd00::5]:50051',
      'unix:///run/kiln3d/inference.sock',
    ]) {
      assert.equal(loadConfig({ INFERENCE_URL: url }).inferenceUrl, url);
    }
    assert.equal(loadConfig({ INFERENCE_TOKEN: '0123456789abcdef' }).inferenceToken, '0123456789abcdef');
    assert.equal(loadConfig({}).inferenceToken, undefined);
  });

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
  void it('reads STORAGE_URL: the folder by default, s3://bucket/prefix for a bucket', () => {
    assert.deepEqual(loadConfig({}).storage, { kind: 'local' });
    assert.deepEqual(loadConfig({ STORAGE_URL: 'file:' }).storage, { kind: 'local' });
    assert.deepEqual(loadConfig({ STORAGE_URL: 's3://models' }).storage, {
      kind: 's3',
      bucket: 'models',
      prefix: '',
      publicUrl: undefined,
    });
    assert.deepEqual(
      loadConfig({ STORAGE_URL: 's3://kiln-3d/glb/v1/', STORAGE_PUBLIC_URL: 'https://cdn.example.com/' })
        .storage,
      { kind: 's3', bucket: 'kiln-3d', prefix: 'glb/v1/', publicUrl: 'https://cdn.example.com' },
    );
  });

  void it('reads KILN_GPUS as device ids, only for a process that runs jobs', () => {
    assert.deepEqual(loadConfig({}).gpus, []);
    assert.deepEqual(loadConfig({ KILN_GPUS: '0, 1,2' }).gpus, ['0', '1', '2']);
    assert.deepEqual(loadConfig({ KILN_GPUS: 'GPU-8f2a1c3e-0000-1111-2222-333344445555' }).gpus, [
      'GPU-8f2a1c3e-0000-1111-2222-333344445555',
    ]);
    assert.throws(() => loadConfig({ KILN_GPUS: '0,1', KILN_ROLE: 'api' }), /KILN_GPUS needs KILN_ROLE/);
  });
});
