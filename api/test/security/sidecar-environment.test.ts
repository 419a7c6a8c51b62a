import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { useApi } from '../support/api-process';
import { waitFor } from '../support/env';

/** The api's secrets, each a value that appears nowhere else. */
const SECRETS = {
  API_KEYS: 'kiln3d-test-api-key-4f1c9e0b',
  ADMIN_TOKEN: 'kiln3d-test-admin-token-8d2a7e',
  METRICS_TOKEN: 'kiln3d-test-metrics-token-c3b5',
  TUNNEL_TOKEN: 'kiln3d-test-tunnel-token-e6f0a1',
  AWS_SECRET_ACCESS_KEY: 'kiln3d-test-bucket-secret-9b7d',
};

/** The processes `pid` started, read from /proc (Linux). */
function childrenOf(pid: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((n) => n > 0);
}

/**
 * The sidecar runs model code (TRELLIS.2, its extensions, Hugging Face downloads): it must not hold
 * the api's secrets (issue 19). The real api starts its real sidecar here, with every secret set,
 * and the sidecar process's own environment (/proc/<pid>/environ) and command line are read.
 */
void describe('security: the sidecar environment', () => {
  const api = useApi('security-sidecar-env', { env: { ...SECRETS } });

  void it("attack: code in the sidecar reads its environment and command line for the api's secrets -> none there", async () => {
    const sidecar = await waitFor('the managed sidecar process', () => {
      const pid = childrenOf(api.child.pid ?? 0).find((child) =>
        readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('kiln3d_inference'),
      );
      return Promise.resolve(pid);
    });
    const environ = readFileSync(`/proc/${sidecar}/environ`, 'utf8');
    const cmdline = readFileSync(`/proc/${sidecar}/cmdline`, 'utf8');
    const names = environ
      .split('\0')
      .filter(Boolean)
      .map((entry) => entry.slice(0, entry.indexOf('=')));
    assert.ok(
      names.some((n) => n.startsWith('KILN_')),
      `the sidecar's own settings: ${names.join(' ')}`,
    );
    for (const [name, secret] of Object.entries(SECRETS)) {
      assert.ok(!names.includes(name), `${name} reached the sidecar`);
      assert.ok(!environ.includes(secret), `the value of ${name} is in the sidecar's environment`);
      assert.ok(!cmdline.includes(secret), `the value of ${name} is on the sidecar's command line`);
    }
    // The api itself holds them (the test would prove nothing otherwise).
    const apiEnviron = readFileSync(`/proc/${api.child.pid}/environ`, 'utf8');
    for (const secret of Object.values(SECRETS)) assert.ok(apiEnviron.includes(secret));
  });
});
