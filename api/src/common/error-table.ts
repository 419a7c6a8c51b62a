/**
 * The HTTP contract's errors, written once (docs/design.md, HTTP contract). Each row is one
 * stable machine `code` (snake_case: clients decide by it), its HTTP status and its `error`
 * message (people read it; clients and scripts also rely on its exact words, so it never
 * changes). Every error body is {"success": false, "error": "<message>", "code": "<code>"}; a
 * failed task's snapshot carries the same three as `error`, `http_status` and `error_code`.
 *
 * Rendered from here, never restated: the ApiError the api throws (api-error.ts), the OpenAPI
 * document's `ErrorCode` enum and the error responses of each route (error-body.dto.ts), the
 * error tables of docs/design.md and README.md (renderErrorTableMarkdown, written by
 * `node dist/api/openapi.js`, checked by api/test/medium/openapi.test.ts) and, through the
 * OpenAPI document, the web app's generated types.
 *
 * A message with `<name>` parts is a template: the parts are filled in per answer
 * (errorMessage(), or for unavailable_quality the quality presets' own wording).
 */

/** One row of the error table. */
export interface ErrorRow {
  /** The HTTP status it answers with (bad_request: a parser's own 4xx keeps its status). */
  readonly status: number;
  /** The `error` text, verbatim; `<name>` marks a part filled in per answer. */
  readonly message: string;
  /** When it is answered, in the contract's words (the docs' "when" column, the route's Swagger text). */
  readonly when: string;
  /** Headers the answer carries besides the body: name -> what it says and its OpenAPI type. */
  readonly headers?: Readonly<
    Record<string, { readonly description: string; readonly type: 'string' | 'integer' }>
  >;
}

/** Every error the api answers, by code; ordered by status, as the docs list them. */
/** body-parser's limit on a JSON or URL-encoded body (app-setup.ts), in kB: above it, body_too_large. */
export const BODY_LIMIT_KB = 100;

