#!/usr/bin/env node
// kiln3d: the command-line client of a Kiln3D server (README.md, Command line). A folder of
// pictures becomes a folder of models: `npx kiln3d generate *.png --format stl --out models/`.
import { constants } from 'node:fs';
import { access, mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiBusy, ApiClient, ApiFailure, ApiRefusal } from './lib/api.mjs';
import { namePictures } from './lib/picture-names.mjs';
import { forEachAtMost } from './lib/pool.mjs';
import { ProgressBoard, describeSnapshot } from './lib/progress.mjs';
import { rememberTask, tasksOn, tokenOf } from './lib/task-tokens.mjs';

/** Exit statuses: what a script decides by. */
const EXIT = { ok: 0, error: 1, usage: 2, refused: 3, failed: 4 };

const FORMATS = ['glb', 'obj', 'stl', '3mf', 'ply', 'usdz'];

/** How many tasks `status` without an id lists. */
const LISTED = 20;
/** How many of them it asks the server about at once (well inside its per-client limits). */
const LISTING_REQUESTS = 4;

const USAGE = `Usage:
  kiln3d generate PICTURE... [--server URL] [--out DIR] [--overwrite] [--format glb|obj|stl|3mf|ply|usdz]
                             [--size-mm N] [--quality fast|balanced|high] [--seed N]
                             [--parallel N] [--max-wait SECONDS]
  kiln3d download TASK_ID... [--server URL] [--out DIR] [--overwrite] [--format ...] [--size-mm N]
  kiln3d status [TASK_ID] [--server URL] [--json]
  kiln3d cancel TASK_ID [--server URL] [--token TOKEN]

  --server    the Kiln3D server (default $KILN3D_SERVER, else http://127.0.0.1:8000)
  --out       folder for the models (default: the current folder); each file is named after its
              picture (two pictures of one name, or a file of that name already there: -2, -3...)
  --overwrite replace a file of the same name in --out instead
  --format    the file to fetch (default glb); --size-mm: stl and 3mf only, longest side in mm (default 100)
  --parallel  pictures sent at once (default 1: in turn); the server's 503 and 429 are waited out
  --max-wait  the longest one request waits on "busy" answers, or a followed task on a server
              that stopped answering (a restart), in seconds (default 1800)
  The API key, when the server requires one, is read from $KILN3D_API_KEY.
  stdout lists the files made; stderr the progress, each picture's task id and share link.
  status without an id lists the last ${LISTED} tasks this client sent to the server, newest first.
  download fetches the model of tasks already sent (a run that was stopped, a task made on the web
  page), waiting while one is still being made.

Exit status: 0 every model made; 3 a picture or request refused (e.g. not a picture, or the
server still busy or paused past --max-wait); 4 a model failed or was cancelled, or the server
failed (status TASK_ID: that task failed; status without an id: 0 unless the listing failed);
2 bad usage, or a picture that cannot be read (or is a folder); 1 anything else (server unreachable).`;

/**
 * One picture: upload, follow, download; prints the file's path on stdout.
 * @param {ApiClient} api
 * @param {string} picture
 * @param {{ label: string, stem: string }} naming namePictures' for this picture
 * @param {{ out: string, format: string, sizeMm?: number, overwrite: boolean, quality?: string, seed?: number }} options
 * @param {ProgressBoard} board
 */
async function generateOne(api, picture, naming, options, board) {
  const name = naming.label;
  board.update(name, 'uploading', 0);
  const accepted = await api.submit(picture, { quality: options.quality, seed: options.seed }, name);
  await rememberTask(accepted.task_id, {
    token: accepted.task_token,
    server: api.server,
    picture: name,
    sentAt: new Date().toISOString(),
  });
  // The id `status` and `cancel` take (its token is kept, so a later run may cancel it).
  board.note(name, `task ${accepted.task_id}`);
  const final = await saveModel(api, accepted.task_id, naming, options, board);
  // Of the options given here, those this server's engine does not use (the CPU engine: all), so
  // none is relied on; the server's defaults for options not given are no news.
  const given = [options.quality === undefined ? '' : 'quality', options.seed === undefined ? '' : 'seed'];
  const ignored = (final.ignored_options ?? []).filter((option) => given.includes(option));
  if (ignored.length > 0) board.note(name, `the server's engine ignored: ${ignored.join(', ')}`);
}

