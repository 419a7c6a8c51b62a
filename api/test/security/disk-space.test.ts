import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFileSync, readdirSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiProcess, startApi } from '../support/api-process';
import { GLB_DIR, clearKilnKeys, sleep, tempDir, waitFor } from '../support/env';
import { getJson, postTexture, sample } from '../support/http-client';
import { meshGlb, uvSphere } from '../support/meshes';
import { sendRaw } from '../support/raw-http';
import { NO_SIDECAR, postPicture } from './support';

const MB = 1024 * 1024;
/** The model folder's size and the floor under which the api refuses new work. */
const DISK_MB = 16;
const MIN_FREE_DISK_MB = 4;

const skip =
  process.getuid?.() === 0
    ? false
    : 'needs root: the model folder is a tmpfs in a mount namespace of its own (unshare -m)';

/**
 * The model store's disk (docs/design.md, Operations: Storage): a stranger who keeps the GPU busy
 * for RETENTION_HOURS fills the owner's disk with models. Real: the api runs in a mount namespace
 * of its own whose STATIC_DIR is a 16 MB tmpfs (as the log-disk-full test's), MIN_FREE_DISK_MB=4;
 * the test fills and frees that filesystem through /proc/<pid>/root (the api's view of it), as the
 * api's own models would. Below the floor, new uploads and format builds must be refused 507
 * insufficient_storage before anything is written or a queue slot taken; once space is freed,
 * they are taken again. No sidecar: the uploads wait in the queue.
 */
void describe(
  `security: the model folder's disk (a ${DISK_MB} MB tmpfs, MIN_FREE_DISK_MB=${MIN_FREE_DISK_MB})`,
  { skip },
  () => {
    const dir = tempDir('security-disk');
    const staticDir = join(dir.path, 'static');
    const png = sample('typical_misc_lantern.png');
    let api: ApiProcess;
    let sphere: Buffer;
    /** A path in STATIC_DIR as the api sees it: its tmpfs, in its own mount namespace. */
    const inside = (name = ''): string => join(`/proc/${api.child.pid}/root`, staticDir, name);
    const filler = `${randomUUID()}.glb`;

    /** The api's /api/health `disk`, once it says `state` (it measures at most every 5 s). */
    const diskSays = (state: string): Promise<unknown> =>
      waitFor(
        `/api/health disk.state ${state}`,
        async () => {
          const health = await getJson<{ disk: { state: string; min_free_bytes: number } | null }>(
            `${api.url}/api/health`,
          );
          return health.body.disk?.state === state ? health.body.disk : undefined;
        },
        15_000,
        250,
      );

    /** Fills the tmpfs with a stranger's "models" until 2 MB are free (under the floor of 4 MB). */
    async function fill(): Promise<void> {
      const stats = statfsSync(inside());
      writeFileSync(inside(filler), Buffer.alloc(stats.bavail * stats.bsize - 2 * MB));
      assert.deepEqual(await diskSays('low'), { state: 'low', min_free_bytes: MIN_FREE_DISK_MB * MB });
    }

    /** Deletes them (the cleanup, or the owner): the api takes work again within its 5 s measure. */
    async function free(): Promise<void> {
      unlinkSync(inside(filler));
      await diskSays('ok');
    }

    const slotsHeld = async (): Promise<number> =>
      (await getJson<{ queue: { slots_held: number } }>(`${api.url}/api/health`)).body.queue.slots_held;

    before(async () => {
      await clearKilnKeys();
      sphere = await meshGlb(uvSphere(1, 16, 8));
      const mount = `mount -t tmpfs -o size=${DISK_MB}m kiln3d-static "$0" && exec "$@"`;
      api = await startApi({
        staticDir,
        logDir: join(dir.path, 'logs'),
        env: {
          ...NO_SIDECAR,
          MAX_QUEUE: '50',
          MIN_FREE_DISK_MB: String(MIN_FREE_DISK_MB),
          FORMAT_WAIT_S: '0',
        },
        waitReady: false,
        launcher: ['unshare', '-m', '--propagation', 'private', 'sh', '-c', mount, staticDir],
      });
      // The api's STATIC_DIR is the tmpfs, not the test's folder beneath it.
      assert.equal(statfsSync(inside()).blocks * statfsSync(inside()).bsize, DISK_MB * MB);
    });
    after(async () => {
      await api?.kill();
      await clearKilnKeys();
      dir.remove();
    });

    void it("attack: fill the model folder's disk with models -> uploads 507 insufficient_storage, nothing written, no slot taken; taken again once space is freed", async () => {
      await diskSays('ok');
      await fill();
      const before = readdirSync(inside()).sort();
      const generate = await postPicture(api.url);
      const texture = await postTexture(api.url, { mesh: sphere, image: png });
      for (const [status, body] of [
        [generate.status, JSON.parse(generate.body) as unknown],
        [texture.status, texture.body],
      ] as const) {
        assert.equal(status, 507, JSON.stringify(body));
        assert.deepEqual(body, {
          success: false,
          error: 'Not enough disk space on the server, retry later',
          code: 'insufficient_storage',
        });
      }
      assert.deepEqual(readdirSync(inside()).sort(), before, 'nothing written in the model folder');
      assert.equal(await slotsHeld(), 0, 'no queue slot taken');

      await free();
      const accepted = await postPicture(api.url);
      assert.equal(accepted.status, 202, accepted.body);
      const painted = await postTexture(api.url, { mesh: sphere, image: png });
      assert.equal(painted.status, 202, JSON.stringify(painted.body));
      assert.equal(await slotsHeld(), 2);
    });

    void it("attack: ask for a kept model's files in new formats while the disk is nearly full -> 507 insufficient_storage, nothing written; the model itself still served; made once space is freed", async () => {
      const modelId = randomUUID();
      copyFileSync(join(GLB_DIR, 'valve-index-left-jpeg.glb'), inside(`${modelId}.source.glb`));
      const download = (format: string): ReturnType<typeof sendRaw> =>
        sendRaw(`${api.url}/api/models/${modelId}/download?format=${format}`);
      await fill();
      const before = readdirSync(inside()).sort();
      for (const format of ['stl', 'obj', '3mf']) {
        const reply = await download(format);
        assert.equal(reply.status, 507, `${format}: ${reply.body.slice(0, 300)}`);
        assert.deepEqual(JSON.parse(reply.body), {
          success: false,
          error: 'Not enough disk space on the server, retry later',
          code: 'insufficient_storage',
        });
      }
      assert.equal((await download('glb')).status, 200, 'a file already made is served');
      await sleep(500);
      assert.deepEqual(readdirSync(inside()).sort(), before, 'no format file, no partial file');

      await free();
      let reply = await download('stl');
      assert.equal(reply.status, 202, reply.body.slice(0, 300));
      for (let i = 0; i < 240 && reply.status === 202; i += 1) {
        await sleep(500);
        reply = await download('stl');
      }
      assert.equal(reply.status, 200, reply.body.slice(0, 300));
      assert.ok(
        readdirSync(inside()).some((name) => name.startsWith(modelId) && name.endsWith('.stl')),
        readdirSync(inside()).join(' '),
      );
    });
  },
);