export const ERROR_TABLE = {
  unsupported_image: {
    status: 400,
    message: 'Unsupported image format',
    when: 'not JPG/PNG/WebP (judged by content, not name or Content-Type)',
  },
  missing_image: {
    status: 400,
    message: 'Missing file field "image"',
    when: 'POST /api/generate or POST /api/texture without a file in the field "image"',
  },
  unexpected_file: {
    status: 400,
    message: 'Send exactly one file, in the field "image"',
    when: 'a file in another field, or a second file',
  },
  missing_mesh: {
    status: 400,
    message: 'Missing file field "mesh"',
    when: 'POST /api/texture without a file in the field "mesh" (or without one in "image": `missing_image`)',
  },
  unexpected_mesh_file: {
    status: 400,
    message: 'Send one file in "mesh" and one in "image"',
    when: 'POST /api/texture with a file in another field, or a second file in one of them',
  },
  unsupported_mesh: {
    status: 400,
    message: 'Unsupported mesh format, send GLB, OBJ or PLY',
    when:
      'POST /api/texture whose `mesh` is no readable GLB (glTF 2.0 binary), OBJ or PLY, judged by content, not ' +
      'name: e.g. a picture or text named .obj, a truncated GLB, a .gltf with outside files',
  },
  invalid_option: {
    status: 400,
    message: 'Invalid <field>: <rule>',
    when:
      'a bad generation option (quality, seed, texture_size, faces; texturing: seed, texture_size, ' +
      'texture_resolution, units), e.g. ' +
      '`Invalid quality: one of fast, balanced, high`; before any queue slot is taken. Also a text field the ' +
      'upload does not take (a typo, or a generation option sent to texturing), e.g. `Invalid texure_size: not ' +
      'a field of this request; its fields are …`. Also a bad `format` or ' +
      '`size_mm` of a download, e.g. `Invalid format: one of glb, obj, stl, 3mf, ply, usdz`. Also a bad ' +
      '`callback_url` (not an absolute URL, not https, credentials in it, over 2048 characters, a literal ' +
      'loopback, private, link-local or other non-public address; or any while `WEBHOOK_SECRET` is unset), e.g. ' +
      '`Invalid callback_url: an https URL`, before any queue slot',
  },
  invalid_parameter: {
    status: 400,
    message: '<name> must be true or false',
    when:
      'a query flag (`wait` of POST /api/generate and POST /api/texture, `force` of the admin restarts) that is ' +
      'neither',
  },
  bad_request: {
    status: 400,
    message: 'Bad request',
    when:
      "a malformed request: a body that does not parse, a bad percent-encoding in a path (never the parser's " +
      'own words; a 4xx the parser raised keeps its status, e.g. 415 for an unknown charset)',
  },
  unauthorized: {
    status: 401,
    message: 'Unauthorized',
    when:
      'access control on (`API_KEYS`, `CF_ACCESS_*`) and no valid API key or Access token; an admin route ' +
      'without the right `ADMIN_TOKEN`; `/metrics` without `METRICS_TOKEN` when it is set',
    headers: {
      'WWW-Authenticate': {
        type: 'string',
        description:
          'a Bearer challenge: realm="kiln3d" while API keys are on, "kiln3d-admin" on the admin route, "kiln3d-metrics" on /metrics',
      },
    },
  },
  forbidden: {
    status: 403,
    message: 'Forbidden',
    when: 'GET /metrics from beyond this machine (or through a proxy) while `METRICS_TOKEN` is unset',
  },
  cross_site_request: {
    status: 403,
    message: 'Cross-site request refused',
    when:
      'a POST or DELETE carrying a Cloudflare Access credential (the cookie, or the header Access derives ' +
      'from it) that another site sent (`Sec-Fetch-Site: cross-site`, or a foreign `Origin`)',
  },
  task_token_required: {
    status: 403,
    message: 'Task token missing or wrong',
    when:
      'a request that changes a task (DELETE /api/tasks/{id}) or reads its webhook deliveries (GET ' +
      "/api/tasks/{id}/webhooks) without its maker's `X-Task-Token` (the `task_token` of the 202 that made it), " +
      'or with another one',
  },
  not_found: {
    status: 404,
    message: 'Not found',
    when: 'no such route or model file (`/static/` serves three names per model: `{uuid}.glb`, `.source.glb`, `.lod.glb`); the admin routes while `ADMIN_TOKEN` is unset',
  },
  task_not_found: {
    status: 404,
    message: 'Task not found',
    when: 'an unknown or expired task id',
  },
  preview_not_found: {
    status: 404,
    message: 'No preview yet',
    when: 'GET /api/tasks/{id}/preview before the engine sent one',
  },
  worker_not_found: {
    status: 404,
    message: 'No live worker has this id',
    when:
      'POST /api/admin/workers/{worker_id}/inference/restart naming no live worker on this Redis (ids: GET /api/health ' +
      '`workers[].id`, the ops overview; a worker whose heartbeat lapsed, 10 s, is gone; an api-only process is no worker)',
  },
  task_cancelled: {
    status: 409,
    message: 'Task cancelled',
    when:
      'the task was cancelled (DELETE /api/tasks/{id}): its failed snapshot (`cancelled: true`), and a ' +
      '`?wait=true` request for it',
  },
  task_not_completed: {
    status: 409,
    message: 'Task not completed: <status>',
    when: 'a download of a task that has no model (yet): `Task not completed: queued`, `processing` or `failed`',
  },
  task_already_finished: {
    status: 409,
    message: 'Task already finished',
    when: 'DELETE /api/tasks/{id} of a completed or failed task',
  },
  sidecar_not_managed: {
    status: 409,
    message: 'The inference sidecar is not managed by this process',
    when:
      'POST /api/admin/inference/restart on a process that runs no sidecar of its own: it reaches one elsewhere ' +
      "(`INFERENCE_URL`), or it is api-only (`KILN_ROLE=api`: restart a worker's sidecar with POST " +
      '/api/admin/workers/{worker_id}/inference/restart); the same from that route for a worker whose sidecar is ' +
      "`INFERENCE_URL`'s",
  },
  file_too_large: {
    status: 413,
    message: 'File too large, max <max_upload_mb>MB',
    when:
      'a body over `MAX_UPLOAD_MB` (10 by default: `File too large, max 10MB`); reading stops at the limit and ' +
      'the connection closes after the answer',
  },
  body_too_large: {
    status: 413,
    message: `Request body too large, max ${BODY_LIMIT_KB}kB`,
    when:
      `a JSON or URL-encoded body over ${BODY_LIMIT_KB} kB, on any route (none takes one: uploads are multipart, ` +
      '`MAX_UPLOAD_MB`); the body is parsed before routing, so an unknown route gets it too; the connection ' +
      'closes after the answer',
  },
  mesh_too_large: {
    status: 413,
    message: 'Mesh too large, max <max_mesh_mb>MB',
    when:
      'POST /api/texture whose `mesh` is over `MAX_MESH_MB` (50 by default: `Mesh too large, max 50MB`); reading ' +
      'stops at the limit and the connection closes after the answer',
  },
  request_timeout: {
    status: 408,
    message: 'Request timeout',
    when:
      "the request's headers took over `HEADERS_TIMEOUT_S` (20 s by default), or the whole request, body included, " +
      'over `REQUEST_TIMEOUT_S` (120 s: a 10 MB picture at 0.7 Mbit/s); the connection closes after the answer',
  },
  range_not_satisfiable: {
    status: 416,
    message: 'Range not satisfiable',
    when: 'a model requested with a Range that starts past its end',
    headers: { 'Content-Range': { type: 'string', description: 'bytes */<size>' } },
  },
  image_too_small: {
    status: 422,
    message: 'Image too small, min 64x64',
    when: 'a valid picture under 64 px on a side (judged from its header, before a queue slot is taken)',
  },
  image_too_large: {
    status: 422,
    message: 'Image too large, max 67.1 megapixels',
    when:
      'a JPG/PNG/WebP whose header claims more than 67.1 megapixels (8192 x 8192; any shape: 9000 x 600 is ' +
      'taken): refused from its header, never decoded (a decompression bomb guard); the web app scales such ' +
      'a photo down before sending it',
  },
  no_object: {
    status: 422,
    message: 'No object found in the image',
    when:
      'a valid picture with nothing to model (blank, one colour, fully transparent: before the task is ' +
      "queued), or the engine's own verdict (the task ends failed)",
  },
  mesh_no_faces: {
    status: 422,
    message: 'The mesh has no faces',
    when:
      'POST /api/texture whose `mesh` holds no triangle: a point cloud, lines only, vertices only, ' +
      'or triangles that all have zero area',
  },
  mesh_not_finite: {
    status: 422,
    message: 'The mesh has NaN or infinite vertex positions',
    when: 'POST /api/texture whose `mesh` has a vertex position that is not a finite number',
  },
  mesh_too_many_faces: {
    status: 422,
    message: 'The mesh has <faces> faces, max <max_faces>',
    when:
      "POST /api/texture whose `mesh` has more triangles than the engine's limit (`TEXTURE_MAX_FACES`, 200000 by " +
      'default; a quad counts as two), e.g. `The mesh has 250000 faces, max 200000`',
  },
  mesh_compressed: {
    status: 422,
    message: 'Compressed GLB (<extension>) not supported, export it without compression',
    when:
      'POST /api/texture whose GLB requires `KHR_draco_mesh_compression` or `EXT_meshopt_compression` (refused ' +
      'before anything is decoded)',
  },
  unavailable_quality: {
    status: 422,
    // One literal (no +): the message's type is its words, so its <parts> are checked where it is built.
    message:
      'Unavailable quality: <preset> takes about <n> s here, over (or too close to) the <limit> s job limit; use <offered presets>',
    when:
      'a `quality` preset whose jobs measured on this GPU do not fit the job limit (GET /api/qualities), ' +
      'unless the request repeats a kept model; `<preset> (<faster preset> already takes about <n> s here, …)` ' +
      'when a faster preset decided it; `…; no quality fits this job limit here (the owner can raise ' +
      'JOB_TIMEOUT_S)` when none is left',
  },
  too_many_requests: {
    status: 429,
    message: 'Too many requests, retry later',
    when:
      'over the per-client upload rate (`UPLOADS_PER_MINUTE`) or read rate (`READS_PER_MINUTE`: task, preview, ' +
      'stream and cancel requests); a download of a file not made yet while the same client already has half of ' +
      '`FORMAT_BUILDS` + `FORMAT_QUEUE` (4 by default) being made by this process',
    headers: { 'Retry-After': { type: 'integer', description: 'seconds until the client may try again' } },
  },
  too_many_active_tasks: {
    status: 429,
    message: 'Too many unfinished tasks from this client, retry when one ends',
    when:
      'POST /api/generate or /api/texture while this client already holds its share of the queue ' +
      '(`ACTIVE_TASKS_PER_CLIENT` unfinished tasks, half the capacity by default), unless the request repeats a kept model',
    headers: { 'Retry-After': { type: 'integer', description: 'seconds: one mean job duration' } },
  },
  too_many_streams: {
    status: 429,
    message: 'Too many open event streams, close one first',
    when:
      'GET /api/status/{id} while this client holds `SSE_STREAMS_PER_CLIENT` streams open, or its IPv6 /48 site ' +
      '(all its /64s together) 4 times that (before the stream opens)',
    headers: { 'Retry-After': { type: 'integer', description: 'seconds: one heartbeat interval' } },
  },
  internal_error: {
    status: 500,
    message: 'Internal error',
    when: 'anything else (logged with its stack)',
  },
  format_failed: {
    status: 500,
    message: 'The <format> file could not be made',
    when:
      'the formats tool failed on this model (logged with its reason); the task and its other formats are ' +
      'unharmed, and the format is tried again 10 minutes later',
  },
  gpu_out_of_memory: {
    status: 500,
    message: 'GPU out of memory',
    when: "the task's job ran out of GPU memory after one clean-up-and-retry",
  },
  server_busy: {
    status: 503,
    message: 'Server busy, retry later',
    when: 'the queue is full (`MAX_QUEUE` waiting besides one running per worker)',
    headers: { 'Retry-After': { type: 'integer', description: 'seconds: the mean job duration' } },
  },
  formats_busy: {
    status: 503,
    message: 'Busy making other files, retry later',
    when:
      'a download whose format is not made yet while this process already makes `FORMAT_BUILDS` files and ' +
      'holds `FORMAT_QUEUE` more waiting',
    headers: { 'Retry-After': { type: 'integer', description: 'seconds' } },
  },
  streams_full: {
    status: 503,
    message: 'Too many open event streams here, retry later',
    when: 'GET /api/status/{id} while this process holds `SSE_STREAMS_TOTAL` streams open (before the stream opens)',
    headers: { 'Retry-After': { type: 'integer', description: 'seconds: one heartbeat interval' } },
  },
  decode_busy: {
    status: 503,
    message: 'Busy decoding other pictures, retry later',
    when:
      'POST /api/generate or /api/texture whose picture waited `DECODE_WAIT_S` (10 s) for the decode budget (`DECODE_BUDGET_MP` ' +
      'megapixels decoded at once per process) without getting it',
    headers: { 'Retry-After': { type: 'integer', description: 'seconds: the decode wait' } },
  },
  meshes_busy: {
    status: 503,
    message: 'Busy reading other meshes, retry later',
    when:
      'POST /api/texture whose mesh waited `MESH_INTAKE_WAIT_S` (20 s) while this process read `MESH_INTAKES` ' +
      'other meshes',
    headers: { 'Retry-After': { type: 'integer', description: 'seconds: the mesh intake wait' } },
  },
  admissions_paused: {
    status: 503,
    message: 'Not taking new tasks right now, retry later',
    when:
      'POST /api/generate or /api/texture while an operator paused admissions (POST /api/admin/admissions/pause, every api process ' +
      'on one Redis): checked before the picture is decoded; running and queued tasks go on',
    headers: { 'Retry-After': { type: 'integer', description: 'seconds: 60' } },
  },
  engine_unavailable: {
    status: 503,
    message: 'The model engine is not available, retry later',
    when:
      "the task's job found no inference sidecar to run it: its engine failed to load, or it was unreachable or " +
      'not ready for `INFERENCE_READY_TIMEOUT_S` (1200 s by default: a first load with its warm-up); a sidecar ' +
      'that goes away during a job it began fails that job 500 internal_error; also POST /api/generate or /api/texture, before ' +
      "the picture is decoded, while every live worker's sidecar has failed (`/api/health` 503), with `Retry-After: 60`",
    headers: {
      'Retry-After': {
        type: 'integer',
        description: 'seconds: 60 (an upload refused; a failed task has none)',
      },
    },
  },
  store_unavailable: {
    status: 503,
    message: 'The task store is not reachable, retry later',
    when: 'a request that needs Redis (an upload, a task) while Redis does not answer (`/api/health` says so too)',
    headers: { 'Retry-After': { type: 'integer', description: 'seconds: 10' } },
  },
  sidecar_stopped: {
    status: 503,
    message: 'The inference sidecar is stopped',
    when:
      'POST /api/admin/inference/restart while the api is shutting its sidecar down (and the worker route for a ' +
      'worker that is)',
  },
  web_app_not_built: {
    status: 503,
    message: 'Web app not built',
    when: '`/` and the web routes when the web build is missing',
  },
  generation_timeout: {
    status: 504,
    message: 'Generation timeout',
    when: "the task's job ran over `JOB_TIMEOUT_S` (180 s by default)",
  },
  worker_no_answer: {
    status: 504,
    message: 'The worker did not answer in time',
    when:
      'POST /api/admin/workers/{worker_id}/inference/restart: the worker did not listen (it is stopping, or cut off ' +
      'from Redis; one that is starting is asked again until it listens) or did not take the request within 5 s (its event loop stuck, a lost connection); the request is ' +
      'then withdrawn, so nothing restarts later. Only a worker that took it at the last moment and whose answer ' +
      'then went missing may still restart (its log says so)',
  },
  store_full: {
    status: 507,
    message: 'The task store is full, retry later',
    when:
      "POST /api/generate or /api/texture while Redis holds 90 % or more of its `maxmemory` (docker-compose.yml's and " +
      "`npm start`'s own Redis: 1 GB; a Redis without `maxmemory` is never full here): refused before the picture is " +
      'decoded, nothing written; running and queued tasks go on. Also any request whose write Redis refused as over ' +
      'its `maxmemory` (`OOM command not allowed`). `/api/health` says `redis.full`',
  },
  insufficient_storage: {
    status: 507,
    message: 'Not enough disk space on the server, retry later',
    when:
      "POST /api/generate or /api/texture while the model folder's filesystem (`STATIC_DIR`; a folder store, not a " +
      'bucket) has less than `MIN_FREE_DISK_MB` free (1024 by default; 0 = no check): refused before the picture is ' +
      'decoded and before any slot is taken, nothing written; also a download whose format file is not made yet ' +
      '(a file already made is served). Running and queued tasks go on; `/api/health` says `disk.state` `low`',
  },
} as const satisfies Record<string, ErrorRow>;