/**
 * Writes a model as `<stem><suffix>` in `folder`; a file of that name already there (a model of an
 * earlier run) is kept and this one gets `<stem>-2<suffix>`, `-3`…, unless `overwrite`. The name is
 * claimed by an exclusive create, so two runs into one folder never write one file.
 * @param {string} folder
 * @param {string} stem
 * @param {string} suffix e.g. ".glb", "-100mm.stl"
 * @param {Uint8Array} bytes
 * @param {boolean} overwrite
 * @returns {Promise<string>} the path written
 */
async function saveFile(folder, stem, suffix, bytes, overwrite) {
  for (let n = 1; ; n += 1) {
    const target = join(folder, `${n === 1 ? stem : `${stem}-${n}`}${suffix}`);
    try {
      await writeFile(target, bytes, { flag: overwrite ? 'w' : 'wx' });
      return target;
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
    }
  }
}

/**
 * Follows a task to its end (at once when it has ended), then fetches its model in the format
 * asked and saves it as `<stem><suffix>` in the --out folder; prints the file's path on stdout.
 * Throws ApiFailure for a failed task or a format the server does not offer.
 * @param {ApiClient} api
 * @param {string} taskId
 * @param {{ label: string, stem: string }} naming
 * @param {{ out: string, format: string, sizeMm?: number, overwrite: boolean }} options
 * @param {ProgressBoard} board
 * @returns {Promise<import('./lib/api.mjs').TaskView>} the completed task
 */
async function saveModel(api, taskId, naming, options, board) {
  const name = naming.label;
  const final = await api.follow(taskId, name, (snapshot) => {
    // A failure is said once, with its code, by the caller (board.fail).
    if (snapshot.status === 'failed') return;
    const percent =
      snapshot.status === 'completed' ? 100 : snapshot.status === 'processing' ? (snapshot.progress ?? 0) : 0;
    board.update(name, describeSnapshot(snapshot), percent);
  });
  if (final.status !== 'completed') throw new ApiFailure(final.error ?? 'failed', final.error_code);
  const offer = final.formats?.find((/** @type {{ format: string }} */ f) => f.format === options.format);
  if (offer === undefined) throw new ApiFailure(`the server offers no ${options.format} file`);
  const url = new URL(offer.url);
  if (options.sizeMm !== undefined) url.searchParams.set('size_mm', String(options.sizeMm));
  board.update(name, `fetching ${options.format}`, 100);
  // On --server, whatever host the URL names (the server's public one): api.download.
  const file = await api.download(url.toString(), name);
  // "kiln3d-3f0c2a4e-100mm.stl" -> "<picture>-100mm.stl"; "kiln3d-3f0c2a4e.glb" -> "<picture>.glb".
  const suffix = file.fileName?.replace(/^kiln3d-[0-9a-f]{8}/, '') ?? `.${options.format}`;
  // Made with the first model, so a run that makes none leaves no empty folder behind.
  await mkdir(options.out, { recursive: true });
  const target = await saveFile(options.out, naming.stem, suffix, file.bytes, options.overwrite);
  const wanted = `${naming.stem}${suffix}`;
  board.update(name, `saved ${basename(target)}`, 100);
  if (basename(target) !== wanted)
    board.note(name, `${wanted} was there already: saved as ${basename(target)} (--overwrite replaces it)`);
  if (file.watertight === 'false')
    board.note(name, 'the mesh is not watertight; a slicer may need to repair it');
  if (final.share_url) board.note(name, `share ${final.share_url}`);
  process.stdout.write(`${target}\n`);
  return final;
}

