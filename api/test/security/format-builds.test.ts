import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { GLB_DIR, sleep, waitFor } from '../support/env';
import { sendRaw } from '../support/raw-http';
import { useSecurityApi } from './support';

/**
 * Format builds (docs/design.md, Formats): a download of a format not made yet starts a process
 * of the formats tool, and anyone holding a model's id (a share link) may ask. A stranger asking
 * for every size of a model's STL must neither run more than FORMAT_BUILDS tools at once, nor hold
 * more than half of the places (other addresses keep theirs), nor grow the store: FORMAT_BUILDS=1 and FORMAT_QUEUE=2 make the bound reachable, FORMAT_WAIT_S=0 answers
 * 202 at once. The model is a real GLB placed in the store as a finished model's source (no
 * engine needed: the download route by model id reads only the store).
 */
void describe('security: format builds (FORMAT_BUILDS=1, FORMAT_QUEUE=2, FORMAT_WAIT_S=0)', () => {
  const api = useSecurityApi('formats', { FORMAT_BUILDS: '1', FORMAT_QUEUE: '2', FORMAT_WAIT_S: '0' });
  const modelId = randomUUID();
  const staticDir = (): string => String(api().env['STATIC_DIR']);
  const stlFiles = (): string[] => readdirSync(staticDir()).filter((name) => name.endsWith('.stl'));
  const download = (
    query: string,
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> =>
    sendRaw(`${api().url}/api/models/${modelId}/download?${query}`, { localAddress: '127.0.0.2' });

  before(() => {
    copyFileSync(join(GLB_DIR, 'generic-trigger-left.glb'), join(staticDir(), `${modelId}.source.glb`));
  });

  void it('attack: one address asks for twenty sizes of one STL at once -> it gets one place of three (the rest 429), other addresses still get theirs, then 503 formats_busy', async () => {
    const attacker = Array.from({ length: 20 }, (_, i) => download(`format=stl&size_mm=${20 + i}`));
    const others = ['127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7'].map((localAddress, i) =>
      sendRaw(`${api().url}/api/models/${modelId}/download?format=stl&size_mm=${50 + i}`, { localAddress }),
    );
    const [mine, theirs] = await Promise.all([Promise.all(attacker), Promise.all(others)]);
    const all = [...mine, ...theirs];
    const statuses = (replies: { status: number }[]): string => replies.map((r) => r.status).join(' ');
    // FORMAT_BUILDS + FORMAT_QUEUE = 3 places; one address holds at most one (half, rounded down).
    assert.equal(all.filter((r) => r.status === 202).length, 3, statuses(all));
    assert.ok(mine.filter((r) => r.status === 202).length <= 1, statuses(mine));
    assert.ok(theirs.filter((r) => r.status === 202).length >= 2, statuses(theirs));
    assert.ok(mine.filter((r) => r.status === 429).length >= 18, statuses(mine));
    for (const reply of theirs.filter((r) => r.status !== 202)) {
      assert.equal(reply.status, 503, reply.body);
    }
    for (const reply of all.filter((r) => r.status !== 202)) {
      const body = JSON.parse(reply.body) as { code: string; error: string };
      assert.deepEqual(
        body,
        reply.status === 429
          ? { success: false, error: 'Too many requests, retry later', code: 'too_many_requests' }
          : { success: false, error: 'Busy making other files, retry later', code: 'formats_busy' },
      );
      assert.equal(reply.headers['retry-after'], '10');
    }
    // The three admitted are made, one after another; the store holds them and nothing else.
    await waitFor(
      'three STLs',
      () => Promise.resolve(stlFiles().length === 3 ? true : undefined),
      120_000,
      250,
    );
  });

  void it('attack: keep asking for new sizes, one after another -> the store keeps 4 sizes of a format per model', async () => {
    for (const size of [61, 62, 63, 64, 65, 66]) {
      let reply = await download(`format=stl&size_mm=${size}`);
      while (reply.status === 202 || reply.status === 503 || reply.status === 429) {
        await sleep(300);
        reply = await download(`format=stl&size_mm=${size}`);
      }
      assert.equal(reply.status, 200, reply.body.slice(0, 300));
      assert.ok(stlFiles().length <= 4, stlFiles().join(' '));
    }
    assert.deepEqual(
      stlFiles().sort(),
      [63, 64, 65, 66].map((size) => `${modelId}.${size}mm.stl`),
    );
  });

  void it('attack: odd model ids and formats -> 400 or 404, nothing outside the model files served', async () => {
    for (const [path, status] of [
      [`/api/models/${modelId}/download?format=..%2F..%2Fetc%2Fpasswd`, 400],
      [`/api/models/${modelId}/download?format=glb%00`, 400],
      [`/api/models/${modelId.toUpperCase()}/download?format=glb`, 404],
      [`/api/models/..%2F${modelId}/download?format=glb`, 404],
      [`/api/models/${modelId}.source.glb/download`, 404],
      [`/static/${modelId}.63mm.stl`, 404],
      [`/static/.kiln3d-folder-id`, 404],
    ] as const) {
      const reply = await sendRaw(`${api().url}${path}`, { localAddress: '127.0.0.3' });
      assert.equal(reply.status, status, `${path}: ${reply.body.slice(0, 200)}`);
      assert.match(reply.headers['content-type'] as string, /^application\/json/, path);
    }
  });
});
