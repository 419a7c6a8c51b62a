/**
 * End to end: the command-line client (cli/kiln3d.mjs, `npx kiln3d`) against a server set up as
 * README recommends behind a tunnel (PUBLIC_BASE_URL on a public host this machine cannot
 * reach), with an owner who pauses new tasks: the models are still fetched through --server, a
 * server that cannot be reached is named, a pause longer than --max-wait is a refusal said
 * plainly (exit 3), and listing tasks of which one failed is no failure of `status`.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { useApi } from '../support/api-process';
import { freePort } from '../support/ports';
import { type CliRun, runKiln3d, startKiln3d } from '../support/cli-process';
import { SAMPLES_DIR, tempDir, waitFor } from '../support/env';
import { type MadeTask, cancelTask, getJson, sample, upload } from '../support/http-client';

type Run = CliRun;

/** A public host of the reserved `.invalid` name: no resolver answers for it (RFC 6761). */
const PUBLIC_BASE_URL = 'https://kiln3d-public.invalid';
const ADMIN_TOKEN = 'cli-server-admin-token-0123456789';

void describe('kiln3d against a server behind a public URL (PUBLIC_BASE_URL), paused, with failed tasks', () => {
  const api = useApi('e2e-cli-server', {
    env: { SIMULATE_SECONDS: '2', PUBLIC_BASE_URL, ADMIN_TOKEN },
  });
  const dir = tempDir('cli-server');
  after(() => dir.remove());
  const statePath = join(dir.path, 'state', 'kiln3d', 'tasks.json');

  /** `npx kiln3d …` from the checkout, with its own state folder; the server only as --server says. */
  const kiln3d = (...args: string[]): Promise<Run> => runKiln3d(dir.path, args);

  const admin = (action: 'pause' | 'resume') =>
    getJson(`${api.url}/api/admin/admissions/${action}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });

  void it('downloads the model through --server, though every URL the server hands out names its public host', async () => {
    const picture = join(dir.path, 'pic.png');
    writeFileSync(picture, readFileSync(join(SAMPLES_DIR, 'typical_misc_lantern.png')));
    const out = join(dir.path, 'models');
    const run = await kiln3d(
      'generate',
      picture,
      '--server',
      api.url,
      '--format',
      'stl',
      '--size-mm',
      '40',
      '--out',
      out,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /cannot reach/);
    assert.deepEqual(run.stdout.trim().split('\n'), [join(out, 'pic-40mm.stl')]);
    const stl = readFileSync(join(out, 'pic-40mm.stl'));
    assert.equal(stl.length, 84 + 50 * stl.readUInt32LE(80), 'a binary STL');
    // The server did hand out its public host: the share link, for people, keeps it.
    assert.match(run.stderr, new RegExp(`^pic\\.png: share ${PUBLIC_BASE_URL}/m/[0-9a-f-]{36}$`, 'm'));
  });

  void it('a server that cannot be reached is named in the message (exit 1)', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const run = await kiln3d('status', '1b4e28ba-2fa1-41d2-883f-0016d3cca427', '--server', closed);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stderr.trim(), `kiln3d: cannot reach the server at ${closed} (ECONNREFUSED)`);
  });

  void it('new tasks paused for longer than --max-wait: the picture is refused at once, said plainly (exit 3)', async () => {
    assert.equal((await admin('pause')).status, 200);
    try {
      const picture = join(dir.path, 'paused.png');
      writeFileSync(picture, readFileSync(join(SAMPLES_DIR, 'typical_misc_lantern.png')));
      const run = await kiln3d(
        'generate',
        picture,
        '--server',
        api.url,
        '--max-wait',
        '5',
        '--out',
        dir.path,
      );
      assert.equal(run.code, 3, run.stderr);
      assert.equal(run.stdout, '');
      // The server's Retry-After (60 s) is over --max-wait: not waited at all, and said so.
      assert.doesNotMatch(run.stderr, /waiting/);
      assert.deepEqual(
        run.stderr.trim().split('\n').slice(-1),
        ['paused.png: the server is not taking new tasks (it asks to retry in 60 s, over --max-wait 5 s)'],
        run.stderr,
      );
    } finally {
      assert.equal((await admin('resume')).status, 200);
    }
  });

  void it('status lists a failed task among the others with exit 0; status of that task exits 4', async () => {
    const made = await upload<MadeTask>(api.url, sample('typical_misc_lantern.png'), {
      filename: 'cancelled.png',
      contentType: 'image/png',
    });
    assert.equal(made.status, 202, JSON.stringify(made.body));
    const cancelled = await cancelTask(api.url, made.body);
    assert.equal(cancelled.status, 200);
    assert.equal(((await cancelled.json()) as { status: string }).status, 'failed');
    // The earlier run's task, and this one as a run of the CLI would have kept it.
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as Record<string, { picture: string }>;
    const [completedId] = Object.keys(state);
    writeFileSync(
      statePath,
      JSON.stringify({
        ...state,
        [made.body.task_id]: {
          token: made.body.task_token,
          server: api.url,
          picture: 'cancelled.png',
          sentAt: new Date().toISOString(),
        },
      }),
    );
    const listed = await kiln3d('status', '--server', api.url);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(listed.stdout.trim().split('\n'), [
      `${made.body.task_id}  cancelled.png  failed: Task cancelled`,
      `${completedId}  pic.png  completed`,
    ]);
    const json = await kiln3d('status', '--server', api.url, '--json');
    assert.equal(json.code, 0, json.stderr);
    const rows = JSON.parse(json.stdout) as { task_id: string; task: { status: string } | null }[];
    assert.deepEqual(
      rows.map((row) => [row.task_id, row.task?.status]),
      [
        [made.body.task_id, 'failed'],
        [completedId, 'completed'],
      ],
    );
    const one = await kiln3d('status', made.body.task_id, '--server', api.url);
    assert.equal(one.code, 4, 'asked about one task that failed: exit 4');
    assert.equal(one.stdout.trim(), 'failed: Task cancelled');
  });

  void it('a followed task cancelled from another terminal: one line says it failed and why, exit 4', async () => {
    const picture = join(dir.path, 'to-cancel.png');
    writeFileSync(picture, readFileSync(join(SAMPLES_DIR, 'typical_building_castle.png')));
    // Two jobs ahead of it (2 s each), and the cancel sent at once by another client with the
    // token the CLI kept: on a machine at load 10 a second CLI process took longer to start than
    // the task took to finish (409 task_already_finished). `kiln3d cancel` has its own cases (cli.test).
    for (const name of ['typical_misc_lantern.png', 'castle.webp']) {
      const ahead = await upload<MadeTask>(api.url, sample(name));
      assert.equal(ahead.status, 202, JSON.stringify(ahead.body));
    }
    const run = startKiln3d(dir.path, [
      'generate',
      picture,
      '--server',
      api.url,
      '--out',
      join(dir.path, 'none'),
    ]);
    const taskId = await waitFor('the task followed', () =>
      Promise.resolve(/^to-cancel\.png: task ([0-9a-f-]{36})$/m.exec(run.output().stderr)?.[1]),
    );
    const token = await waitFor('the task kept in the CLI state', () => {
      const state = JSON.parse(readFileSync(statePath, 'utf8')) as Record<string, { token?: string }>;
      return Promise.resolve(state[taskId]?.token);
    });
    const cancelled = await cancelTask(api.url, { task_id: taskId, task_token: token });
    assert.equal(cancelled.status, 200, await cancelled.text());
    const ended = await run.done;
    assert.equal(ended.code, 4, ended.stderr);
    const failures = ended.stderr.split('\n').filter((line) => /failed/.test(line));
    assert.deepEqual(failures, ['to-cancel.png: failed (task_cancelled): Task cancelled'], ended.stderr);
  });

  void it('a reader that stops early (`kiln3d status | head -1`) ends the listing quietly, exit 0', async () => {
    for (let i = 0; i < 3; i += 1) {
      const run = startKiln3d(dir.path, ['status', '--server', api.url]);
      // The read end closed before the listing is written: its writes meet EPIPE.
      run.child.stdout?.destroy();
      const ended = await run.done;
      assert.equal(ended.code, 0, ended.stderr);
      assert.doesNotMatch(ended.stderr, /EPIPE|Error/);
    }
  });

  void it('the server restarted while a task is followed: the CLI waits for it and fetches the model (the task is kept in Redis)', async () => {
    const picture = join(dir.path, 'restart.png');
    writeFileSync(picture, readFileSync(join(SAMPLES_DIR, 'castle.webp')));
    const out = join(dir.path, 'restart-models');
    const run = startKiln3d(dir.path, ['generate', picture, '--server', api.url, '--out', out]);
    try {
      await waitFor('the task followed', () =>
        Promise.resolve(/^restart\.png: task [0-9a-f-]{36}$/m.test(run.output().stderr) ? true : undefined),
      );
      await api.stop();
      // Down long enough for the CLI to say so (an update, say), then back on the same address.
      await waitFor(
        'the CLI waiting for the server',
        () => Promise.resolve(/cannot reach the server/.test(run.output().stderr) ? true : undefined),
        60_000,
      );
      await api.restart({ samePort: true });
      const ended = await run.done;
      assert.equal(ended.code, 0, ended.stderr);
      assert.deepEqual(ended.stdout.trim().split('\n'), [join(out, 'restart.glb')]);
      assert.equal(readFileSync(join(out, 'restart.glb')).subarray(0, 4).toString(), 'glTF');
      assert.match(
        ended.stderr,
        new RegExp(
          `^restart\\.png: \\(cannot reach the server at ${api.url.replace(/[.]/g, '\\.')} \\(ECONNREFUSED\\), the task is kept there: waiting 5 s\\)$`,
          'm',
        ),
      );
    } finally {
      run.child.kill();
    }
  });
});
