import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports';
import { REPO_ROOT, sleep } from './env';

/** moto's standalone server in the venv scripts/lib/ensure.mjs (ensureMoto) makes for `npm test`. */
export const MOTO_SERVER =
  process.env.KILN_MOTO_SERVER ?? join(REPO_ROOT, '.run', 'moto-venv', 'bin', 'moto_server');

/** Credentials moto accepts (it checks none unless auth is on); the api reads them like any S3 user. */
export const MOTO_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'kiln3d-test',
  AWS_SECRET_ACCESS_KEY: 'kiln3d-test-secret',
};

export interface MotoServer {
  /** http://127.0.0.1:PORT, what AWS_ENDPOINT_URL_S3 names. */
  endpoint: string;
  /** The variables an api process needs to reach this server as it would reach R2 (the SDK's own). */
  env(): Record<string, string>;
  /** Creates a bucket (the operator's step: the api never creates one). */
  createBucket(name: string): Promise<void>;
  /** Lets anyone GET the bucket's objects (a bucket policy, as a public R2 bucket or a CDN origin is). */
  makePublic(name: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real S3-protocol server for the tests, started like Redis is: moto_server (PyPI
 * `moto[server]`) on a free port, in memory. With auth=true it checks signatures against its own
 * IAM (none exists), so every key is refused as bad credentials are.
 */
export async function startMoto(options: { auth?: boolean } = {}): Promise<MotoServer> {
  if (!existsSync(MOTO_SERVER)) {
    throw new Error(
      `${MOTO_SERVER} is missing: run \`npm test\` once (scripts/lib/ensure.mjs ensureMoto installs moto[server])`,
    );
  }
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      ...(options.auth ? { INITIAL_NO_AUTH_ACTION_COUNT: '0' } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const server: MotoServer = {
    endpoint,
    env: () => ({ AWS_ENDPOINT_URL_S3: endpoint, AWS_REGION: 'us-east-1', ...MOTO_CREDENTIALS }),
    async createBucket(name: string) {
      const response = await fetch(`${endpoint}/${name}`, { method: 'PUT' });
      if (!response.ok)
        throw new Error(`bucket ${name} not created: ${response.status} ${await response.text()}`);
    },
    async makePublic(name: string) {
      const policy = {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${name}/*` },
        ],
      };
      const response = await fetch(`${endpoint}/${name}?policy`, {
        method: 'PUT',
        body: JSON.stringify(policy),
      });
      if (!response.ok)
        throw new Error(`bucket ${name} not made public: ${response.status} ${await response.text()}`);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`moto_server did not answer on ${endpoint}:\n${output}`);
    }
    try {
      await fetch(`${endpoint}/moto-api/`);
      return server;
    } catch {
      await sleep(100);
    }
  }
}