/**
 * The file options of generate and download (--format, --size-mm, --out, --overwrite), checked before anything
 * is sent: the server's rules of GET /api/tasks/{id}/download, and an --out that can be a folder.
 * @param {Record<string, string | boolean | undefined>} values
 * @returns {Promise<{ format: string, sizeMm: number | undefined, out: string, overwrite: boolean } | string>} the options, or what is wrong
 */
async function fileOptions(values) {
  const format = String(values.format ?? 'glb');
  if (!FORMATS.includes(format)) return `--format must be one of ${FORMATS.join(', ')}`;
  const sizeMm = values['size-mm'] === undefined ? undefined : Number(values['size-mm']);
  if (sizeMm !== undefined && format !== 'stl' && format !== '3mf') {
    return `--size-mm is for --format stl or 3mf only (a print's size), not ${format}`;
  }
  if (sizeMm !== undefined && (!Number.isInteger(sizeMm) || sizeMm < 10 || sizeMm > 1000)) {
    return '--size-mm is a whole number of millimetres from 10 to 1000, for --format stl or 3mf';
  }
  const out = String(values.out ?? '.');
  // The folder, or the nearest one above it that exists (made later, with the first model).
  for (let path = resolve(out); ; path = dirname(path)) {
    const found = await stat(path).catch(() => undefined);
    if (found !== undefined) {
      if (!found.isDirectory()) return `--out ${out}: ${path} is a file, not a folder`;
      break;
    }
    if (dirname(path) === path) break;
  }
  return { format, sizeMm, out, overwrite: values.overwrite === true };
}

/**
 * A wait the server asked for, on stderr, named by what it is for: with --parallel several may
 * wait at once.
 * @param {number} seconds
 * @param {string} why
 * @param {string | undefined} subject
 */
function sayWait(seconds, why, subject) {
  process.stderr.write(
    `${subject === undefined ? '' : `${subject}: `}(${why}: waiting ${Math.round(seconds)} s)\n`,
  );
}

/**
 * `download TASK_ID...`: the model of each task, sent from here or elsewhere (a run that was
 * stopped, a task made on the web page), waited for while it is still being made, saved as
 * generate would save it: named after its picture when this client sent it, else `kiln3d-<id>`.
 * @param {string[]} taskIds
 * @param {Record<string, string | boolean | undefined>} values
 * @returns {Promise<number>} the exit status
 */
async function download(taskIds, values) {
  if (taskIds.length === 0) return usage('name at least one task id');
  const file = await fileOptions(values);
  if (typeof file === 'string') return usage(file);
  const api = client(values, sayWait);
  const known = new Map((await tasksOn(api.server, Number.MAX_SAFE_INTEGER)).map((task) => [task.id, task]));
  // namePictures gives each a stem of its own, as for pictures sent in one run.
  const names = namePictures(taskIds.map((id) => known.get(id)?.picture ?? `kiln3d-${id.slice(0, 8)}`));
  const board = new ProgressBoard(process.stderr);
  let status = EXIT.ok;
  for (const [index, taskId] of taskIds.entries()) {
    try {
      await saveModel(api, taskId, names[index], file, board);
    } catch (error) {
      status = Math.max(status, exitOf(error));
      board.fail(names[index].label, error instanceof ApiRefusal ? 'refused' : 'failed', messageOf(error));
    }
  }
  board.stop();
  return status;
}

/**
 * @param {string[]} pictures
 * @param {Record<string, string | boolean | undefined>} values
 * @returns {Promise<number>} the exit status
 */
