/**
 * End to end: an api and a sidecar that share no folder, as an owner runs them on two machines or
 * in two containers. The REAL sidecar (inflate engine) is a separate process on TCP, listening on
 * 0.0.0.0 and so required to have a secret, in its own mount namespace where the api's STATIC_DIR
 * is covered by an empty tmpfs (`unshare -m`, as root); the api reaches it
 * by INFERENCE_URL and INFERENCE_TOKEN. The model can only reach the api over the gRPC stream, and
 * a mesh to paint (POST /api/texture) only the sidecar inside the gRPC request.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ApiProcess, startApi } from '../support/api-process';
import { freePort } from '../support/ports';
import { REPO_ROOT, clearKilnKeys, sleep, tempDir } from '../support/env';
import { gltfErrors } from '../support/gltf';
import { followToEnd, getJson, postPicture, postTexture, sample } from '../support/http-client';
import { meshGlb, triangleCount, uvSphere } from '../support/meshes';

const TOKEN = 'e2e-remote-sidecar-secret-0123456789';
const PYTHON = join(REPO_ROOT, 'inference', '.venv', 'bin', 'python');
const NAMESPACE_SKIP =
  process.getuid?.() === 0 ? false : 'needs root: the sidecar runs in its own mount namespace (unshare -m)';

interface RemoteSidecar {
  child: ChildProcess;
  output: () => string;
}

/** The sidecar in a mount namespace of its own, with `hidden` covered by an empty tmpfs there. */
async function startHiddenSidecar(port: number, hidden: string, tmp: string): Promise<RemoteSidecar> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  Object.assign(env, {
    KILN_ENGINE: 'inflate',
    KILN_LISTEN: `0.0.0.0:${port}`,
    KILN_INFERENCE_TOKEN: TOKEN,
    TMPDIR: tmp,
    PYTHONUNBUFFERED: '1',
  });
  const child = spawn(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount -t tmpfs -o mode=0700 none "$1" && exec "$2" -m kiln3d_inference',
      'sh',
      hidden,
      PYTHON,
    ],
    { cwd: join(REPO_ROOT, 'inference'), env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const deadline = Date.now() + 60_000;
  while (!output.includes('ready: engine inflate')) {
    if (child.exitCode !== null) throw new Error(`sidecar exited ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`sidecar not ready:\n${output}`);
    await sleep(100);
  }
  return { child, output: () => output };
}

function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  return exited.finally(() => clearTimeout(timer));
}

/**
 * Both files of a finished task (the web model and the download) fetched from the api, each a
 * GLB with no glTF-Validator error; the model's id, as its URL names it.
 */
async function validModelId(
  baseUrl: string,
  done: { model_url: string; download_url: string },
): Promise<string> {
  for (const url of [done.model_url, done.download_url]) {
    const response = await fetch(new URL(url, baseUrl));
    assert.equal(response.status, 200, url);
    const report = await gltfErrors(new Uint8Array(await response.arrayBuffer()));
    assert.equal(report.count, 0, report.first.join('\n'));
  }
  const modelId = /\/static\/([0-9a-f-]{36})\.glb$/.exec(done.model_url)?.[1];
  assert.ok(modelId, done.model_url);
  return modelId;
}

/** The health body's inference part. */
async function inferenceHealth(
  api: ApiProcess,
): Promise<{ status: number; state?: string; message?: string }> {
  const health = await getJson<{ inference?: { state?: string; message?: string } }>(`${api.url}/api/health`);
  return { status: health.status, ...health.body.inference };
}

void describe(
  'an api and a remote sidecar that share no folder',
  { timeout: 240_000, skip: NAMESPACE_SKIP },
  () => {
    const staticDir = tempDir('remote-static');
    const logDir = tempDir('remote-logs');
    const sidecarTmp = tempDir('remote-sidecar-tmp');
    let port: number;
    let sidecar: RemoteSidecar | undefined;
    let api: ApiProcess | undefined;

    const startApiWith = async (env: Record<string, string>, waitReady = true): Promise<ApiProcess> => {
      await api?.stop();
      api = await startApi({
        staticDir: staticDir.path,
        logDir: logDir.path,
        waitReady,
        env: { INFERENCE_URL: `127.0.0.1:${port}`, INFERENCE_ENGINE: 'inflate', ...env },
      });
      return api;
    };

    before(async () => {
      await clearKilnKeys();
      port = await freePort();
      sidecar = await startHiddenSidecar(port, staticDir.path, sidecarTmp.path);
    });

    after(async () => {
      await api?.stop();
      await stopProcess(sidecar?.child);
      await clearKilnKeys();
      for (const dir of [staticDir, logDir, sidecarTmp]) dir.remove();
    });

    void test('the sidecar cannot see the api folder: its STATIC_DIR is an empty tmpfs of its own', () => {
      const pid = sidecar!.child.pid!;
      const mounts = readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n');
      assert.ok(
        mounts.some((line) => line.split(' ')[4] === staticDir.path && line.includes(' - tmpfs ')),
        `no tmpfs over ${staticDir.path} in the sidecar's namespace`,
      );
    });

    void test('a picture becomes a valid model on the api side, sent back over the stream', async () => {
      const live = await startApiWith({
        INFERENCE_TOKEN: TOKEN,
        ADMIN_TOKEN: 'e2e-remote-admin-token-0123456789',
      });
      const accepted = await postPicture(live.url, sample('typical_misc_lantern.png'));
      assert.equal(accepted.status, 202);
      const { task_id: taskId } = (await accepted.json()) as { task_id: string };
      const events = await followToEnd(live.url, taskId);
      const last = events.at(-1)!;
      assert.equal(last.event, 'completed', JSON.stringify(last.data));
      const data = last.data as { model_url: string; download_url: string };
      // Files are named by the model's own id (issue 19), the one its URL names.
      const modelId = await validModelId(live.url, data);
      const here = readdirSync(staticDir.path).filter((name) => name.endsWith('.glb'));
      assert.deepEqual(here.sort(), [`${modelId}.glb`, `${modelId}.lod.glb`, `${modelId}.source.glb`]);
      // The sidecar's view of the same path: still its own empty tmpfs; its job folder is gone.
      assert.deepEqual(readdirSync(`/proc/${sidecar!.child.pid!}/root${staticDir.path}`), []);
      assert.deepEqual(readdirSync(sidecarTmp.path), []);
      assert.match(sidecar!.output(), /task \S+: end after .* done: \d+ triangles/);
    });

    void test('a mesh and a picture become a painted model: the mesh goes in the gRPC request, the model comes back on the stream', async () => {
      assert.ok(api);
      const sphere = uvSphere(1, 24, 12);
      const made = await postTexture<{ task_id: string }>(
        api.url,
        { mesh: await meshGlb(sphere), image: sample('typical_misc_lantern.png') },
        { texture_size: '1024' },
      );
      assert.equal(made.status, 202, JSON.stringify(made.body));
      const last = (await followToEnd(api.url, made.body.task_id, 180_000)).at(-1)!;
      assert.equal(last.event, 'completed', JSON.stringify(last.data));
      const data = last.data as { kind: string; triangles: number; model_url: string; download_url: string };
      assert.equal(data.kind, 'texture');
      assert.equal(data.triangles, triangleCount(sphere));
      const modelId = await validModelId(api.url, data);
      assert.ok(readdirSync(staticDir.path).includes(`${modelId}.source.glb`));
      // Nothing of the mesh or the model stayed on the sidecar's side.
      assert.deepEqual(readdirSync(`/proc/${sidecar!.child.pid!}/root${staticDir.path}`), []);
      assert.deepEqual(readdirSync(sidecarTmp.path), []);
      assert.match(sidecar!.output(), /textured \d+ triangles/);
    });

    void test('the admin restart answers 409 sidecar_not_managed: this api does not own a remote sidecar', async () => {
      assert.ok(api);
      const response = await fetch(`${api.url}/api/admin/inference/restart`, {
        method: 'POST',
        headers: { authorization: 'Bearer e2e-remote-admin-token-0123456789' },
      });
      assert.equal(response.status, 409);
      assert.deepEqual(await response.json(), {
        success: false,
        error: 'The inference sidecar is not managed by this process',
        code: 'sidecar_not_managed',
      });
    });

    void test('the sidecar stopped while idle and started again: a task sent meanwhile waits for it and is made', async () => {
      assert.ok(api);
      const live = api;
      await stopProcess(sidecar?.child);
      // At once, before the api's health checks notice: its last word on the sidecar is "ready".
      const accepted = await postPicture(live.url, sample('typical_vehicle_helicopter.png'));
      assert.equal(accepted.status, 202);
      const { task_id: taskId } = (await accepted.json()) as { task_id: string };
      await sleep(3000);
      sidecar = await startHiddenSidecar(port, staticDir.path, sidecarTmp.path);
      const last = (await followToEnd(live.url, taskId, 120_000)).at(-1)!;
      assert.equal(last.event, 'completed', JSON.stringify(last.data));
      assert.match(live.output(), /the sidecar could not be reached before the job began/);
    });

    for (const [name, env, message] of [
      [
        'a wrong secret',
        { INFERENCE_TOKEN: 'not-the-sidecars-secret-0123456789' },
        /refuses this api's INFERENCE_TOKEN \(wrong secret\)/,
      ],
      ['no secret', {}, /requires a secret and this api sends none: set INFERENCE_TOKEN/],
    ] as [string, Record<string, string>, RegExp][]) {
      void test(`${name} is named in /api/health and the log, and a job fails without reaching the GPU`, async () => {
        const refused = await startApiWith(env, false);
        const deadline = Date.now() + 30_000;
        let health = await inferenceHealth(refused);
        while (health.state !== 'failed' && Date.now() < deadline) {
          await sleep(200);
          health = await inferenceHealth(refused);
        }
        assert.equal(health.status, 503);
        assert.equal(health.state, 'failed');
        assert.match(health.message ?? '', message);
        assert.match(refused.output(), message);
        const accepted = await postPicture(refused.url, sample('typical_creature_elephant.png'));
        assert.equal(accepted.status, 202);
        const { task_id: taskId } = (await accepted.json()) as { task_id: string };
        const last = (await followToEnd(refused.url, taskId)).at(-1)!;
        assert.equal(last.event, 'failed');
        assert.deepEqual(
          (({ error, http_status, error_code }) => ({ error, http_status, error_code }))(last.data),
          {
            error: 'The model engine is not available, retry later',
            http_status: 503,
            error_code: 'engine_unavailable',
          },
        );
      });
    }
  },
);