/** A stable machine code of the error table, e.g. `server_busy`. */
export type ErrorCode = keyof typeof ERROR_TABLE;

/** Every code, in the table's order (the OpenAPI document's `ErrorCode` enum). */
export const ERROR_CODES = Object.keys(ERROR_TABLE) as ErrorCode[];

type TemplateOf<C extends ErrorCode> = (typeof ERROR_TABLE)[C]['message'];

/** The `<name>` parts of a message template, e.g. 'field' | 'rule'. */
type Placeholders<S extends string> = S extends `${string}<${infer P}>${infer Rest}`
  ? P | Placeholders<Rest>
  : never;

/** Codes whose message is the same on every answer. */
export type FixedErrorCode = {
  [C in ErrorCode]: [Placeholders<TemplateOf<C>>] extends [never] ? C : never;
}[ErrorCode];

/** Codes whose message is a template filled in per answer (file_too_large, invalid_option, ...). */
export type TemplatedErrorCode = Exclude<ErrorCode, FixedErrorCode>;

/** The values a templated code's message needs, by placeholder name. */
export type ErrorParams<C extends ErrorCode> = Readonly<Record<Placeholders<TemplateOf<C>>, string | number>>;

/** A message that is the same on every answer, e.g. 'Task not found'. */
export type FixedErrorMessage = TemplateOf<FixedErrorCode>;

