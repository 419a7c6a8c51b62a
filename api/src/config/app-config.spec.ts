import assert from 'node:assert/strict';
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
    ['KILN_ROLE', 'gpu'],
    ['KILN_GPUS', '0,0'],
    ['KILN_GPUS', '0;1'],
    ['STORAGE_URL', 'http://bucket'],
    ['STORAGE_URL', 's3://'],
    ['STORAGE_URL', 's3://Bad_Bucket/x'],
    ['STORAGE_PUBLIC_URL', 'ftp://cdn'],
    ['STORAGE_PUBLIC_URL', 'https://cdn.example.com'],
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