async function generate(pictures, values) {
  if (pictures.length === 0) return usage('name at least one picture');
  const file = await fileOptions(values);
  if (typeof file === 'string') return usage(file);
  const { format, sizeMm, out, overwrite } = file;
  for (const picture of pictures) {
    try {
      await access(picture, constants.R_OK);
    } catch {
      return usage(`cannot read ${picture}`);
    }
    if ((await stat(picture)).isDirectory()) {
      return usage(`${picture} is a folder: name the pictures in it (e.g. ${join(picture, '*.jpg')})`);
    }
  }
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isInteger(seed)) return usage('--seed must be a whole number');
  const parallel = Number(values.parallel ?? 1);
  if (!Number.isInteger(parallel) || parallel < 1) return usage('--parallel must be 1 or more');

  const board = new ProgressBoard(process.stderr);
  const api = client(values, sayWait);
  const quality = values.quality === undefined ? undefined : String(values.quality);
  let status = EXIT.ok;
  const names = namePictures(pictures);
  await forEachAtMost(pictures, parallel, async (picture, index) => {
    const naming = names[index];
    try {
      await generateOne(api, picture, naming, { out, format, sizeMm, overwrite, quality, seed }, board);
    } catch (error) {
      status = Math.max(status, exitOf(error));
      board.fail(naming.label, error instanceof ApiRefusal ? 'refused' : 'failed', messageOf(error));
    }
  });
  board.stop();
  return status;
}

/**
 * @param {unknown} error
 * @returns {number}
 */
function exitOf(error) {
  if (error instanceof ApiRefusal) return EXIT.refused;
  if (error instanceof ApiFailure) return EXIT.failed;
  return EXIT.error;
}

/**
 * @param {unknown} error
 * @returns {string}
 */
function messageOf(error) {
  // "the server is not taking new tasks (it asks to retry in 60 s, over --max-wait 5 s)"
  if (error instanceof ApiBusy) return error.message;
  if (error instanceof ApiRefusal && error.status === 401) {
    const hint = process.env.KILN3D_API_KEY
      ? "the key in $KILN3D_API_KEY is not one of this server's API keys"
      : 'this server needs an API key: set $KILN3D_API_KEY to one of its API_KEYS';
    return `refused (${error.status} ${error.code}): ${error.message} (${hint})`;
  }
  if (error instanceof ApiRefusal) return `refused (${error.status} ${error.code}): ${error.message}`;
  if (error instanceof ApiFailure) return `failed${error.code ? ` (${error.code})` : ''}: ${error.message}`;
  // ApiUnreachable: "cannot reach the server at https://3d.example.com (ENOTFOUND)"
  return error instanceof Error ? error.message : String(error);
}

/**
 * @param {Record<string, string | boolean | undefined>} values
 * @param {(seconds: number, why: string, subject: string | undefined) => void} [onWait]
 */
function client(values, onWait) {
  const server = serverOf(values);
  const maxWaitS = Number(values['max-wait'] ?? 1800);
  return new ApiClient(server, process.env.KILN3D_API_KEY || undefined, { maxWaitS, onWait });
}

/**
 * `status` without an id: one line per task this client sent to the server (newest first), its
 * id, picture and state now; a task the server no longer has (deleted after its retention) says so.
 * A listed task that failed is a line of the listing, not a failure of the command: a script
 * that lists tasks reads their states, and tells a failed listing (exit 1, 3, 4 as anywhere) by
 * the status. `status TASK_ID` is the question "did this task succeed?" and exits 4 when it failed.
 * @param {Record<string, string | boolean | undefined>} values the parsed options
 * @returns {Promise<number>} the exit status: ok once every task is listed
 */
async function listTasks(values) {
  const api = client(values);
  const known = await tasksOn(api.server, LISTED);
  if (known.length === 0) {
    process.stderr.write(`kiln3d: no task sent to ${api.server} from here yet\n`);
    return EXIT.ok;
  }
  /** @type {Array<(typeof known)[number] & { snapshot: import('./lib/api.mjs').TaskView | undefined, state: string }>} */
  const rows = new Array(known.length);
  await forEachAtMost(known, LISTING_REQUESTS, async (task, index) => {
    try {
      const snapshot = await api.task(task.id);
      rows[index] = { ...task, snapshot, state: describeSnapshot(snapshot) };
    } catch (error) {
      if (!(error instanceof ApiRefusal) || (error.status !== 404 && error.status !== 410)) throw error;
      rows[index] = { ...task, snapshot: undefined, state: 'gone (deleted from the server)' };
    }
  });
  if (values.json) {
    const listed = rows.map((row) => ({
      task_id: row.id,
      picture: row.picture,
      sent_at: row.sentAt,
      task: row.snapshot ?? null,
    }));
    process.stdout.write(`${JSON.stringify(listed, null, 2)}\n`);
  } else {
    for (const row of rows) process.stdout.write(`${row.id}  ${row.picture ?? '-'}  ${row.state}\n`);
  }
  return EXIT.ok;
}

