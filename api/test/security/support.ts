import { after, before } from 'node:test';
import { type ApiProcess, startApi } from '../support/api-process';
import { clearKilnKeys, tempDir } from '../support/env';
import { sample } from '../support/http-client';
import { type RawReply, sendPicture } from '../support/raw-http';

/**
 * Helpers of the security suite (api/test/security): each file plays one family of attacks
 * against the real api process over real HTTP, each attack one self-contained test.
 */

/**
 * No sidecar: the attacks here are answered before any engine is needed (uploads are admitted
 * and wait). Such an api is ended with kill(): a graceful stop would wait for its queued jobs.
 */
export const NO_SIDECAR = { INFERENCE_URL: 'unix:///nonexistent/kiln3d-security.sock' };

/**
 * One api process for the enclosing describe (node:test hooks), no sidecar, not waiting for one;
 * `env` on top. Returns a getter: read it inside tests.
 */
export function useSecurityApi(prefix: string, env: Record<string, string>): () => ApiProcess {
  const dir = tempDir(`security-${prefix}`);
  let api: ApiProcess | undefined;
  before(async () => {
    await clearKilnKeys();
    api = await startApi({
      staticDir: `${dir.path}/static`,
      logDir: `${dir.path}/logs`,
      env: { ...NO_SIDECAR, MAX_QUEUE: '50', ...env },
      waitReady: false,
    });
  });
  after(async () => {
    await api?.kill();
    await clearKilnKeys();
    dir.remove();
  });
  return () => {
    if (api === undefined) throw new Error(`${prefix}: the api has not started`);
    return api;
  };
}

export { startWith } from '../support/api-process';

/** POST /api/generate with the lantern picture from `localAddress` (default the kernel's choice), these headers exactly. */
export function postPicture(
  url: string,
  headers: Record<string, string> = {},
  localAddress?: string,
  method = 'POST',
): Promise<RawReply> {
  return sendPicture(url, sample('typical_misc_lantern.png'), { headers, localAddress, method });
}

/**
 * The suite's profile (KILN_SECURITY_PROFILE): `quick` inside `npm test`, `full` for
 * `npm run test:security` (docs/security.md). The same attacks run in both; the full one repeats
 * the loops and floods more often.
 */
export const SECURITY_PROFILE: 'quick' | 'full' =
  process.env.KILN_SECURITY_PROFILE === 'full' ? 'full' : 'quick';

/** How many times a loop or flood goes round: `quick` in the quick profile, `full` in the full one. */
export function attackVolume(quick: number, full: number): number {
  return SECURITY_PROFILE === 'full' ? full : quick;
}