/** Whether the code's message is the same on every answer. */
export function isFixedErrorCode(code: ErrorCode): code is FixedErrorCode {
  return !/<[^>]+>/.test(ERROR_TABLE[code].message);
}

/** Fills a template's `<name>` parts, e.g. errorMessage('file_too_large', { max_upload_mb: 10 }). */
export function errorMessage<C extends TemplatedErrorCode>(code: C, params: ErrorParams<C>): string {
  const values = params as Readonly<Record<string, string | number>>;
  return ERROR_TABLE[code].message.replace(/<([^>]+)>/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

const CODE_BY_FIXED_MESSAGE: ReadonlyMap<string, FixedErrorCode> = new Map(
  ERROR_CODES.filter(isFixedErrorCode).map((code) => [ERROR_TABLE[code].message, code]),
);

/** The code of a fixed message (one row each: the table has no two rows with the same words). */
export function codeOfFixedMessage(message: FixedErrorMessage): FixedErrorCode {
  const code = CODE_BY_FIXED_MESSAGE.get(message);
  if (code === undefined) throw new Error(`not a fixed message of the error table: ${message}`);
  return code;
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * The error table as Markdown (code, status with its headers, message, when), as docs/design.md
 * and README.md show it between their `error-table` markers.
 */
export function renderErrorTableMarkdown(): string {
  const lines = ['| code | status | error | when |', '|---|---|---|---|'];
  for (const code of ERROR_CODES) {
    const row: ErrorRow = ERROR_TABLE[code];
    const headers = Object.keys(row.headers ?? {})
      .map((name) => ` + \`${name}\``)
      .join('');
    lines.push(`| \`${code}\` | ${row.status}${headers} | \`${cell(row.message)}\` | ${cell(row.when)} |`);
  }
  return lines.join('\n');
}

/** The markers around a generated block in a Markdown file. */
export function markerLines(block: string): { begin: string; end: string } {
  return {
    begin: `<!-- ${block}:begin (generated from api/src/common/error-table.ts by \`node dist/api/openapi.js\`; do not edit) -->`,
    end: `<!-- ${block}:end -->`,
  };
}

/**
 * The text with the block between its markers replaced by content. Throws when the markers are
 * missing or out of order (a doc that lost them must not silently stop being checked).
 */
export function replaceMarkedBlock(text: string, block: string, content: string): string {
  const { begin, end } = markerLines(block);
  // The begin marker is found by its opening, so a reworded note in it is rewritten too.
  const start = text.indexOf(`<!-- ${block}:begin`);
  const stop = text.indexOf(end);
  if (start < 0 || stop < start) throw new Error(`the ${block} markers are missing or out of order`);
  return `${text.slice(0, start)}${begin}\n${content}\n${text.slice(stop)}`;
}

// Every message must be one string literal (a `+` makes its type `string`, and then no template
// part, fixed message or code of a message could be checked): this line stops the build if not.
const MESSAGES_ARE_LITERALS: string extends (typeof ERROR_TABLE)[ErrorCode]['message'] ? never : true = true;
void MESSAGES_ARE_LITERALS;