/**
 * The server to talk to: --server, else $KILN3D_SERVER, else this machine's default.
 * @param {Record<string, string | boolean | undefined>} values
 * @returns {string}
 */
function serverOf(values) {
  return String(values.server ?? process.env.KILN3D_SERVER ?? 'http://127.0.0.1:8000');
}

/**
 * Why the server's address cannot be used, or undefined when it is an http(s) URL. Without a
 * scheme ("localhost:8000") the URL parser reads the host as a scheme, and every request would
 * fail as if the server were down.
 * @param {Record<string, string | boolean | undefined>} values
 * @returns {string | undefined}
 */
function badServer(values) {
  const server = serverOf(values);
  const source = values.server !== undefined ? '--server' : '$KILN3D_SERVER';
  let protocol;
  try {
    protocol = new URL(server).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol === 'http:' || protocol === 'https:') return undefined;
  return `${source} must be an http:// or https:// URL, e.g. http://${server.replace(/^[a-z]+:\/\//i, '')} (got "${server}")`;
}

/**
 * @param {string} message
 * @returns {number}
 */
function usage(message) {
  process.stderr.write(`kiln3d: ${message}\n\n${USAGE}\n`);
  return EXIT.usage;
}

/**
 * @param {string[]} argv the arguments after the command name
 * @returns {Promise<number>} the exit status
 */
async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        server: { type: 'string' },
        out: { type: 'string' },
        format: { type: 'string' },
        'size-mm': { type: 'string' },
        quality: { type: 'string' },
        seed: { type: 'string' },
        parallel: { type: 'string' },
        'max-wait': { type: 'string' },
        token: { type: 'string' },
        json: { type: 'boolean' },
        overwrite: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }
  const [command, ...rest] = parsed.positionals;
  const values = parsed.values;
  if (values.help || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const serverProblem = ['generate', 'download', 'status', 'cancel'].includes(command ?? '')
    ? badServer(values)
    : undefined;
  if (serverProblem !== undefined) return usage(serverProblem);
  try {
    switch (command) {
      case 'generate':
        return await generate(rest, values);
      case 'download':
        return await download(rest, values);
      case 'status': {
        if (rest.length === 0) return await listTasks(values);
        if (rest.length !== 1) return usage('status takes one task id, or none to list them');
        const snapshot = await client(values).task(rest[0]);
        process.stdout.write(
          values.json ? `${JSON.stringify(snapshot, null, 2)}\n` : `${describeSnapshot(snapshot)}\n`,
        );
        return snapshot.status === 'failed' ? EXIT.failed : EXIT.ok;
      }
      case 'cancel': {
        if (rest.length !== 1) return usage('cancel takes one task id');
        const token = values.token ?? (await tokenOf(rest[0]));
        if (token === undefined)
          return usage(`no task token known for ${rest[0]}: pass --token (the task_token of its 202)`);
        const snapshot = await client(values).cancel(rest[0], String(token));
        process.stdout.write(snapshot.cancelled ? 'cancelled\n' : `${describeSnapshot(snapshot)}\n`);
        return EXIT.ok;
      }
      default:
        return usage(command === undefined ? 'name a command' : `unknown command "${command}"`);
    }
  } catch (error) {
    process.stderr.write(`kiln3d: ${messageOf(error)}\n`);
    return exitOf(error);
  }
}

// A reader that stops early (`kiln3d status | head -1`) closes the pipe: not an error of ours.
process.stdout.on('error', (error) => {
  if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? EXIT.ok);
});

process.exitCode = await main(process.argv.slice(2));
