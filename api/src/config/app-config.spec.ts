import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigError, isLoopbackEntry, loadConfig, shown } from './app-config';

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
    assert.deepEqual(config.trustProxy, ['loopback']);
    assert.equal(config.host, undefined, 'every interface, as before');
    assert.deepEqual(config.corsOrigins, []);
    assert.equal(config.logMaxBytes, 200 * 1024 * 1024);
    assert.equal(config.minFreeDiskBytes, 1024 * 1024 * 1024);
    assert.equal(loadConfig({ MIN_FREE_DISK_MB: '0' }).minFreeDiskBytes, 0, '0 = no check');
    assert.equal(loadConfig({ MIN_FREE_DISK_MB: '2.5' }).minFreeDiskBytes, 2.5 * 1024 * 1024);
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
    ['PUBLIC_BASE_URL', 'https://3d.example.com/sub/'],
    ['REDIS_URL', 'redis://127.0.0.1:6379/abc'],
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
    ['HOST', 'kiln-box'],
    ['HOST', '300.1.1.1'],
    ['TRUST_PROXY', 'true'],
    ['TRUST_PROXY', '1'],
    ['TRUST_PROXY', '2'],
    ['TRUST_PROXY', '10.0.0.1/33'],
    ['TRUST_PROXY', 'cloudflare'],
    ['CORS_ORIGINS', '*'],
    ['CORS_ORIGINS', 'https://app.example.com/path'],
    ['CORS_ORIGINS', 'app.example.com'],
    ['ADMIN_TOKEN', 'short'],
    ['METRICS_TOKEN', 'has spaces in the token'],
    ['LOG_MAX_MB', '0'],
    ['MIN_FREE_DISK_MB', '-1'],
    ['MIN_FREE_DISK_MB', '1GB'],
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

  void it('reads TRUST_PROXY as a list of addresses, subnets and proxy-addr names; false trusts none', () => {
    assert.deepEqual(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, []);
    assert.deepEqual(loadConfig({ TRUST_PROXY: 'none' }).trustProxy, []);
    assert.deepEqual(loadConfig({ TRUST_PROXY: '127.0.0.2, ::1' }).trustProxy, ['127.0.0.2', '::1']);
    const beyond = { PUBLIC_BASE_URL: 'https://3d.example.com' };
    assert.deepEqual(loadConfig({ ...beyond, TRUST_PROXY: '10.0.0.0/8' }).trustProxy, ['10.0.0.0/8']);
    assert.deepEqual(loadConfig({ ...beyond, TRUST_PROXY: 'loopback,uniquelocal,fd00::/8' }).trustProxy, [
      'loopback',
      'uniquelocal',
      'fd00::/8',
    ]);
  });

  void it('refuses TRUST_PROXY=true and hop counts, saying why', () => {
    for (const value of ['true', '1', '3']) {
      assert.throws(
        () => loadConfig({ TRUST_PROXY: value, PUBLIC_BASE_URL: 'https://3d.example.com' }),
        (error: unknown) =>
          error instanceof ConfigError && /believe forwarding headers from anyone/.test(error.message),
      );
    }
  });

  void it('requires PUBLIC_BASE_URL once TRUST_PROXY trusts a proxy beyond loopback, naming both', () => {
    for (const value of [
      '10.0.0.1',
      '172.31.87.10',
      'uniquelocal',
      'linklocal',
      '127.0.0.1,192.168.1.2',
      '::ffff:10.0.0.1',
      '0.0.0.0/0',
      '::/0',
      '127.0.0.0/7',
    ]) {
      assert.throws(
        () => loadConfig({ TRUST_PROXY: value }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.message.startsWith('PUBLIC_BASE_URL is required when TRUST_PROXY'),
        value,
      );
    }
    for (const value of [
      'loopback',
      '127.0.0.1',
      '127.0.0.0/8',
      '::1',
      '::1/128',
      '::ffff:127.0.0.1',
      'false',
    ]) {
      assert.doesNotThrow(() => loadConfig({ TRUST_PROXY: value }), value);
    }
  });

  void it('tells loopback-only TRUST_PROXY entries from the rest', () => {
    for (const entry of [
      'loopback',
      '127.0.0.1',
      '127.1.2.3/16',
      '::1',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1/104',
    ])
      assert.equal(isLoopbackEntry(entry), true, entry);
    for (const entry of [
      'uniquelocal',
      '128.0.0.1',
      '127.0.0.0/7',
      '::1/64',
      '::2',
      '::ffff:127.0.0.1/96',
      '10.0.0.1',
    ])
      assert.equal(isLoopbackEntry(entry), false, entry);
  });

  void it('reads HOST as an IP address or localhost', () => {
    for (const host of ['127.0.0.1', '0.0.0.0', '::', '::1', '192.168.1.20', 'localhost'])
      assert.equal(loadConfig({ HOST: host }).host, host);
  });

  void it('reads CORS_ORIGINS as exact origins (a trailing slash forgiven)', () => {
    assert.deepEqual(
      loadConfig({ CORS_ORIGINS: 'https://app.example.com/, http://localhost:4200' }).corsOrigins,
      ['https://app.example.com', 'http://localhost:4200'],
    );
  });

  void it('never quotes a secret in a refusal: URL credentials and queries are cut, tokens never shown', () => {
    const secret = 'hunter2-very-secret';
    const cases: Record<string, string>[] = [
      { REDIS_URL: `http://:${secret}@redis:6379/0` },
      { REDIS_URL: `redis//default:${secret}@redis` },
      { PUBLIC_BASE_URL: `ftp://user:${secret}@example.com` },
      { STORAGE_URL: `s3://AKIA:${secret}@Bad_Bucket/x` },
      { STORAGE_PUBLIC_URL: `https://cdn.example.com/?token=${secret}` },
      {
        CF_ACCESS_TEAM_DOMAIN: 'team.cloudflareaccess.com',
        CF_ACCESS_AUD: 'a',
        CF_ACCESS_CERTS_URL: `http://u:${secret}@keys.example/certs`,
      },
      { INFERENCE_URL: `grpc://u:${secret}@10.0.0.5` },
      { INFERENCE_TOKEN: `${secret} x` },
      { ADMIN_TOKEN: 'hunter2' },
      { METRICS_TOKEN: 'hunter2' },
      { API_KEYS: `${secret} with space` },
      { TRUST_PROXY: `http://u:${secret}@proxy` },
    ];
    for (const env of cases) {
      assert.throws(
        () => loadConfig(env, '/x'),
        (error: unknown) =>
          error instanceof ConfigError &&
          !error.message.includes('hunter2') &&
          /^[A-Z_]+[ :]/.test(error.message),
        JSON.stringify(env),
      );
    }
    assert.equal(shown(`redis://default:${secret}@redis:6379/0`), 'redis://***@redis:6379/0');
    assert.equal(shown('x'.repeat(200)).length, 83);
  });

  void it('bounds streams, reads, slow requests, connections and decodes by default; refuses a headers timeout over the request timeout', () => {
    const config = loadConfig({}, '/x');
    assert.deepEqual(
      [
        config.readsPerMinute,
        config.sseStreamsPerClient,
        config.sseStreamsTotal,
        config.maxConnections,
        config.maxConnectionsPerClient,
      ],
      [600, 16, 2000, 4000, 64],
    );
    assert.deepEqual([config.headersTimeoutMs, config.requestTimeoutMs], [20_000, 120_000]);
    assert.deepEqual([config.decodeBudgetMp, config.decodeWaitMs], [100, 10_000]);
    assert.throws(
      () => loadConfig({ HEADERS_TIMEOUT_S: '30', REQUEST_TIMEOUT_S: '10' }, '/x'),
      /HEADERS_TIMEOUT_S \(30\) must not exceed REQUEST_TIMEOUT_S \(10\)/,
    );
    assert.throws(
      () => loadConfig({ SSE_STREAMS_TOTAL: '-1' }, '/x'),
      /SSE_STREAMS_TOTAL must be an integer/,
    );
  });

  void it('limits uploads to 30 a minute and unfinished tasks per client to half the capacity by default; 0 turns each off', () => {
    const config = loadConfig({}, '/x');
    assert.equal(config.uploadsPerMinute, 30);
    assert.equal(config.activeTasksPerClient, undefined, 'unset: half the live capacity (admission.lua.ts)');
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
        CF_ACCESS_CERTS_URL: 'https://127.0.0.1:8123/certs',
      },
      '/x',
    );
    assert.equal(local.access?.cloudflare?.certsUrl, 'https://127.0.0.1:8123/certs');
    assert.throws(
      () =>
        loadConfig({
          CF_ACCESS_TEAM_DOMAIN: 'myteam.cloudflareaccess.com',
          CF_ACCESS_AUD: 'aud1',
          CF_ACCESS_CERTS_URL: 'http://127.0.0.1:8123/certs',
        }),
      (error: unknown) =>
        error instanceof ConfigError && error.message.startsWith('CF_ACCESS_CERTS_URL must use https:'),
      'a key set over http could be swapped on the way',
    );
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
  void it('reads WEBHOOK_*: off without a secret, WEBHOOK_URL refused without one, the secret never quoted', () => {
    const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    assert.equal(loadConfig({}).webhooks, undefined);
    assert.deepEqual(loadConfig({ WEBHOOK_SECRET: secret }).webhooks, {
      secret,
      ownerUrl: undefined,
      events: 'final',
      allowPrivate: false,
      retryForS: 86_400,
      timeoutMs: 10_000,
      pendingPerClient: 20,
      inFlightPerClient: 4,
    });
    const on = loadConfig({
      WEBHOOK_SECRET: secret,
      WEBHOOK_URL: 'http://192.168.1.5:9000/hook',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_EVENTS: 'all',
      WEBHOOK_RETRY_FOR_S: '30',
      WEBHOOK_TIMEOUT_S: '2.5',
    }).webhooks;
    assert.deepEqual(
      [on?.ownerUrl, on?.events, on?.allowPrivate, on?.retryForS, on?.timeoutMs],
      ['http://192.168.1.5:9000/hook', 'all', true, 30, 2500],
    );
    assert.throws(
      () => loadConfig({ WEBHOOK_URL: 'https://hooks.example.com/' }),
      /WEBHOOK_URL needs WEBHOOK_SECRET/,
    );
    for (const bad of [
      'whsec_short',
      'not-prefixed',
      `whsec_${Buffer.alloc(16).toString('base64')}`,
      'whsec_!!!!',
    ]) {
      assert.throws(
        () => loadConfig({ WEBHOOK_SECRET: bad }),
        (error: unknown) =>
          error instanceof ConfigError &&
          /^WEBHOOK_SECRET must be whsec_/.test(error.message) &&
          !error.message.includes(bad),
      );
    }
    assert.throws(
      () => loadConfig({ WEBHOOK_SECRET: secret, WEBHOOK_URL: 'http://hooks.example.com/' }),
      /WEBHOOK_URL must be an https URL \(WEBHOOK_ALLOW_PRIVATE=true allows/,
    );
    assert.throws(
      () => loadConfig({ WEBHOOK_SECRET: secret, WEBHOOK_URL: 'https://169.254.169.254/' }),
      /WEBHOOK_URL must be a public address, not a link-local address/,
    );
    assert.throws(
      () => loadConfig({ WEBHOOK_SECRET: secret, WEBHOOK_EVENTS: 'some' }),
      /WEBHOOK_EVENTS must be final or all/,
    );
  });
});
