/**
 * End to end: the command-line client (cli/kiln3d.mjs, `npx kiln3d`) as a person runs it, against
 * the built api with a real simulate sidecar: a folder of pictures becomes a folder of models,
 * a refused picture gives its exit status and the server's message, and status and cancel work
 * from a later run with the token it kept.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { useApi } from '../support/api-process';
import { type CliRun, runKiln3d } from '../support/cli-process';
import { SAMPLES_DIR, tempDir } from '../support/env';
import { sample, upload } from '../support/http-client';

type Run = CliRun;

void describe('kiln3d command-line client end to end (simulate engine)', () => {
  const api = useApi('e2e-cli', { env: { SIMULATE_SECONDS: '1', MAX_QUEUE: '1' } });
  const dir = tempDir('cli');
  after(() => dir.remove());

  /** `npx kiln3d …` from the checkout, as the README says, with its own state folder. */
  const kiln3d = (...args: string[]): Promise<Run> => runKiln3d(dir.path, args, { KILN3D_SERVER: api.url });

  void it('three pictures make three models, in parallel beyond the queue (503s waited out)', async () => {
    const out = join(dir.path, 'models');
    const pictures = ['typical_misc_lantern.png', 'castle.webp', 'typical_misc_lantern.png'].map(
      (name, i) => {
        // Three distinct files (the api runs each as a job: INSTANT_REPEATS is off in tests).
        const path = join(dir.path, `picture-${i}${name.slice(name.lastIndexOf('.'))}`);
        writeFileSync(path, readFileSync(join(SAMPLES_DIR, name)));
        return path;
      },
    );
    // MAX_QUEUE=1: the third upload at once finds the queue full (503) and waits as Retry-After says.
    const run = await kiln3d(
      'generate',
      ...pictures,
      '--out',
      out,
      '--parallel',
      '3',
      '--max-wait',
      '120',
      '--quality',
      'balanced',
    );
    assert.equal(run.code, 0, run.stderr);
    const made = run.stdout.trim().split('\n').sort();
    assert.deepEqual(
      made,
      [0, 1, 2].map((i) => join(out, `picture-${i}.glb`)),
    );
    for (const path of made) assert.equal(readFileSync(path).subarray(0, 4).toString(), 'glTF', path);
    assert.deepEqual(readdirSync(out).sort(), ['picture-0.glb', 'picture-1.glb', 'picture-2.glb']);
    assert.match(run.stderr, /picture-0\.png: completed/);
    // Each model's share page, named by its model, on the server the CLI talks to.
    const shared = [...run.stderr.matchAll(/^picture-\d\.\w+: share (\S+)$/gm)].map((m) => m[1]);
    assert.equal(shared.length, 3, run.stderr);
    for (const url of shared) assert.match(url.slice(api.url.length), /^\/m\/[0-9a-f-]{36}$/, url);
    for (const url of shared) assert.ok(url.startsWith(`${api.url}/m/`), url);
    assert.equal(new Set(shared).size, 3);
    // What the engine did not use of the options given (simulate: all but the seed), once per
    // picture; the defaults of options not given (texture_size, faces) are not named.
    const ignored = [...run.stderr.matchAll(/^picture-\d\.\w+: the server's engine ignored: (.+)$/gm)];
    assert.deepEqual(
      ignored.map((m) => m[1]),
      ['quality', 'quality', 'quality'],
      run.stderr,
    );
    // Each picture's task id, for `status` and `cancel`.
    const tasks = [...run.stderr.matchAll(/^picture-\d\.\w+: task ([0-9a-f-]{36})$/gm)].map((m) => m[1]);
    assert.equal(new Set(tasks).size, 3, run.stderr);
    assert.match(
      run.stderr,
      /^picture-\d\.\w+: \(Server busy, retry later: waiting \d+ s\)$/m,
      'the full queue was waited out, the picture named',
    );
    assert.match(run.stderr, /processing|preprocess|structure|geometry|texture|export/);
  });

  void it('a refused picture gives exit status 3 and the server message; the others are still made', async () => {
    const bad = join(dir.path, 'notes.png');
    writeFileSync(bad, 'this is not a picture');
    const good = join(dir.path, 'good.png');
    writeFileSync(good, readFileSync(join(SAMPLES_DIR, 'typical_misc_lantern.png')));
    const out = join(dir.path, 'mixed');
    // The good one as a print: the formats tool makes the STL at 50 mm on first request.
    const run = await kiln3d('generate', bad, good, '--out', out, '--format', 'stl', '--size-mm', '50');
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /notes\.png: refused \(400 unsupported_image\): Unsupported image format/);
    assert.deepEqual(run.stdout.trim().split('\n'), [join(out, 'good-50mm.stl')]);
    const stl = readFileSync(join(out, 'good-50mm.stl'));
    assert.equal(stl.length, 84 + 50 * stl.readUInt32LE(80), 'a binary STL');
  });

  void it('bad usage gives exit status 2; status and cancel work from a later run', async () => {
    const usage = await kiln3d('generate', 'x.png', '--format', 'fbx');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--format must be one of glb, obj, stl, 3mf, ply, usdz/);
    // Checked before any picture is sent: nothing is made for a request bound to fail.
    const picture = join(SAMPLES_DIR, 'typical_misc_lantern.png');
    const tooSmall = await kiln3d('generate', picture, '--format', 'stl', '--size-mm', '5');
    assert.equal(tooSmall.code, 2);
    assert.match(tooSmall.stderr, /--size-mm is a whole number of millimetres from 10 to 1000/);
    // A print's size for a file that is no print (README: bad usage).
    const sizedGlb = await kiln3d('generate', picture, '--size-mm', '120');
    assert.equal(sizedGlb.code, 2, sizedGlb.stderr);
    assert.match(sizedGlb.stderr, /--size-mm is for --format stl or 3mf only \(a print's size\), not glb/);
    assert.equal(sizedGlb.stdout, '');
    const missing = await kiln3d('generate', picture, join(dir.path, 'absent.png'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*absent\.png/);
    assert.equal(missing.stdout, '', 'not even the readable picture was sent');

    // A task made by an earlier run: its id is in the run's state file with its token.
    const statePath = join(dir.path, 'state', 'kiln3d', 'tasks.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as Record<
      string,
      { token: string; server: string; picture: string; sentAt: string }
    >;
    const taskId = Object.keys(state)[0];
    const status = await kiln3d('status', taskId);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(status.stdout.trim(), 'completed');
    const cancel = await kiln3d('cancel', taskId);
    assert.equal(cancel.code, 3, 'a finished task cannot be cancelled: refused');
    assert.match(cancel.stderr, /refused \(409 task_already_finished\): Task already finished/);
    // A server named without its scheme is bad usage, not "cannot reach the server".
    const schemeless = await kiln3d('status', taskId, '--server', `localhost:${api.port}`);
    assert.equal(schemeless.code, 2, schemeless.stderr);
    assert.match(
      schemeless.stderr,
      new RegExp(
        `--server must be an http:// or https:// URL, e.g. http://localhost:${api.port} \\(got "localhost:${api.port}"\\)`,
      ),
    );
    const unknown = await kiln3d('status', '1b4e28ba-2fa1-41d2-883f-0016d3cca427');
    assert.equal(unknown.code, 3);
    assert.match(unknown.stderr, /Task not found/);

    // Without an id: every task this client sent to this server, newest first, with its picture.
    // An older client's entry (a bare token) and another server's task are not listed; a task
    // the server no longer has says so instead of failing the listing.
    const gone = '2c5f39cb-3ab2-42e3-994a-1127e4ddb538';
    writeFileSync(
      statePath,
      JSON.stringify({
        '0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a00': 'an-old-bare-token',
        '3d6a4adc-4bc3-43f4-8a5a-2238f5eec649': {
          token: 't',
          server: 'http://elsewhere:8000',
          picture: 'x.png',
        },
        [gone]: { token: 't', server: api.url, picture: 'old.png', sentAt: '2026-01-01T00:00:00Z' },
        ...state,
      }),
    );
    const listed = await kiln3d('status');
    assert.equal(listed.code, 0, listed.stderr);
    const expected = Object.entries(state)
      .reverse()
      .map(([id, task]) => `${id}  ${task.picture}  completed`);
    assert.deepEqual(listed.stdout.trim().split('\n'), [
      ...expected,
      `${gone}  old.png  gone (deleted from the server)`,
    ]);
    assert.deepEqual(
      Object.values(state)
        .map((task) => [task.server, task.picture])
        .sort(),
      ['good.png', 'picture-0.png', 'picture-1.webp', 'picture-2.png'].map((picture) => [api.url, picture]),
    );
    const json = await kiln3d('status', '--json');
    const rows = JSON.parse(json.stdout) as {
      task_id: string;
      picture: string;
      task: { status: string } | null;
    }[];
    assert.deepEqual(
      rows.map((row) => [row.task_id, row.task?.status ?? null]),
      [
        ...Object.keys(state)
          .reverse()
          .map((id) => [id, 'completed']),
        [gone, null],
      ],
    );
    // cancel still finds an older client's bare token.
    const oldCancel = await kiln3d('cancel', '0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a00');
    assert.match(oldCancel.stderr, /Task not found/, 'the token was found and sent: the server answered');
  });

  void it('pictures of one name make files of their own; a folder among the pictures is bad usage; a run that makes nothing leaves no folder', async () => {
    const [a, b] = [join(dir.path, 'a'), join(dir.path, 'b')];
    for (const folder of [a, b]) mkdirSync(folder, { recursive: true });
    const pictures = [join(a, 'item.png'), join(a, 'item.webp'), join(b, 'item.png')];
    writeFileSync(pictures[0], readFileSync(join(SAMPLES_DIR, 'typical_misc_lantern.png')));
    writeFileSync(pictures[1], readFileSync(join(SAMPLES_DIR, 'castle.webp')));
    writeFileSync(pictures[2], readFileSync(join(SAMPLES_DIR, 'typical_creature_elephant.png')));
    const out = join(dir.path, 'same-names');
    const run = await kiln3d('generate', ...pictures, '--out', out, '--max-wait', '120');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split('\n'), [
      join(out, 'item.glb'),
      join(out, 'item-2.glb'),
      join(out, 'item-3.glb'),
    ]);
    assert.deepEqual(readdirSync(out).sort(), ['item-2.glb', 'item-3.glb', 'item.glb']);
    // On stderr, the two item.png by their paths; item.webp by its name.
    const lines = run.stderr.split('\n');
    for (const label of [pictures[0], 'item.webp', pictures[2]]) {
      assert.ok(
        lines.some((line) => line.startsWith(`${label}: task `)),
        `${label} named:\n${run.stderr}`,
      );
    }

    const folder = await kiln3d('generate', pictures[0], a, '--out', join(dir.path, 'never'));
    assert.equal(folder.code, 2, folder.stderr);
    assert.ok(
      folder.stderr.includes(`kiln3d: ${a} is a folder: name the pictures in it (e.g. ${join(a, '*.jpg')})`),
    );
    assert.equal(folder.stdout, '');

    const notPicture = join(dir.path, 'notes.txt.png');
    writeFileSync(notPicture, 'not a picture');
    const refused = await kiln3d('generate', notPicture, '--out', join(dir.path, 'never'));
    assert.equal(refused.code, 3, refused.stderr);
    assert.equal(existsSync(join(dir.path, 'never')), false, 'no empty --out folder');
    const aFile = await kiln3d('generate', pictures[0], '--out', notPicture);
    assert.equal(aFile.code, 2, aFile.stderr);
    assert.ok(
      aFile.stderr.includes(`--out ${notPicture}: ${notPicture} is a file, not a folder`),
      aFile.stderr,
    );
    // A folder under a file cannot be made either: said before anything is sent.
    const under = await kiln3d('generate', pictures[0], '--out', join(notPicture, 'sub'));
    assert.equal(under.code, 2, under.stderr);
    assert.ok(under.stderr.includes(`${notPicture} is a file, not a folder`), under.stderr);
    assert.doesNotMatch(under.stderr, /: task /);
  });

  void it('download fetches the model of tasks already sent: named by picture when sent from here, else by id; waits for one still being made; a rerun keeps the earlier file unless --overwrite', async () => {
    const statePath = join(dir.path, 'state', 'kiln3d', 'tasks.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as Record<string, { picture: string }>;
    const [fromHere, picture] = Object.entries(state).find(([, task]) => task.picture === 'good.png') ?? [];
    assert.ok(fromHere && picture, JSON.stringify(state));
    // A task sent by someone else (curl, the web page): not in this client's state file.
    const sent = await upload<{ task_id: string }>(api.url, sample('typical_vehicle_helicopter.png'));
    assert.equal(sent.status, 202);
    const elsewhere = sent.body.task_id;
    const out = join(dir.path, 'downloads');
    const run = await kiln3d('download', fromHere, elsewhere, '--out', out, '--format', 'stl');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split('\n'), [
      join(out, 'good-100mm.stl'),
      join(out, `kiln3d-${elsewhere.slice(0, 8)}-100mm.stl`),
    ]);
    // A rerun keeps the earlier file: the new one gets -2, and stderr says why; --overwrite replaces.
    const again = await kiln3d('download', fromHere, '--out', out, '--format', 'stl');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), join(out, 'good-2-100mm.stl'));
    assert.match(again.stderr, /good-100mm\.stl was there already: saved as good-2-100mm\.stl/);
    const replaced = await kiln3d('download', fromHere, '--out', out, '--format', 'stl', '--overwrite');
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.equal(replaced.stdout.trim(), join(out, 'good-100mm.stl'));
    assert.deepEqual(
      readdirSync(out).sort(),
      [`kiln3d-${elsewhere.slice(0, 8)}-100mm.stl`, 'good-100mm.stl', 'good-2-100mm.stl'].sort(),
    );
    const unknown = await kiln3d('download', '1b4e28ba-2fa1-41d2-883f-0016d3cca427', '--out', out);
    assert.equal(unknown.code, 3, unknown.stderr);
    assert.match(unknown.stderr, /refused \(404 task_not_found\): Task not found/);
  });
});
