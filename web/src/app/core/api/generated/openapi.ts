// Generated from api/openapi.json by openapi-typescript (`node dist/api/openapi.js`); do not edit.
// api/test/medium/openapi.test.ts fails when it differs from what the document generates.
export interface paths {
  '/api/admin/inference/restart': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Restart the inference sidecar
     * @description Graceful by default: waits for the running job to finish, then stops the sidecar (SIGTERM) and starts a fresh one. With force=true the sidecar is killed at once and the running task starts over on the fresh sidecar.
     */
    post: operations['InferenceAdminController_restart'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/static/{name}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get: operations['StaticController_serve'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/generate': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Upload one picture; a GLB model is made from it
     * @description Answers 202 at once with the task id (follow it with GET /api/status/{task_id}). With ?wait=true the request is held until the model is done (for scripts on the local network; a tunnel cuts requests at ~100 s).
     */
    post: operations['GenerateController_generate'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/texture': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Upload a mesh and a picture; the mesh comes back painted from the picture
     * @description Answers 202 at once with the task id, as POST /api/generate does; the task (kind texture) shares the one queue, its order and its capacity with generations. The model keeps the mesh's triangles at their positions, in its own units and place, and gains UVs and a base-colour texture. With ?wait=true the request is held until the model is done.
     */
    post: operations['TextureController_texture'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/qualities': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The quality presets, their expected seconds, and which fit the job limit on this GPU
     * @description A preset whose jobs measured on the running engine and device take 90% of JOB_TIMEOUT_S or more (the fastest: the limit itself) is not offered: POST /api/generate answers 422 "Unavailable quality: ..." for it.
     */
    get: operations['QualitiesController_list'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/status/{taskId}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Server-Sent Events of one task
     * @description Each event: `id` (monotonic per task), `event` = the status (queued, processing, completed, failed), `data` = the task snapshot as JSON. While processing, the snapshot's `preview` names the latest voxel preview {rev, stage, resolution, count, encoding, bytes, url}: a new `rev` says new voxels are known; fetch them from `url` (GET /api/tasks/{id}/preview). The current state is always sent first (also after a reconnect with Last-Event-ID); a comment heartbeat at least every 15 s; the stream ends after completed or failed. A cancelled task ends with `failed` {http_status: 409, error: "Task cancelled", error_code: "task_cancelled", cancelled: true}. A finished task without Last-Event-ID gets its terminal event once; a reconnect whose Last-Event-ID is at or past the terminal event's id gets 204 (an EventSource then stops).
     */
    get: operations['StatusController_stream'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/tasks/{taskId}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The task snapshot as JSON, for polling clients */
    get: operations['StatusController_get'];
    put?: never;
    post?: never;
    /**
     * Cancel a waiting or running task
     * @description A waiting task leaves the queue; a running one is aborted. The task ends `failed` with http_status 409, error "Task cancelled", error_code task_cancelled, cancelled true. Answers the final snapshot.
     */
    delete: operations['StatusController_cancel'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/tasks/{taskId}/preview': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The task's latest voxel preview (binary)
     * @description The voxels the engine knows before the model exists (after its structure stage, then finer after its shape stage): `count` (x, y, z) triplets on an n³ grid over the model's unit cube, in the model's axes (x right, y up, z towards the viewer; voxel (x, y, z) fills [x/n - 0.5, (x+1)/n - 0.5] likewise in y, z); one byte per axis when n <= 256 (`xyz8`), else uint16 little-endian (`xyz16le`); at most 32768 voxels. The headers say which preview it is (the `rev` query parameter only names a URL per preview).
     */
    get: operations['StatusController_preview'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/tasks/{taskId}/webhooks': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The deliveries to the task's callback_url
     * @description Each attempt of each delivery (completed and failed; every status with WEBHOOK_EVENTS=all) to the callback_url sent with POST /api/generate: when, which attempt, the outcome and the HTTP status or error. Empty without a callback_url. Deliveries to the owner's WEBHOOK_URL are not shown.
     */
    get: operations['WebhooksController_deliveries'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/tasks/{taskId}/download': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * A completed task's model in one format
     * @description The model as a file to take home (docs/design.md, Formats): `glb` the engine's original glTF binary (metres, or a painted mesh's own units, Y up), for editing tools; `obj` a zip of the Wavefront OBJ, its MTL and its texture images (metres, or a painted mesh's own units, Y up); `stl` binary STL in millimetres, Z up, resting on z = 0 (geometry only); `3mf` 3MF in millimetres, Z up, resting on z = 0, coloured by its base colour (a texture, or a colour group where a part has none; 3MF Materials and Properties); `ply` binary PLY with vertex colours sampled from the texture (metres, or a painted mesh's own units, Y up); `usdz` a textured USDZ for AR Quick Look on iPhone and iPad (metres, or a painted mesh's own units, Y up, declared as its metersPerUnit). Every format but glb is made from the GLB on first request, once (concurrent requests wait on the same build), then kept beside the model for as long as the model. A painted model (POST /api/texture) keeps its own size: stl and 3mf without size_mm are made at it (file name without a size), usdz declares its units. While it is made the answer waits up to FORMAT_WAIT_S (20 s), then is 202 with Retry-After. `Content-Disposition: attachment` names the file; stl and 3mf say in `X-Mesh-Watertight` whether the surface is closed. Ranges, ETag and Last-Modified as for /static/.
     */
    get: operations['FormatsController_downloadForTask'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/models/{modelId}/download': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * A model in one format, by the id its share link and model URLs carry
     * @description The model as a file to take home (docs/design.md, Formats): `glb` the engine's original glTF binary (metres, or a painted mesh's own units, Y up), for editing tools; `obj` a zip of the Wavefront OBJ, its MTL and its texture images (metres, or a painted mesh's own units, Y up); `stl` binary STL in millimetres, Z up, resting on z = 0 (geometry only); `3mf` 3MF in millimetres, Z up, resting on z = 0, coloured by its base colour (a texture, or a colour group where a part has none; 3MF Materials and Properties); `ply` binary PLY with vertex colours sampled from the texture (metres, or a painted mesh's own units, Y up); `usdz` a textured USDZ for AR Quick Look on iPhone and iPad (metres, or a painted mesh's own units, Y up, declared as its metersPerUnit). Every format but glb is made from the GLB on first request, once (concurrent requests wait on the same build), then kept beside the model for as long as the model. A painted model (POST /api/texture) keeps its own size: stl and 3mf without size_mm are made at it (file name without a size), usdz declares its units. While it is made the answer waits up to FORMAT_WAIT_S (20 s), then is 202 with Retry-After. `Content-Disposition: attachment` names the file; stl and 3mf say in `X-Mesh-Watertight` whether the surface is closed. Ranges, ETag and Last-Modified as for /static/.
     */
    get: operations['FormatsController_downloadForModel'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/models/{modelId}/formats': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A model's formats and what is known of each (made, being made, its bytes, watertight) */
    get: operations['FormatsController_list'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/health': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Redis, inference sidecar and queue state */
    get: operations['HealthController_health'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/health': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Health with the running task of each worker (operators)
     * @description The body of GET /api/health, each worker with its task_id (busy: the task it runs; else null).
     */
    get: operations['AdminHealthController_health'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/config': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get: operations['ConfigController_get'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/overview': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Everything the ops console shows (operators)
     * @description Workers and their sidecars, the queue (no tokens, no pictures), failures by error_code over the last hour and day, job durations per quality, store usage with the next cleanup, and whether admissions are paused.
     */
    get: operations['OpsController_overview'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/admissions/pause': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Pause admissions (operators)
     * @description Every api process on this Redis answers new uploads 503 admissions_paused with Retry-After, before decoding them; running and queued tasks go on. Idempotent (a repeat keeps the first pause).
     */
    post: operations['OpsController_pause'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/admissions/resume': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Resume admissions (operators)
     * @description Ends a pause. Idempotent.
     */
    post: operations['OpsController_resume'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/cleanup': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Run the model cleanup now (operators)
     * @description Deletes what the CLEANUP_CRON run would (models older than RETENTION_HOURS); answers what it deleted.
     */
    post: operations['OpsController_cleanup'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/tasks/{taskId}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /**
     * Cancel any task without its token (the operator's cancel)
     * @description As DELETE /api/tasks/{id} (the same transition: failed 409 task_cancelled, cancelled true) without X-Task-Token. Answers the final snapshot.
     */
    delete: operations['OpsController_cancel'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/workers/inference/restart': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Restart every live worker's inference sidecar (operators)
     * @description Asks every worker on this Redis at once, as POST /api/admin/workers/{worker_id}/inference/restart does one, and answers each one's outcome (status 202, or its error: sidecar_not_managed, sidecar_stopped, worker_no_answer) within about 5 s.
     */
    post: operations['WorkerRestartController_restartAll'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/workers/{workerId}/inference/restart': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Restart one worker's inference sidecar (operators)
     * @description From any api process: the worker (GET /api/health `workers[].id`) restarts its own sidecar as POST /api/admin/inference/restart would there (graceful by default: after the running job; force=true kills at once and the running task starts over) and its answer is relayed through Redis. A worker that does not take the request within 5 s gets it withdrawn (504 worker_no_answer): nothing restarts later.
     */
    post: operations['WorkerRestartController_restartOne'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    InferenceRestartAcceptedDto: {
      /**
       * @example true
       * @enum {boolean}
       */
      success: true;
      /**
       * @description true: killed at once; false: after the running job
       * @example false
       */
      force: boolean;
      /**
       * @description pid of the sidecar being replaced
       * @example 4242
       */
      previous_pid: number | null;
      /**
       * @description true: the sidecar is running a job and restarts once it ends (without force); false: now
       * @example false
       */
      waits_for_job: boolean;
      /** @example Restart started */
      message: string;
    };
    /**
     * @description The message's stable machine code: what a client decides by
     * @enum {string}
     */
    ErrorCode:
      | 'unsupported_image'
      | 'missing_image'
      | 'unexpected_file'
      | 'missing_mesh'
      | 'unexpected_mesh_file'
      | 'unsupported_mesh'
      | 'invalid_option'
      | 'invalid_parameter'
      | 'bad_request'
      | 'unauthorized'
      | 'forbidden'
      | 'cross_site_request'
      | 'task_token_required'
      | 'not_found'
      | 'task_not_found'
      | 'preview_not_found'
      | 'worker_not_found'
      | 'task_cancelled'
      | 'task_not_completed'
      | 'task_already_finished'
      | 'sidecar_not_managed'
      | 'file_too_large'
      | 'body_too_large'
      | 'mesh_too_large'
      | 'request_timeout'
      | 'range_not_satisfiable'
      | 'image_too_small'
      | 'image_too_large'
      | 'no_object'
      | 'mesh_no_faces'
      | 'mesh_not_finite'
      | 'mesh_too_many_faces'
      | 'mesh_compressed'
      | 'unavailable_quality'
      | 'too_many_requests'
      | 'too_many_active_tasks'
      | 'too_many_streams'
      | 'internal_error'
      | 'format_failed'
      | 'gpu_out_of_memory'
      | 'server_busy'
      | 'formats_busy'
      | 'streams_full'
      | 'decode_busy'
      | 'meshes_busy'
      | 'admissions_paused'
      | 'engine_unavailable'
      | 'store_unavailable'
      | 'sidecar_stopped'
      | 'web_app_not_built'
      | 'generation_timeout'
      | 'worker_no_answer'
      | 'store_full'
      | 'insufficient_storage';
    ErrorBodyDto: {
      /**
       * @example false
       * @enum {boolean}
       */
      success: false;
      /**
       * @description The contract message, for people (its words never change)
       * @example Unsupported image format
       */
      error: string;
      /**
       * @description The message's stable machine code: what a client decides by
       * @example unsupported_image
       */
      code: components['schemas']['ErrorCode'];
    };
    GenerateUploadDto: {
      /**
       * Format: binary
       * @description One JPEG, PNG or WebP picture (judged by content), at most MAX_UPLOAD_MB.
       */
      image: string;
      /**
       * @description TRELLIS.2's pipeline type: fast = 512, balanced = 1024 cascade (fits a 24 GB card), high = 1536 cascade. Engines without one (inflate, simulate) ignore it and say so (ignored_options).
       * @default balanced
       * @enum {string}
       */
      quality: 'fast' | 'balanced' | 'high';
      /**
       * @description Random seed: the same picture, options and seed repeat a result. The task records it.
       * @default 42
       */
      seed: number;
      /**
       * @description Texture side (px)
       * @default 2048
       * @enum {integer}
       */
      texture_size: 1024 | 2048 | 4096;
      /**
       * @description Decimation target (faces). The trellis2 engine uses at least 100000 (lower targets break its export); the finished task's triangles count what the model holds.
       * @default 500000
       */
      faces: number;
      /**
       * Format: uri
       * @description A receiver of this task's webhooks (completed and failed; every status when the owner set WEBHOOK_EVENTS=all): a signed POST per the Standard Webhooks specification (webhook-id, webhook-timestamp, webhook-signature) of {type, timestamp, data: the task snapshot}, retried with exponential backoff for WEBHOOK_RETRY_FOR_S. https only, no credentials in it, never to a loopback, private, link-local or other non-public address (judged again after DNS on every attempt and redirect), unless the owner set WEBHOOK_ALLOW_PRIVATE. 400 invalid_option while the server has no WEBHOOK_SECRET. The maker follows the deliveries at GET /api/tasks/{id}/webhooks.
       */
      callback_url?: string;
    };
    GenerateDoneDto: {
      /** @example true */
      success: boolean;
      /** @example https://api.example.com/static/3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90.glb */
      model_url: string;
      /**
       * @description The model's share page (the web app's viewer), absolute
       * @example https://api.example.com/m/3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90
       */
      share_url: string;
      /**
       * @description Seconds from the start of processing to the model being served
       * @example 41.7
       */
      generation_time: number;
      /**
       * Format: uuid
       * @example 3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90
       */
      task_id: string;
    };
    GenerateAcceptedDto: {
      /** @example true */
      success: boolean;
      /**
       * Format: uuid
       * @example 3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90
       */
      task_id: string;
      /**
       * @description Secret of the task: send it as X-Task-Token to cancel (DELETE /api/tasks/{id}); shown once. Reading the task, its events, preview and models needs only the id (a share link).
       * @example kT3u0Qx2b0c9mJ4yJ8wQmRk1sZ6fQvH3nA7pL2eX5dU
       */
      task_token: string;
      /**
       * @description SSE stream of the task
       * @example https://api.example.com/api/status/3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90
       */
      status_url: string;
      /**
       * @description The web app's page that shows the task being made, then its model, to anyone it is passed to (read only)
       * @example https://api.example.com/t/3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90
       */
      watch_url: string;
      /**
       * @description Place among waiting tasks (1 = runs next); 0 when it is already running.
       * @example 1
       */
      queue_position: number;
    };
    TextureUploadDto: {
      /**
       * Format: binary
       * @description The mesh to paint: one GLB (glTF 2.0 binary), OBJ or PLY, judged by content, at most MAX_MESH_MB (50) and TEXTURE_MAX_FACES triangles (200000; a quad counts as two). The model keeps its triangles, positions, units and place; its node transforms are applied. Draco- or meshopt-compressed GLBs are refused (422).
       */
      mesh: string;
      /**
       * Format: binary
       * @description The picture to paint it from: one JPEG, PNG or WebP (judged by content), at most MAX_UPLOAD_MB.
       */
      image: string;
      /**
       * @description Random seed (trellis2). The task records it.
       * @default 42
       */
      seed: number;
      /**
       * @description Texture side (px)
       * @default 2048
       * @enum {integer}
       */
      texture_size: 1024 | 2048 | 4096;
      /**
       * @description trellis2: the voxel grid the texture is sampled on (Trellis2TexturingPipeline's resolution). Engines without one (inflate, simulate) ignore it and say so (ignored_options).
       * @default 1024
       * @enum {integer}
       */
      texture_resolution: 512 | 1024;
      /**
       * @description The length of one unit of the mesh's coordinates, whatever its format (a GLB's too: glTF says metres, but a part drawn in millimetres is often saved as is). The model keeps its coordinates; this says its own size: its STL and 3MF are made at it when no size_mm is asked (no rescale), its USDZ declares it (metersPerUnit). No engine reads it.
       * @default m
       * @enum {string}
       */
      units: 'm' | 'cm' | 'mm' | 'in';
      /**
       * Format: uri
       * @description A receiver of this task's webhooks, as for POST /api/generate.
       */
      callback_url?: string;
    };
    QualityPresetDto: {
      /** @enum {string} */
      quality: 'fast' | 'balanced' | 'high';
      /**
       * @description TRELLIS.2's pipeline type
       * @example 1024_cascade
       */
      pipeline_type: string;
      /** @description Taken when the request names no quality */
      default: boolean;
      /** @description False: measured jobs do not fit the job limit; a request for it answers 422 */
      offered: boolean;
      /**
       * @description Seconds a job is expected to hold the GPU (the ETA counts this)
       * @example 48.2
       */
      expected_s: number;
      /**
       * @description Mean of the measured jobs (s); null before one ran on this engine and device
       * @example 47.9
       */
      measured_s: number | null;
      /**
       * @description Recent jobs measured (at most 10)
       * @example 10
       */
      measured_jobs: number;
    };
    UnusedOptionsDto: {
      /**
       * @description POST /api/generate fields
       * @example [
       *       "quality",
       *       "seed",
       *       "texture_size",
       *       "faces"
       *     ]
       */
      generate: string[];
      /**
       * @description POST /api/texture fields
       * @example [
       *       "seed",
       *       "texture_resolution"
       *     ]
       */
      texture: string[];
    };
    QualityPresetsDto: {
      /**
       * @description JOB_TIMEOUT_S
       * @example 180
       */
      job_timeout_s: number;
      /**
       * @description The engine, device and job limit the measured jobs ran under; null before any job
       * @example trellis2 on cuda:0 (NVIDIA GeForce RTX 4090), limit 180 s
       */
      measured_on: string | null;
      presets: components['schemas']['QualityPresetDto'][];
      /** @description The request options no live worker's engine uses (it would ignore them and say so in the task's ignored_options), by kind of task; both empty before a worker reported its engine */
      unused_options: components['schemas']['UnusedOptionsDto'];
    };
    TaskFormatOfferDto: {
      /** @enum {string} */
      format: 'glb' | 'obj' | 'stl' | '3mf' | 'ply' | 'usdz';
      /** @description GET /api/tasks/{id}/download?format=…, absolute */
      url: string;
    };
    TaskPreviewDto: {
      /** @description 1, 2, ...: which preview of the task */
      rev: number;
      /**
       * @description structure: coarse, first; geometry: finer
       * @enum {string}
       */
      stage: 'structure' | 'geometry';
      /** @description n: the voxels lie on an n³ grid over the model unit cube */
      resolution: number;
      /** @description number of voxels (at most 32768) */
      count: number;
      /**
       * @description bytes per axis: 1 when n <= 256, else 2 (little-endian)
       * @enum {string}
       */
      encoding: 'xyz8' | 'xyz16le';
      /** @description size of the binary at url */
      bytes: number;
      /** @description GET /api/tasks/{id}/preview?rev=N, absolute */
      url: string;
    };
    TaskOptionsDto: {
      /**
       * @description generation only
       * @enum {string}
       */
      quality?: 'fast' | 'balanced' | 'high';
      /** @description the seed the job uses */
      seed: number;
      /** @enum {integer} */
      texture_size: 1024 | 2048 | 4096;
      /** @description generation only: decimation target */
      faces?: number;
      /**
       * @description texturing only: the voxel grid the texture is sampled on (trellis2)
       * @enum {integer}
       */
      texture_resolution?: 512 | 1024;
      /**
       * @description texturing only: the length of one unit of the mesh's coordinates; the painted model's STL and 3MF are made at its own size in these units unless size_mm is asked, its USDZ declares them
       * @enum {string}
       */
      units?: 'm' | 'cm' | 'mm' | 'in';
    };
    TaskViewDto: {
      /** Format: uuid */
      task_id: string;
      /**
       * @description generate: a model made from the picture; texture: the uploaded mesh painted from it
       * @enum {string}
       */
      kind: 'generate' | 'texture';
      /** @enum {string} */
      status: 'queued' | 'processing' | 'completed' | 'failed';
      /** Format: date-time */
      created_at: string;
      /** Format: date-time */
      updated_at: string;
      /** @description queued: 1 = runs next */
      position?: number;
      /** @description queued: seconds until it is expected to start (position x mean job time) */
      eta_s?: number;
      /** @description processing/completed: 0-100 */
      progress?: number;
      /** @enum {string} */
      stage?: 'preprocess' | 'structure' | 'geometry' | 'texture' | 'export';
      /** Format: date-time */
      started_at?: string;
      /** Format: date-time */
      finished_at?: string;
      /** @description completed: the web GLB, absolute */
      model_url?: string;
      /** @description completed: the engine's original GLB, absolute */
      download_url?: string;
      /** @description completed: the web GLB's small level of detail (the same encoding, a few percent of its bytes, the same bounds), absolute: a viewer may draw it first, then the model. Absent for models made without one */
      lod_url?: string;
      /**
       * @description completed: the model's share page (the web app's viewer, public like model_url), absolute on the api's origin
       * @example https://api.example.com/m/3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90
       */
      share_url?: string;
      /** @description completed: every format of the model (glb, obj, stl, 3mf, ply, usdz) and its download */
      formats?: components['schemas']['TaskFormatOfferDto'][];
      /** @description completed: whether the surface is closed (what a slicer needs), once a download of stl, 3mf, obj, ply or usdz measured it */
      watertight?: boolean;
      /** @description completed: seconds */
      generation_time?: number;
      /** @description completed: trellis2, inflate or simulate */
      engine?: string;
      triangles?: number;
      /** @description failed: the contract message, e.g. "Generation timeout" */
      error?: string;
      /** @description failed: the stable code of that error (task_cancelled for a cancelled task); decide by it */
      error_code?: components['schemas']['ErrorCode'];
      /** @description failed: the HTTP status of that error (409 cancelled, 422, 500, 504) */
      http_status?: number;
      /** @description failed: true when cancelled */
      cancelled?: boolean;
      /** @description processing: the latest voxel preview, once the engine sent one (a new `rev`: new voxels at `url`) */
      preview?: components['schemas']['TaskPreviewDto'];
      /** @description The options of POST /api/generate or POST /api/texture, defaults filled in */
      options?: components['schemas']['TaskOptionsDto'];
      /** @description completed: options the engine has no setting for (inflate: all of them; simulate: all but the seed; trellis2: none), or whose value it could not honour as asked (inflate texturing: a texture_size over 2048, painted at 2048) */
      ignored_options?: string[];
    };
    WebhookAttemptDto: {
      /**
       * @description The message id (webhook-id header): the same on every attempt of one delivery
       * @example msg_5f1c0c7e-2b8a-4d55-9d0e-1c4a1e8f2b33
       */
      id: string;
      /** @enum {string} */
      type: 'task.queued' | 'task.processing' | 'task.completed' | 'task.failed';
      /**
       * @description Which attempt of the delivery (1, 2, ...; 0 for one dropped unsent)
       * @example 1
       */
      attempt: number;
      /**
       * @description When the attempt ended
       * @example 2026-12-05T20:14:03.120Z
       */
      at: string;
      /**
       * @description delivered: a 2xx answer; retrying: failed, another attempt is scheduled; failed: failed, no attempt is left within WEBHOOK_RETRY_FOR_S; refused: the address is not public (loopback, private, link-local, ...), never retried; dropped: not sent (attempt 0), as the maker's client already had WEBHOOK_PENDING_PER_CLIENT deliveries unfinished, or its other attempts in flight (WEBHOOK_IN_FLIGHT_PER_CLIENT) held this one back until WEBHOOK_RETRY_FOR_S ran out; the delivery ends
       * @enum {string}
       */
      outcome: 'delivered' | 'retrying' | 'failed' | 'refused' | 'dropped';
      /**
       * @description The receiver's HTTP status, when it answered
       * @example 200
       */
      status?: number;
      /**
       * @description What went wrong
       * @example HTTP 500
       */
      error?: string;
      /**
       * @description Milliseconds the attempt took
       * @example 84
       */
      duration_ms: number;
    };
    WebhookDeliveriesDto: {
      /** Format: uuid */
      task_id: string;
      /** @description Oldest first; at most 100 attempts are kept */
      attempts: components['schemas']['WebhookAttemptDto'][];
    };
    FormatPendingDto: {
      /** @enum {string} */
      status: 'building';
      /** @enum {string} */
      format: 'glb' | 'obj' | 'stl' | '3mf' | 'ply' | 'usdz';
      /** @description stl and 3mf: millimetres (a painted model's own size: to 0.1 mm) */
      size_mm?: number;
      /**
       * @description Seconds to wait before asking again (also the Retry-After header)
       * @example 5
       */
      retry_after_s: number;
    };
    FormatStateDto: {
      /** @enum {string} */
      format: 'glb' | 'obj' | 'stl' | '3mf' | 'ply' | 'usdz';
      /**
       * @description Content-Type of the download
       * @example model/stl
       */
      media_type: string;
      /**
       * @description What the file is, for people. glb, obj, ply and usdz name the unit of their coordinates: metres for a generated model, a painted model's own `units` (they keep its mesh's coordinates); stl and 3mf are in millimetres
       * @example the engine's original glTF binary (millimetres, Y up), for editing tools
       */
      description: string;
      /** @description The download, absolute (stl and 3mf: a painted model's own size, any other model's 100 mm; add size_mm for another) */
      url: string;
      /**
       * @description ready: in the store (bytes known); building: being made; not_made: made on first download; failed: its last build failed (tried again 10 minutes later)
       * @enum {string}
       */
      state: 'ready' | 'building' | 'not_made' | 'failed';
      /** @description ready: bytes of the file */
      bytes?: number;
      /** @description stl and 3mf: the longest side in millimetres this entry names: 100, or a painted model's own (own_size; to 0.1 mm) */
      size_mm?: number;
      /** @description stl and 3mf of a painted model (POST /api/texture): true, the entry is the mesh's own size, its coordinates x its units, not rescaled */
      own_size?: boolean;
    };
    FormatListDto: {
      formats: components['schemas']['FormatStateDto'][];
      /** @description Whether the surface is closed (what a slicer needs), once any format other than glb was made */
      watertight?: boolean;
      /**
       * @description A painted model's units (POST /api/texture's `units`): its stl and 3mf are made at its own size when no size_mm is asked, its usdz declares them. Absent for a generated model
       * @enum {string}
       */
      units?: 'm' | 'cm' | 'mm' | 'in';
    };
    HealthRedisDto: {
      up: boolean;
      /**
       * @description PING round trip (ms); null when down
       * @example 0.4
       */
      latency_ms: number | null;
      /** @description true: Redis holds 90 % or more of its maxmemory, so new uploads answer 507 store_full (running and queued tasks go on); false when it has room, no maxmemory, or is down */
      full: boolean;
      /** @description down: why */
      error?: string;
    };
    HealthInferenceDto: {
      /**
       * @description none: an api-only process runs no sidecar
       * @enum {string}
       */
      state: 'starting' | 'loading' | 'ready' | 'busy' | 'failed' | 'down' | 'restarting' | 'none';
      /**
       * @description trellis2, inflate or simulate
       * @example inflate
       */
      engine?: string;
      /**
       * @description e.g. cuda:0 (NVIDIA GeForce RTX 4090)
       * @example cpu
       */
      device?: string;
      /** @example 0 */
      vram_used_bytes?: number;
      /** @example 0 */
      vram_total_bytes?: number;
      /** @description jobs this sidecar ran */
      jobs_done?: number;
      /**
       * @description how POST /api/texture's meshes are painted here, in the engine's own words
       * @example CPU projection of the picture from the view that best matches its silhouette
       */
      texturing?: string;
      /** @description the sidecar's own words (why it failed, what it loads) */
      message?: string;
      /** @description true when this api spawned it; false with INFERENCE_URL */
      managed?: boolean;
      /** @description its process id; null when none runs here */
      pid?: number | null;
      /** @description restarts by this api */
      restarts?: number;
      /** @description down: why no health report could be read */
      error?: string;
    };
    HealthQueueDto: {
      /** @example 2 */
      waiting: number;
      /** @example 1 */
      active: number;
      /**
       * @description unfinished tasks holding a queue slot
       * @example 3
       */
      slots_held: number;
      /**
       * @description one running per live worker (at least 1) + MAX_QUEUE
       * @example 6
       */
      capacity: number;
    };
    HealthDiskDto: {
      /**
       * @description low: under MIN_FREE_DISK_MB free, new uploads and format builds answer 507 insufficient_storage (running and queued tasks go on); unknown: it could not be measured (the log says why; nothing is refused for it)
       * @enum {string}
       */
      state: 'ok' | 'low' | 'unknown';
      /**
       * @description MIN_FREE_DISK_MB in bytes; 0 = no check
       * @example 1073741824
       */
      min_free_bytes: number;
    };
    HealthWorkerDto: {
      /**
       * Format: uuid
       * @description the process id on this Redis
       */
      id: string;
      /** @example gpu-box-1 */
      host: string;
      /** @example 4242 */
      pid: number;
      /** @enum {string} */
      role: 'all' | 'api' | 'worker';
      /**
       * Format: date-time
       * @description its latest heartbeat
       */
      seen_at: string;
      /** @enum {string} */
      state: 'idle' | 'busy' | 'starting' | 'down';
      /** @example trellis2 */
      engine: string;
      /** @example cuda */
      device: string;
      /**
       * @description its CUDA_VISIBLE_DEVICES (one GPU per worker); null when not pinned
       * @example 1
       */
      gpu: string | null;
      /** @description the pid of its sidecar (on its host); null when it runs none (INFERENCE_URL) or none is up */
      sidecar_pid: number | null;
    };
    HealthDto: {
      /**
       * @description degraded = redis or inference down/failed (503)
       * @enum {string}
       */
      status: 'ok' | 'degraded';
      redis: components['schemas']['HealthRedisDto'];
      inference: components['schemas']['HealthInferenceDto'];
      /** @description null while Redis cannot be read */
      queue: components['schemas']['HealthQueueDto'] | null;
      /**
       * @description this process's KILN_ROLE
       * @enum {string}
       */
      role: 'all' | 'api' | 'worker';
      /** @description the model folder's disk; null for a bucket store (STORAGE_URL s3://). A low disk does not make the health 503: what runs goes on, and a restart would free nothing */
      disk: components['schemas']['HealthDiskDto'] | null;
      /** @description every live worker on this Redis (heartbeat within 10 s): state idle, busy, starting or down; gpu is its CUDA_VISIBLE_DEVICES. No task ids (GET /api/admin/health names them) */
      workers: components['schemas']['HealthWorkerDto'][];
    };
    AdminWorkerDto: {
      /**
       * Format: uuid
       * @description the process id on this Redis
       */
      id: string;
      /** @example gpu-box-1 */
      host: string;
      /** @example 4242 */
      pid: number;
      /** @enum {string} */
      role: 'all' | 'api' | 'worker';
      /**
       * Format: date-time
       * @description its latest heartbeat
       */
      seen_at: string;
      /** @enum {string} */
      state: 'idle' | 'busy' | 'starting' | 'down';
      /** @example trellis2 */
      engine: string;
      /** @example cuda */
      device: string;
      /**
       * @description its CUDA_VISIBLE_DEVICES (one GPU per worker); null when not pinned
       * @example 1
       */
      gpu: string | null;
      /** @description the pid of its sidecar (on its host); null when it runs none (INFERENCE_URL) or none is up */
      sidecar_pid: number | null;
      /**
       * Format: uuid
       * @description busy: the task it runs
       */
      task_id: string | null;
    };
    AdminHealthDto: {
      /**
       * @description degraded = redis or inference down/failed (503)
       * @enum {string}
       */
      status: 'ok' | 'degraded';
      redis: components['schemas']['HealthRedisDto'];
      inference: components['schemas']['HealthInferenceDto'];
      /** @description null while Redis cannot be read */
      queue: components['schemas']['HealthQueueDto'] | null;
      /**
       * @description this process's KILN_ROLE
       * @enum {string}
       */
      role: 'all' | 'api' | 'worker';
      /** @description the model folder's disk; null for a bucket store (STORAGE_URL s3://). A low disk does not make the health 503: what runs goes on, and a restart would free nothing */
      disk: components['schemas']['HealthDiskDto'] | null;
      /** @description every live worker on this Redis (heartbeat within 10 s): state idle, busy (task_id), starting or down; gpu is its CUDA_VISIBLE_DEVICES */
      workers: components['schemas']['AdminWorkerDto'][];
    };
    PublicConfigDto: {
      /**
       * @description Upload limit in MB (MAX_UPLOAD_MB)
       * @example 10
       */
      max_upload_mb: number;
      /**
       * @description Limit of a mesh sent to POST /api/texture in MB (MAX_MESH_MB)
       * @example 50
       */
      max_mesh_mb: number;
      /**
       * @description Most triangles of a mesh to texture (TEXTURE_MAX_FACES)
       * @example 200000
       */
      texture_max_faces: number;
      /**
       * @description Hours a model is kept (RETENTION_HOURS)
       * @example 48
       */
      retention_hours: number;
      /**
       * @description Per-job limit in seconds (JOB_TIMEOUT_S)
       * @example 180
       */
      job_timeout_s: number;
      /**
       * @description Tasks allowed to wait besides the running one (MAX_QUEUE)
       * @example 5
       */
      max_queue: number;
      /**
       * @description PUBLIC_BASE_URL: the address links handed out name (a share page copied from any address the page is opened at); null: the address of each request
       * @example https://3d.example.com
       */
      public_base_url: string | null;
    };
    OpsAdmissionsDto: {
      /** @description true: new uploads answer 503 admissions_paused */
      paused: boolean;
      /**
       * Format: date-time
       * @description paused: since when
       */
      since: string | null;
      /** @description paused: who (client address, Access email) */
      by: string | null;
    };
    OpsSidecarErrorDto: {
      /** @example sidecar exited with code 1 */
      message: string;
      /**
       * Format: date-time
       * @description when the worker first saw it
       */
      at: string;
    };
    OpsSidecarDto: {
      /**
       * @description the sidecar state this worker knows
       * @enum {string}
       */
      state: 'starting' | 'loading' | 'ready' | 'busy' | 'failed' | 'down' | 'restarting';
      /** @description the sidecar's own words (what it loads, why it failed) */
      message: string;
      /**
       * @description GPU memory in use, bytes (0 on a CPU engine)
       * @example 0
       */
      vram_used_bytes: number;
      /**
       * @description GPU memory in all, bytes (0 on a CPU engine)
       * @example 0
       */
      vram_total_bytes: number;
      /**
       * @description jobs the current sidecar process ran
       * @example 3
       */
      jobs_done: number;
      /**
       * @description jobs this worker started since it started
       * @example 12
       */
      jobs_started: number;
      /**
       * @description sidecar restarts by this worker (crashes, recycles, admin restarts)
       * @example 0
       */
      restarts: number;
      /** @description true when the worker spawned it; false with INFERENCE_URL */
      managed: boolean;
      /** @description the latest fault; null when none since start */
      last_error: components['schemas']['OpsSidecarErrorDto'] | null;
    };
    OpsWorkerDto: {
      /**
       * Format: uuid
       * @description the process id on this Redis
       */
      id: string;
      /** @example gpu-box-1 */
      host: string;
      /** @example 4242 */
      pid: number;
      /** @enum {string} */
      role: 'all' | 'api' | 'worker';
      /**
       * Format: date-time
       * @description its latest heartbeat
       */
      seen_at: string;
      /** @enum {string} */
      state: 'idle' | 'busy' | 'starting' | 'down';
      /** @example trellis2 */
      engine: string;
      /** @example cuda */
      device: string;
      /**
       * @description its CUDA_VISIBLE_DEVICES (one GPU per worker); null when not pinned
       * @example 1
       */
      gpu: string | null;
      /** @description the pid of its sidecar (on its host); null when it runs none (INFERENCE_URL) or none is up */
      sidecar_pid: number | null;
      /**
       * Format: uuid
       * @description busy: the task it runs
       */
      task_id: string | null;
      /** Format: date-time */
      started_at: string;
      /** @description null from a worker that reports none (older api) */
      sidecar: components['schemas']['OpsSidecarDto'] | null;
    };
    OpsQueueTaskDto: {
      /** Format: uuid */
      task_id: string;
      /**
       * Format: uuid
       * @description the job it is part of: its own task_id, or, for an instant repeat following an unfinished job, that job's first task (one queue place and one GPU run for all of them)
       */
      job_id: string;
      /** @enum {string} */
      status: 'queued' | 'processing';
      /**
       * @description seconds since it was made
       * @example 12.5
       */
      age_s: number;
      /** @description queued: 1 = runs next */
      position: number | null;
      /** @description queued: seconds until it should start */
      eta_s: number | null;
      /**
       * @description its quality preset
       * @example balanced
       */
      quality: string | null;
      /** @description processing: 0-100 */
      progress: number | null;
      /** @description processing: the stage */
      stage: string | null;
    };
    OpsQueueDto: {
      /**
       * @description slots in all: one running per live worker (at least 1) + MAX_QUEUE
       * @example 6
       */
      capacity: number;
      /**
       * @description jobs running (a job and the repeats following it count once)
       * @example 1
       */
      running: number;
      /**
       * @description jobs waiting
       * @example 2
       */
      waiting: number;
      /** @description every unfinished task of the held places, a job's repeats included: running first, then the waiting ones by position */
      tasks: components['schemas']['OpsQueueTaskDto'][];
    };
    OpsFailureCountDto: {
      /**
       * @description the error_code (error table)
       * @example generation_timeout
       */
      code: string;
      /** @example 1 */
      last_hour: number;
      /** @example 4 */
      last_day: number;
    };
    OpsDurationDto: {
      /** @enum {string} */
      quality: 'fast' | 'balanced' | 'high';
      /** @description seconds a job is expected to hold the GPU */
      expected_s: number;
      /** @description mean of the measured jobs (s); null before one ran */
      measured_s: number | null;
      /** @description recent jobs measured */
      measured_jobs: number;
      /** @description false: its jobs do not fit JOB_TIMEOUT_S (422 unavailable_quality) */
      offered: boolean;
    };
    OpsDurationsDto: {
      /** @example 180 */
      job_timeout_s: number;
      /** @description "<engine> on <device>, limit <n> s"; null before any job */
      measured_on: string | null;
      presets: components['schemas']['OpsDurationDto'][];
    };
    OpsStorageDto: {
      /**
       * @description a folder (STATIC_DIR) or a bucket (STORAGE_URL)
       * @enum {string}
       */
      kind: 'local' | 's3';
      /** @description files in the store (models and their other formats) */
      files: number;
      /** @description their bytes */
      bytes: number;
      /** @description free bytes of the folder's filesystem; null for a bucket */
      disk_free_bytes: number | null;
      /** @description size of the folder's filesystem, bytes; null for a bucket */
      disk_total_bytes: number | null;
      /** @description MIN_FREE_DISK_MB in bytes (0 = no check); null for a bucket */
      disk_min_free_bytes: number | null;
      /** @description true: the folder's free bytes are under MIN_FREE_DISK_MB, so new uploads and format builds answer 507 insufficient_storage (measured at most every 5 s); false for a bucket */
      disk_low: boolean;
      /**
       * Format: date-time
       * @description when the files were counted (at most every 30 s)
       */
      measured_at: string;
      /**
       * @description RETENTION_HOURS
       * @example 48
       */
      retention_hours: number;
      /**
       * Format: date-time
       * @description the next cleanup run (CLEANUP_CRON)
       */
      next_cleanup_at: string | null;
    };
    OpsOverviewDto: {
      /** Format: date-time */
      generated_at: string;
      admissions: components['schemas']['OpsAdmissionsDto'];
      /** @description every live worker on this Redis, oldest start first */
      workers: components['schemas']['OpsWorkerDto'][];
      queue: components['schemas']['OpsQueueDto'];
      /** @description task failures by error_code, most frequent first */
      failures: components['schemas']['OpsFailureCountDto'][];
      /** @description job durations per quality on this GPU (GET /api/qualities) */
      durations: components['schemas']['OpsDurationsDto'];
      /** @description null while the store cannot be listed */
      storage: components['schemas']['OpsStorageDto'] | null;
    };
    OpsAdmissionsChangeDto: {
      /** @description true: new uploads answer 503 admissions_paused */
      paused: boolean;
      /**
       * Format: date-time
       * @description paused: since when
       */
      since: string | null;
      /** @description paused: who (client address, Access email) */
      by: string | null;
      /** @description false: it already was so (the call is idempotent) */
      changed: boolean;
    };
    OpsCleanupDto: {
      /**
       * @description files deleted
       * @example 4
       */
      deleted: number;
      /**
       * @description their bytes
       * @example 1048576
       */
      bytes: number;
    };
    WorkerRestartOutcomeDto: {
      /**
       * Format: uuid
       * @description the worker's id, as GET /api/health and the overview list it
       */
      worker_id: string;
      /** @example gpu-box-2 */
      host: string;
      /**
       * @description the worker process's pid on its host (not its sidecar's)
       * @example 4100
       */
      pid: number;
      /**
       * @description the status POST /api/admin/workers/{worker_id}/inference/restart answers for it: 202, or its error
       * @example 202
       */
      status: number;
      /** @description null when accepted; else the error code (sidecar_not_managed, sidecar_stopped, worker_no_answer, ...) */
      code: components['schemas']['ErrorCode'] | null;
      /**
       * @description the worker's message, or the error's words
       * @example Restart started
       */
      message: string;
      /**
       * @description pid of the sidecar being replaced
       * @example 4242
       */
      previous_pid: number | null;
      /**
       * @description true: it restarts once its running job ends
       * @example false
       */
      waits_for_job: boolean;
    };
    WorkerRestartAllDto: {
      /**
       * @description true: killed at once; false: after the running job
       * @example false
       */
      force: boolean;
      /**
       * @description workers that accepted (status 202)
       * @example 2
       */
      accepted: number;
      /** @description every live worker, oldest start first */
      workers: components['schemas']['WorkerRestartOutcomeDto'][];
    };
    WorkerRestartAcceptedDto: {
      /**
       * @example true
       * @enum {boolean}
       */
      success: true;
      /**
       * @description true: killed at once; false: after the running job
       * @example false
       */
      force: boolean;
      /**
       * @description pid of the sidecar being replaced
       * @example 4242
       */
      previous_pid: number | null;
      /**
       * @description true: the sidecar is running a job and restarts once it ends (without force); false: now
       * @example false
       */
      waits_for_job: boolean;
      /** @example Restart started */
      message: string;
      /** Format: uuid */
      worker_id: string;
      /** @example gpu-box-2 */
      host: string;
      /**
       * @description the worker process's pid on its host (not its sidecar's)
       * @example 4100
       */
      pid: number;
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
  InferenceAdminController_restart: {
    parameters: {
      query?: {
        /** @description Kill at once (default false) */
        force?: boolean;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The restart has begun */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['InferenceRestartAcceptedDto'];
        };
      };
      /** @description `invalid_parameter` (`<name> must be true or false`): a query flag (`wait` of POST /api/generate and POST /api/texture, `force` of the admin restarts) that is neither */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `unauthorized` (`Unauthorized`): access control on (`API_KEYS`, `CF_ACCESS_*`) and no valid API key or Access token; an admin route without the right `ADMIN_TOKEN`; `/metrics` without `METRICS_TOKEN` when it is set */
      401: {
        headers: {
          /** @description unauthorized: a Bearer challenge: realm="kiln3d" while API keys are on, "kiln3d-admin" on the admin route, "kiln3d-metrics" on /metrics */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `not_found` (`Not found`): no such route or model file (`/static/` serves three names per model: `{uuid}.glb`, `.source.glb`, `.lod.glb`); the admin routes while `ADMIN_TOKEN` is unset */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `sidecar_not_managed` (`The inference sidecar is not managed by this process`): POST /api/admin/inference/restart on a process that runs no sidecar of its own: it reaches one elsewhere (`INFERENCE_URL`), or it is api-only (`KILN_ROLE=api`: restart a worker's sidecar with POST /api/admin/workers/{worker_id}/inference/restart); the same from that route for a worker whose sidecar is `INFERENCE_URL`'s */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `internal_error` (`Internal error`): anything else (logged with its stack) */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `sidecar_stopped` (`The inference sidecar is stopped`): POST /api/admin/inference/restart while the api is shutting its sidecar down (and the worker route for a worker that is) */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
  StaticController_serve: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        name: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The GLB: {uuid}.glb optimised for the web (EXT_meshopt_compression + KHR_mesh_quantization geometry, EXT_texture_webp textures; a glTF loader needs a meshopt decoder), {uuid}.lod.glb its small level of detail (the same encoding, a few percent of its bytes: drawn first), {uuid}.source.glb the engine original for editing tools. Ranges, ETag and Last-Modified supported. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'model/gltf-binary': string;
        };
      };
      /** @description `bad_request` (`Bad request`): a malformed request: a body that does not parse, a bad percent-encoding in a path (never the parser's own words; a 4xx the parser raised keeps its status, e.g. 415 for an unknown charset) */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `not_found` (`Not found`): no such route or model file (`/static/` serves three names per model: `{uuid}.glb`, `.source.glb`, `.lod.glb`); the admin routes while `ADMIN_TOKEN` is unset */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `range_not_satisfiable` (`Range not satisfiable`): a model requested with a Range that starts past its end */
      416: {
        headers: {
          /** @description range_not_satisfiable: bytes *\/<size> */
          'Content-Range'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `internal_error` (`Internal error`): anything else (logged with its stack) */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `store_unavailable` (`The task store is not reachable, retry later`): a request that needs Redis (an upload, a task) while Redis does not answer (`/api/health` says so too) */
      503: {
        headers: {
          /** @description store_unavailable: seconds: 10 */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `store_full` (`The task store is full, retry later`): POST /api/generate or /api/texture while Redis holds 90 % or more of its `maxmemory` (docker-compose.yml's and `npm start`'s own Redis: 1 GB; a Redis without `maxmemory` is never full here): refused before the picture is decoded, nothing written; running and queued tasks go on. Also any request whose write Redis refused as over its `maxmemory` (`OOM command not allowed`). `/api/health` says `redis.full` */
      507: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
  GenerateController_generate: {
    parameters: {
      query?: {
        /** @description Hold the request until the task ends */
        wait?: boolean;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'multipart/form-data': components['schemas']['GenerateUploadDto'];
      };
    };
    responses: {
      /** @description With wait=true: the model is ready. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['GenerateDoneDto'];
        };
      };
      /** @description Queued (without wait). */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['GenerateAcceptedDto'];
        };
      };
      /** @description `unsupported_image` (`Unsupported image format`): not JPG/PNG/WebP (judged by content, not name or Content-Type); `missing_image` (`Missing file field "image"`): POST /api/generate or POST /api/texture without a file in the field "image"; `unexpected_file` (`Send exactly one file, in the field "image"`): a file in another field, or a second file; `invalid_option` (`Invalid <field>: <rule>`): a bad generation option (quality, seed, texture_size, faces; texturing: seed, texture_size, texture_resolution, units), e.g. `Invalid quality: one of fast, balanced, high`; before any queue slot is taken. Also a text field the upload does not take (a typo, or a generation option sent to texturing), e.g. `Invalid texure_size: not a field of this request; its fields are …`. Also a bad `format` or `size_mm` of a download, e.g. `Invalid format: one of glb, obj, stl, 3mf, ply, usdz`. Also a bad `callback_url` (not an absolute URL, not https, credentials in it, over 2048 characters, a literal loopback, private, link-local or other non-public address; or any while `WEBHOOK_SECRET` is unset), e.g. `Invalid callback_url: an https URL`, before any queue slot; `invalid_parameter` (`<name> must be true or false`): a query flag (`wait` of POST /api/generate and POST /api/texture, `force` of the admin restarts) that is neither; `bad_request` (`Bad request`): a malformed request: a body that does not parse, a bad percent-encoding in a path (never the parser's own words; a 4xx the parser raised keeps its status, e.g. 415 for an unknown charset) */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `unauthorized` (`Unauthorized`): access control on (`API_KEYS`, `CF_ACCESS_*`) and no valid API key or Access token; an admin route without the right `ADMIN_TOKEN`; `/metrics` without `METRICS_TOKEN` when it is set */
      401: {
        headers: {
          /** @description unauthorized: a Bearer challenge: realm="kiln3d" while API keys are on, "kiln3d-admin" on the admin route, "kiln3d-metrics" on /metrics */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `cross_site_request` (`Cross-site request refused`): a POST or DELETE carrying a Cloudflare Access credential (the cookie, or the header Access derives from it) that another site sent (`Sec-Fetch-Site: cross-site`, or a foreign `Origin`) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `request_timeout` (`Request timeout`): the request's headers took over `HEADERS_TIMEOUT_S` (20 s by default), or the whole request, body included, over `REQUEST_TIMEOUT_S` (120 s: a 10 MB picture at 0.7 Mbit/s); the connection closes after the answer */
      408: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `task_cancelled` (`Task cancelled`): the task was cancelled (DELETE /api/tasks/{id}): its failed snapshot (`cancelled: true`), and a `?wait=true` request for it */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `file_too_large` (`File too large, max <max_upload_mb>MB`): a body over `MAX_UPLOAD_MB` (10 by default: `File too large, max 10MB`); reading stops at the limit and the connection closes after the answer */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `image_too_small` (`Image too small, min 64x64`): a valid picture under 64 px on a side (judged from its header, before a queue slot is taken); `no_object` (`No object found in the image`): a valid picture with nothing to model (blank, one colour, fully transparent: before the task is queued), or the engine's own verdict (the task ends failed); `unavailable_quality` (`Unavailable quality: <preset> takes about <n> s here, over (or too close to) the <limit> s job limit; use <offered presets>`): a `quality` preset whose jobs measured on this GPU do not fit the job limit (GET /api/qualities), unless the request repeats a kept model; `<preset> (<faster preset> already takes about <n> s here, …)` when a faster preset decided it; `…; no quality fits this job limit here (the owner can raise JOB_TIMEOUT_S)` when none is left */
      422: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /**
       * @description `too_many_active_tasks` (`Too many unfinished tasks from this client, retry when one ends`): POST /api/generate or /api/texture while this client already holds its share of the queue (`ACTIVE_TASKS_PER_CLIENT` unfinished tasks, half the capacity by default), unless the request repeats a kept model
       *
       *     `too_many_requests` (`Too many requests, retry later`): over the per-client upload rate (`UPLOADS_PER_MINUTE`) or read rate (`READS_PER_MINUTE`: task, preview, stream and cancel requests); a download of a file not made yet while the same client already has half of `FORMAT_BUILDS` + `FORMAT_QUEUE` (4 by default) being made by this process
       */
      429: {
        headers: {
          /** @description too_many_requests: seconds until the client may try again */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `internal_error` (`Internal error`): anything else (logged with its stack); `gpu_out_of_memory` (`GPU out of memory`): the task's job ran out of GPU memory after one clean-up-and-retry */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `server_busy` (`Server busy, retry later`): the queue is full (`MAX_QUEUE` waiting besides one running per worker); `decode_busy` (`Busy decoding other pictures, retry later`): POST /api/generate or /api/texture whose picture waited `DECODE_WAIT_S` (10 s) for the decode budget (`DECODE_BUDGET_MP` megapixels decoded at once per process) without getting it; `admissions_paused` (`Not taking new tasks right now, retry later`): POST /api/generate or /api/texture while an operator paused admissions (POST /api/admin/admissions/pause, every api process on one Redis): checked before the picture is decoded; running and queued tasks go on; `engine_unavailable` (`The model engine is not available, retry later`): the task's job found no inference sidecar to run it: its engine failed to load, or it was unreachable or not ready for `INFERENCE_READY_TIMEOUT_S` (1200 s by default: a first load with its warm-up); a sidecar that goes away during a job it began fails that job 500 internal_error; also POST /api/generate or /api/texture, before the picture is decoded, while every live worker's sidecar has failed (`/api/health` 503), with `Retry-After: 60` */
      503: {
        headers: {
          /** @description server_busy: seconds: the mean job duration; decode_busy: seconds: the decode wait; admissions_paused: seconds: 60; engine_unavailable: seconds: 60 (an upload refused; a failed task has none) */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `generation_timeout` (`Generation timeout`): the task's job ran over `JOB_TIMEOUT_S` (180 s by default) */
      504: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `store_full` (`The task store is full, retry later`): POST /api/generate or /api/texture while Redis holds 90 % or more of its `maxmemory` (docker-compose.yml's and `npm start`'s own Redis: 1 GB; a Redis without `maxmemory` is never full here): refused before the picture is decoded, nothing written; running and queued tasks go on. Also any request whose write Redis refused as over its `maxmemory` (`OOM command not allowed`). `/api/health` says `redis.full`; `insufficient_storage` (`Not enough disk space on the server, retry later`): POST /api/generate or /api/texture while the model folder's filesystem (`STATIC_DIR`; a folder store, not a bucket) has less than `MIN_FREE_DISK_MB` free (1024 by default; 0 = no check): refused before the picture is decoded and before any slot is taken, nothing written; also a download whose format file is not made yet (a file already made is served). Running and queued tasks go on; `/api/health` says `disk.state` `low` */
      507: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
  TextureController_texture: {
    parameters: {
      query?: {
        /** @description Hold the request until the task ends */
        wait?: boolean;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'multipart/form-data': components['schemas']['TextureUploadDto'];
      };
    };
    responses: {
      /** @description With wait=true: the model is ready. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['GenerateDoneDto'];
        };
      };
      /** @description Queued (without wait). */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['GenerateAcceptedDto'];
        };
      };
      /** @description `missing_mesh` (`Missing file field "mesh"`): POST /api/texture without a file in the field "mesh" (or without one in "image": `missing_image`); `missing_image` (`Missing file field "image"`): POST /api/generate or POST /api/texture without a file in the field "image"; `unexpected_mesh_file` (`Send one file in "mesh" and one in "image"`): POST /api/texture with a file in another field, or a second file in one of them; `unsupported_mesh` (`Unsupported mesh format, send GLB, OBJ or PLY`): POST /api/texture whose `mesh` is no readable GLB (glTF 2.0 binary), OBJ or PLY, judged by content, not name: e.g. a picture or text named .obj, a truncated GLB, a .gltf with outside files; `unsupported_image` (`Unsupported image format`): not JPG/PNG/WebP (judged by content, not name or Content-Type); `invalid_option` (`Invalid <field>: <rule>`): a bad generation option (quality, seed, texture_size, faces; texturing: seed, texture_size, texture_resolution, units), e.g. `Invalid quality: one of fast, balanced, high`; before any queue slot is taken. Also a text field the upload does not take (a typo, or a generation option sent to texturing), e.g. `Invalid texure_size: not a field of this request; its fields are …`. Also a bad `format` or `size_mm` of a download, e.g. `Invalid format: one of glb, obj, stl, 3mf, ply, usdz`. Also a bad `callback_url` (not an absolute URL, not https, credentials in it, over 2048 characters, a literal loopback, private, link-local or other non-public address; or any while `WEBHOOK_SECRET` is unset), e.g. `Invalid callback_url: an https URL`, before any queue slot; `invalid_parameter` (`<name> must be true or false`): a query flag (`wait` of POST /api/generate and POST /api/texture, `force` of the admin restarts) that is neither; `bad_request` (`Bad request`): a malformed request: a body that does not parse, a bad percent-encoding in a path (never the parser's own words; a 4xx the parser raised keeps its status, e.g. 415 for an unknown charset) */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `unauthorized` (`Unauthorized`): access control on (`API_KEYS`, `CF_ACCESS_*`) and no valid API key or Access token; an admin route without the right `ADMIN_TOKEN`; `/metrics` without `METRICS_TOKEN` when it is set */
      401: {
        headers: {
          /** @description unauthorized: a Bearer challenge: realm="kiln3d" while API keys are on, "kiln3d-admin" on the admin route, "kiln3d-metrics" on /metrics */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `cross_site_request` (`Cross-site request refused`): a POST or DELETE carrying a Cloudflare Access credential (the cookie, or the header Access derives from it) that another site sent (`Sec-Fetch-Site: cross-site`, or a foreign `Origin`) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `request_timeout` (`Request timeout`): the request's headers took over `HEADERS_TIMEOUT_S` (20 s by default), or the whole request, body included, over `REQUEST_TIMEOUT_S` (120 s: a 10 MB picture at 0.7 Mbit/s); the connection closes after the answer */
      408: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `task_cancelled` (`Task cancelled`): the task was cancelled (DELETE /api/tasks/{id}): its failed snapshot (`cancelled: true`), and a `?wait=true` request for it */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `mesh_too_large` (`Mesh too large, max <max_mesh_mb>MB`): POST /api/texture whose `mesh` is over `MAX_MESH_MB` (50 by default: `Mesh too large, max 50MB`); reading stops at the limit and the connection closes after the answer; `file_too_large` (`File too large, max <max_upload_mb>MB`): a body over `MAX_UPLOAD_MB` (10 by default: `File too large, max 10MB`); reading stops at the limit and the connection closes after the answer */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `image_too_small` (`Image too small, min 64x64`): a valid picture under 64 px on a side (judged from its header, before a queue slot is taken); `no_object` (`No object found in the image`): a valid picture with nothing to model (blank, one colour, fully transparent: before the task is queued), or the engine's own verdict (the task ends failed); `mesh_no_faces` (`The mesh has no faces`): POST /api/texture whose `mesh` holds no triangle: a point cloud, lines only, vertices only, or triangles that all have zero area; `mesh_not_finite` (`The mesh has NaN or infinite vertex positions`): POST /api/texture whose `mesh` has a vertex position that is not a finite number; `mesh_too_many_faces` (`The mesh has <faces> faces, max <max_faces>`): POST /api/texture whose `mesh` has more triangles than the engine's limit (`TEXTURE_MAX_FACES`, 200000 by default; a quad counts as two), e.g. `The mesh has 250000 faces, max 200000`; `mesh_compressed` (`Compressed GLB (<extension>) not supported, export it without compression`): POST /api/texture whose GLB requires `KHR_draco_mesh_compression` or `EXT_meshopt_compression` (refused before anything is decoded) */
      422: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /**
       * @description `too_many_active_tasks` (`Too many unfinished tasks from this client, retry when one ends`): POST /api/generate or /api/texture while this client already holds its share of the queue (`ACTIVE_TASKS_PER_CLIENT` unfinished tasks, half the capacity by default), unless the request repeats a kept model
       *
       *     `too_many_requests` (`Too many requests, retry later`): over the per-client upload rate (`UPLOADS_PER_MINUTE`) or read rate (`READS_PER_MINUTE`: task, preview, stream and cancel requests); a download of a file not made yet while the same client already has half of `FORMAT_BUILDS` + `FORMAT_QUEUE` (4 by default) being made by this process
       */
      429: {
        headers: {
          /** @description too_many_requests: seconds until the client may try again */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `internal_error` (`Internal error`): anything else (logged with its stack); `gpu_out_of_memory` (`GPU out of memory`): the task's job ran out of GPU memory after one clean-up-and-retry */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `server_busy` (`Server busy, retry later`): the queue is full (`MAX_QUEUE` waiting besides one running per worker); `decode_busy` (`Busy decoding other pictures, retry later`): POST /api/generate or /api/texture whose picture waited `DECODE_WAIT_S` (10 s) for the decode budget (`DECODE_BUDGET_MP` megapixels decoded at once per process) without getting it; `meshes_busy` (`Busy reading other meshes, retry later`): POST /api/texture whose mesh waited `MESH_INTAKE_WAIT_S` (20 s) while this process read `MESH_INTAKES` other meshes; `admissions_paused` (`Not taking new tasks right now, retry later`): POST /api/generate or /api/texture while an operator paused admissions (POST /api/admin/admissions/pause, every api process on one Redis): checked before the picture is decoded; running and queued tasks go on; `engine_unavailable` (`The model engine is not available, retry later`): the task's job found no inference sidecar to run it: its engine failed to load, or it was unreachable or not ready for `INFERENCE_READY_TIMEOUT_S` (1200 s by default: a first load with its warm-up); a sidecar that goes away during a job it began fails that job 500 internal_error; also POST /api/generate or /api/texture, before the picture is decoded, while every live worker's sidecar has failed (`/api/health` 503), with `Retry-After: 60` */
      503: {
        headers: {
          /** @description server_busy: seconds: the mean job duration; decode_busy: seconds: the decode wait; meshes_busy: seconds: the mesh intake wait; admissions_paused: seconds: 60; engine_unavailable: seconds: 60 (an upload refused; a failed task has none) */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `generation_timeout` (`Generation timeout`): the task's job ran over `JOB_TIMEOUT_S` (180 s by default) */
      504: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `store_full` (`The task store is full, retry later`): POST /api/generate or /api/texture while Redis holds 90 % or more of its `maxmemory` (docker-compose.yml's and `npm start`'s own Redis: 1 GB; a Redis without `maxmemory` is never full here): refused before the picture is decoded, nothing written; running and queued tasks go on. Also any request whose write Redis refused as over its `maxmemory` (`OOM command not allowed`). `/api/health` says `redis.full`; `insufficient_storage` (`Not enough disk space on the server, retry later`): POST /api/generate or /api/texture while the model folder's filesystem (`STATIC_DIR`; a folder store, not a bucket) has less than `MIN_FREE_DISK_MB` free (1024 by default; 0 = no check): refused before the picture is decoded and before any slot is taken, nothing written; also a download whose format file is not made yet (a file already made is served). Running and queued tasks go on; `/api/health` says `disk.state` `low` */
      507: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
  QualitiesController_list: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['QualityPresetsDto'];
        };
      };
      /** @description `internal_error` (`Internal error`): anything else (logged with its stack) */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `store_unavailable` (`The task store is not reachable, retry later`): a request that needs Redis (an upload, a task) while Redis does not answer (`/api/health` says so too) */
      503: {
        headers: {
          /** @description store_unavailable: seconds: 10 */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `store_full` (`The task store is full, retry later`): POST /api/generate or /api/texture while Redis holds 90 % or more of its `maxmemory` (docker-compose.yml's and `npm start`'s own Redis: 1 GB; a Redis without `maxmemory` is never full here): refused before the picture is decoded, nothing written; running and queued tasks go on. Also any request whose write Redis refused as over its `maxmemory` (`OOM command not allowed`). `/api/health` says `redis.full` */
      507: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
  StatusController_stream: {
    parameters: {
      query?: never;
      header?: {
        /** @description Resume after this event id */
        'Last-Event-ID'?: string;
      };
      path: {
        taskId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description text/event-stream of task snapshots */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'text/event-stream': string;
        };
      };
      /** @description The task is finished and Last-Event-ID is at or past its terminal event: nothing more to send */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `unauthorized` (`Unauthorized`): access control on (`API_KEYS`, `CF_ACCESS_*`) and no valid API key or Access token; an admin route without the right `ADMIN_TOKEN`; `/metrics` without `METRICS_TOKEN` when it is set */
      401: {
        headers: {
          /** @description unauthorized: a Bearer challenge: realm="kiln3d" while API keys are on, "kiln3d-admin" on the admin route, "kiln3d-metrics" on /metrics */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `cross_site_request` (`Cross-site request refused`): a POST or DELETE carrying a Cloudflare Access credential (the cookie, or the header Access derives from it) that another site sent (`Sec-Fetch-Site: cross-site`, or a foreign `Origin`) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `task_not_found` (`Task not found`): an unknown or expired task id */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /**
       * @description `too_many_streams` (`Too many open event streams, close one first`): GET /api/status/{id} while this client holds `SSE_STREAMS_PER_CLIENT` streams open, or its IPv6 /48 site (all its /64s together) 4 times that (before the stream opens)
       *
       *     `too_many_requests` (`Too many requests, retry later`): over the per-client upload rate (`UPLOADS_PER_MINUTE`) or read rate (`READS_PER_MINUTE`: task, preview, stream and cancel requests); a download of a file not made yet while the same client already has half of `FORMAT_BUILDS` + `FORMAT_QUEUE` (4 by default) being made by this process
       */
      429: {
        headers: {
          /** @description too_many_requests: seconds until the client may try again */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `internal_error` (`Internal error`): anything else (logged with its stack) */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `streams_full` (`Too many open event streams here, retry later`): GET /api/status/{id} while this process holds `SSE_STREAMS_TOTAL` streams open (before the stream opens) */
      503: {
        headers: {
          /** @description streams_full: seconds: one heartbeat interval */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `store_full` (`The task store is full, retry later`): POST /api/generate or /api/texture while Redis holds 90 % or more of its `maxmemory` (docker-compose.yml's and `npm start`'s own Redis: 1 GB; a Redis without `maxmemory` is never full here): refused before the picture is decoded, nothing written; running and queued tasks go on. Also any request whose write Redis refused as over its `maxmemory` (`OOM command not allowed`). `/api/health` says `redis.full` */
      507: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
  StatusController_get: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        taskId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['TaskViewDto'];
        };
      };
      /** @description `unauthorized` (`Unauthorized`): access control on (`API_KEYS`, `CF_ACCESS_*`) and no valid API key or Access token; an admin route without the right `ADMIN_TOKEN`; `/metrics` without `METRICS_TOKEN` when it is set */
      401: {
        headers: {
          /** @description unauthorized: a Bearer challenge: realm="kiln3d" while API keys are on, "kiln3d-admin" on the admin route, "kiln3d-metrics" on /metrics */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `cross_site_request` (`Cross-site request refused`): a POST or DELETE carrying a Cloudflare Access credential (the cookie, or the header Access derives from it) that another site sent (`Sec-Fetch-Site: cross-site`, or a foreign `Origin`) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `task_not_found` (`Task not found`): an unknown or expired task id */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `too_many_requests` (`Too many requests, retry later`): over the per-client upload rate (`UPLOADS_PER_MINUTE`) or read rate (`READS_PER_MINUTE`: task, preview, stream and cancel requests); a download of a file not made yet while the same client already has half of `FORMAT_BUILDS` + `FORMAT_QUEUE` (4 by default) being made by this process */
      429: {
        headers: {
          /** @description too_many_requests: seconds until the client may try again */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `internal_error` (`Internal error`): anything else (logged with its stack) */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `store_unavailable` (`The task store is not reachable, retry later`): a request that needs Redis (an upload, a task) while Redis does not answer (`/api/health` says so too) */
      503: {
        headers: {
          /** @description store_unavailable: seconds: 10 */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `store_full` (`The task store is full, retry later`): POST /api/generate or /api/texture while Redis holds 90 % or more of its `maxmemory` (docker-compose.yml's and `npm start`'s own Redis: 1 GB; a Redis without `maxmemory` is never full here): refused before the picture is decoded, nothing written; running and queued tasks go on. Also any request whose write Redis refused as over its `maxmemory` (`OOM command not allowed`). `/api/health` says `redis.full` */
      507: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
  StatusController_cancel: {
    parameters: {
      query?: never;
      header: {
        /** @description The task_token of the 202 that made the task: only its maker may cancel it. */
        'X-Task-Token': string;
      };
      path: {
        taskId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Cancelled: the failed snapshot */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['TaskViewDto'];
        };
      };
      /** @description `unauthorized` (`Unauthorized`): access control on (`API_KEYS`, `CF_ACCESS_*`) and no valid API key or Access token; an admin route without the right `ADMIN_TOKEN`; `/metrics` without `METRICS_TOKEN` when it is set */
      401: {
        headers: {
          /** @description unauthorized: a Bearer challenge: realm="kiln3d" while API keys are on, "kiln3d-admin" on the admin route, "kiln3d-metrics" on /metrics */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `task_token_required` (`Task token missing or wrong`): a request that changes a task (DELETE /api/tasks/{id}) or reads its webhook deliveries (GET /api/tasks/{id}/webhooks) without its maker's `X-Task-Token` (the `task_token` of the 202 that made it), or with another one */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `task_not_found` (`Task not found`): an unknown or expired task id */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `task_already_finished` (`Task already finished`): DELETE /api/tasks/{id} of a completed or failed task */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `too_many_requests` (`Too many requests, retry later`): over the per-client upload rate (`UPLOADS_PER_MINUTE`) or read rate (`READS_PER_MINUTE`: task, preview, stream and cancel requests); a download of a file not made yet while the same client already has half of `FORMAT_BUILDS` + `FORMAT_QUEUE` (4 by default) being made by this process */
      429: {
        headers: {
          /** @description too_many_requests: seconds until the client may try again */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `internal_error` (`Internal error`): anything else (logged with its stack) */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `store_unavailable` (`The task store is not reachable, retry later`): a request that needs Redis (an upload, a task) while Redis does not answer (`/api/health` says so too) */
      503: {
        headers: {
          /** @description store_unavailable: seconds: 10 */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `store_full` (`The task store is full, retry later`): POST /api/generate or /api/texture while Redis holds 90 % or more of its `maxmemory` (docker-compose.yml's and `npm start`'s own Redis: 1 GB; a Redis without `maxmemory` is never full here): refused before the picture is decoded, nothing written; running and queued tasks go on. Also any request whose write Redis refused as over its `maxmemory` (`OOM command not allowed`). `/api/health` says `redis.full` */
      507: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
  StatusController_preview: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        taskId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The packed coordinates */
      200: {
        headers: {
          /** @description 1, 2, ...: which preview of the task */
          'X-Preview-Rev'?: number;
          /** @description structure or geometry */
          'X-Preview-Stage'?: string;
          /** @description n: the grid is n³ */
          'X-Preview-Resolution'?: number;
          /** @description number of voxels */
          'X-Preview-Count'?: number;
          /** @description xyz8 or xyz16le */
          'X-Preview-Encoding'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/octet-stream': string;
        };
      };
      /** @description `unauthorized` (`Unauthorized`): access control on (`API_KEYS`, `CF_ACCESS_*`) and no valid API key or Access token; an admin route without the right `ADMIN_TOKEN`; `/metrics` without `METRICS_TOKEN` when it is set */
      401: {
        headers: {
          /** @description unauthorized: a Bearer challenge: realm="kiln3d" while API keys are on, "kiln3d-admin" on the admin route, "kiln3d-metrics" on /metrics */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `cross_site_request` (`Cross-site request refused`): a POST or DELETE carrying a Cloudflare Access credential (the cookie, or the header Access derives from it) that another site sent (`Sec-Fetch-Site: cross-site`, or a foreign `Origin`) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `task_not_found` (`Task not found`): an unknown or expired task id; `preview_not_found` (`No preview yet`): GET /api/tasks/{id}/preview before the engine sent one */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `too_many_requests` (`Too many requests, retry later`): over the per-client upload rate (`UPLOADS_PER_MINUTE`) or read rate (`READS_PER_MINUTE`: task, preview, stream and cancel requests); a download of a file not made yet while the same client already has half of `FORMAT_BUILDS` + `FORMAT_QUEUE` (4 by default) being made by this process */
      429: {
        headers: {
          /** @description too_many_requests: seconds until the client may try again */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `internal_error` (`Internal error`): anything else (logged with its stack) */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `store_unavailable` (`The task store is not reachable, retry later`): a request that needs Redis (an upload, a task) while Redis does not answer (`/api/health` says so too) */
      503: {
        headers: {
          /** @description store_unavailable: seconds: 10 */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `store_full` (`The task store is full, retry later`): POST /api/generate or /api/texture while Redis holds 90 % or more of its `maxmemory` (docker-compose.yml's and `npm start`'s own Redis: 1 GB; a Redis without `maxmemory` is never full here): refused before the picture is decoded, nothing written; running and queued tasks go on. Also any request whose write Redis refused as over its `maxmemory` (`OOM command not allowed`). `/api/health` says `redis.full` */
      507: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
  WebhooksController_deliveries: {
    parameters: {
      query?: never;
      header: {
        /** @description The task_token of the 202 that made the task: only its maker sees its deliveries. */
        'X-Task-Token': string;
      };
      path: {
        taskId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['WebhookDeliveriesDto'];
        };
      };
      /** @description `unauthorized` (`Unauthorized`): access control on (`API_KEYS`, `CF_ACCESS_*`) and no valid API key or Access token; an admin route without the right `ADMIN_TOKEN`; `/metrics` without `METRICS_TOKEN` when it is set */
      401: {
        headers: {
          /** @description unauthorized: a Bearer challenge: realm="kiln3d" while API keys are on, "kiln3d-admin" on the admin route, "kiln3d-metrics" on /metrics */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `task_token_required` (`Task token missing or wrong`): a request that changes a task (DELETE /api/tasks/{id}) or reads its webhook deliveries (GET /api/tasks/{id}/webhooks) without its maker's `X-Task-Token` (the `task_token` of the 202 that made it), or with another one */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `task_not_found` (`Task not found`): an unknown or expired task id */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `too_many_requests` (`Too many requests, retry later`): over the per-client upload rate (`UPLOADS_PER_MINUTE`) or read rate (`READS_PER_MINUTE`: task, preview, stream and cancel requests); a download of a file not made yet while the same client already has half of `FORMAT_BUILDS` + `FORMAT_QUEUE` (4 by default) being made by this process */
      429: {
        headers: {
          /** @description too_many_requests: seconds until the client may try again */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `internal_error` (`Internal error`): anything else (logged with its stack) */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `store_unavailable` (`The task store is not reachable, retry later`): a request that needs Redis (an upload, a task) while Redis does not answer (`/api/health` says so too) */
      503: {
        headers: {
          /** @description store_unavailable: seconds: 10 */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `store_full` (`The task store is full, retry later`): POST /api/generate or /api/texture while Redis holds 90 % or more of its `maxmemory` (docker-compose.yml's and `npm start`'s own Redis: 1 GB; a Redis without `maxmemory` is never full here): refused before the picture is decoded, nothing written; running and queued tasks go on. Also any request whose write Redis refused as over its `maxmemory` (`OOM command not allowed`). `/api/health` says `redis.full` */
      507: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
  FormatsController_downloadForTask: {
    parameters: {
      query?: {
        /** @description Default glb */
        format?: 'glb' | 'obj' | 'stl' | '3mf' | 'ply' | 'usdz';
        /** @description stl and 3mf only: the longest side in millimetres. Without it a painted model (POST /api/texture) is made at its own size (its coordinates x its units, no rescale), any other at 100 */
        size_mm?: number;
      };
      header?: never;
      path: {
        taskId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The file */
      200: {
        headers: {
          /** @description attachment; filename="kiln3d-….stl" */
          'Content-Disposition'?: string;
          /** @description stl and 3mf: true when the surface is closed */
          'X-Mesh-Watertight'?: 'true' | 'false';
          [name: string]: unknown;
        };
        content: {
          'model/gltf-binary': string;
          'application/zip': string;
          'model/stl': string;
          'model/3mf': string;
          'application/vnd.ply': string;
          'model/vnd.usdz+zip': string;
        };
      };
      /** @description Still being made: ask again after Retry-After seconds */
      202: {
        headers: {
          /** @description seconds */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['FormatPendingDto'];
        };
      };
      /** @description `invalid_option` (`Invalid <field>: <rule>`): a bad generation option (quality, seed, texture_size, faces; texturing: seed, texture_size, texture_resolution, units), e.g. `Invalid quality: one of fast, balanced, high`; before any queue slot is taken. Also a text field the upload does not take (a typo, or a generation option sent to texturing), e.g. `Invalid texure_size: not a field of this request; its fields are …`. Also a bad `format` or `size_mm` of a download, e.g. `Invalid format: one of glb, obj, stl, 3mf, ply, usdz`. Also a bad `callback_url` (not an absolute URL, not https, credentials in it, over 2048 characters, a literal loopback, private, link-local or other non-public address; or any while `WEBHOOK_SECRET` is unset), e.g. `Invalid callback_url: an https URL`, before any queue slot */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `unauthorized` (`Unauthorized`): access control on (`API_KEYS`, `CF_ACCESS_*`) and no valid API key or Access token; an admin route without the right `ADMIN_TOKEN`; `/metrics` without `METRICS_TOKEN` when it is set */
      401: {
        headers: {
          /** @description unauthorized: a Bearer challenge: realm="kiln3d" while API keys are on, "kiln3d-admin" on the admin route, "kiln3d-metrics" on /metrics */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `cross_site_request` (`Cross-site request refused`): a POST or DELETE carrying a Cloudflare Access credential (the cookie, or the header Access derives from it) that another site sent (`Sec-Fetch-Site: cross-site`, or a foreign `Origin`) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `task_not_found` (`Task not found`): an unknown or expired task id; `not_found` (`Not found`): no such route or model file (`/static/` serves three names per model: `{uuid}.glb`, `.source.glb`, `.lod.glb`); the admin routes while `ADMIN_TOKEN` is unset */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `task_not_completed` (`Task not completed: <status>`): a download of a task that has no model (yet): `Task not completed: queued`, `processing` or `failed` */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `range_not_satisfiable` (`Range not satisfiable`): a model requested with a Range that starts past its end */
      416: {
        headers: {
          /** @description range_not_satisfiable: bytes *\/<size> */
          'Content-Range'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /**
       * @description `too_many_requests` (`Too many requests, retry later`): over the per-client upload rate (`UPLOADS_PER_MINUTE`) or read rate (`READS_PER_MINUTE`: task, preview, stream and cancel requests); a download of a file not made yet while the same client already has half of `FORMAT_BUILDS` + `FORMAT_QUEUE` (4 by default) being made by this process
       *
       *     `too_many_requests` (`Too many requests, retry later`): over the per-client upload rate (`UPLOADS_PER_MINUTE`) or read rate (`READS_PER_MINUTE`: task, preview, stream and cancel requests); a download of a file not made yet while the same client already has half of `FORMAT_BUILDS` + `FORMAT_QUEUE` (4 by default) being made by this process
       */
      429: {
        headers: {
          /** @description too_many_requests: seconds until the client may try again */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `format_failed` (`The <format> file could not be made`): the formats tool failed on this model (logged with its reason); the task and its other formats are unharmed, and the format is tried again 10 minutes later */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `formats_busy` (`Busy making other files, retry later`): a download whose format is not made yet while this process already makes `FORMAT_BUILDS` files and holds `FORMAT_QUEUE` more waiting */
      503: {
        headers: {
          /** @description formats_busy: seconds */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `insufficient_storage` (`Not enough disk space on the server, retry later`): POST /api/generate or /api/texture while the model folder's filesystem (`STATIC_DIR`; a folder store, not a bucket) has less than `MIN_FREE_DISK_MB` free (1024 by default; 0 = no check): refused before the picture is decoded and before any slot is taken, nothing written; also a download whose format file is not made yet (a file already made is served). Running and queued tasks go on; `/api/health` says `disk.state` `low` */
      507: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
  FormatsController_downloadForModel: {
    parameters: {
      query?: {
        /** @description Default glb */
        format?: 'glb' | 'obj' | 'stl' | '3mf' | 'ply' | 'usdz';
        /** @description stl and 3mf only: the longest side in millimetres. Without it a painted model (POST /api/texture) is made at its own size (its coordinates x its units, no rescale), any other at 100 */
        size_mm?: number;
      };
      header?: never;
      path: {
        modelId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The file */
      200: {
        headers: {
          /** @description attachment; filename="kiln3d-….stl" */
          'Content-Disposition'?: string;
          /** @description stl and 3mf: true when the surface is closed */
          'X-Mesh-Watertight'?: 'true' | 'false';
          [name: string]: unknown;
        };
        content: {
          'model/gltf-binary': string;
          'application/zip': string;
          'model/stl': string;
          'model/3mf': string;
          'application/vnd.ply': string;
          'model/vnd.usdz+zip': string;
        };
      };
      /** @description Still being made: ask again after Retry-After seconds */
      202: {
        headers: {
          /** @description seconds */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['FormatPendingDto'];
        };
      };
      /** @description `invalid_option` (`Invalid <field>: <rule>`): a bad generation option (quality, seed, texture_size, faces; texturing: seed, texture_size, texture_resolution, units), e.g. `Invalid quality: one of fast, balanced, high`; before any queue slot is taken. Also a text field the upload does not take (a typo, or a generation option sent to texturing), e.g. `Invalid texure_size: not a field of this request; its fields are …`. Also a bad `format` or `size_mm` of a download, e.g. `Invalid format: one of glb, obj, stl, 3mf, ply, usdz`. Also a bad `callback_url` (not an absolute URL, not https, credentials in it, over 2048 characters, a literal loopback, private, link-local or other non-public address; or any while `WEBHOOK_SECRET` is unset), e.g. `Invalid callback_url: an https URL`, before any queue slot */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `not_found` (`Not found`): no such route or model file (`/static/` serves three names per model: `{uuid}.glb`, `.source.glb`, `.lod.glb`); the admin routes while `ADMIN_TOKEN` is unset */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `range_not_satisfiable` (`Range not satisfiable`): a model requested with a Range that starts past its end */
      416: {
        headers: {
          /** @description range_not_satisfiable: bytes *\/<size> */
          'Content-Range'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /**
       * @description `too_many_requests` (`Too many requests, retry later`): over the per-client upload rate (`UPLOADS_PER_MINUTE`) or read rate (`READS_PER_MINUTE`: task, preview, stream and cancel requests); a download of a file not made yet while the same client already has half of `FORMAT_BUILDS` + `FORMAT_QUEUE` (4 by default) being made by this process
       *
       *     `too_many_requests` (`Too many requests, retry later`): over the per-client upload rate (`UPLOADS_PER_MINUTE`) or read rate (`READS_PER_MINUTE`: task, preview, stream and cancel requests); a download of a file not made yet while the same client already has half of `FORMAT_BUILDS` + `FORMAT_QUEUE` (4 by default) being made by this process
       */
      429: {
        headers: {
          /** @description too_many_requests: seconds until the client may try again */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `format_failed` (`The <format> file could not be made`): the formats tool failed on this model (logged with its reason); the task and its other formats are unharmed, and the format is tried again 10 minutes later */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `formats_busy` (`Busy making other files, retry later`): a download whose format is not made yet while this process already makes `FORMAT_BUILDS` files and holds `FORMAT_QUEUE` more waiting */
      503: {
        headers: {
          /** @description formats_busy: seconds */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `insufficient_storage` (`Not enough disk space on the server, retry later`): POST /api/generate or /api/texture while the model folder's filesystem (`STATIC_DIR`; a folder store, not a bucket) has less than `MIN_FREE_DISK_MB` free (1024 by default; 0 = no check): refused before the picture is decoded and before any slot is taken, nothing written; also a download whose format file is not made yet (a file already made is served). Running and queued tasks go on; `/api/health` says `disk.state` `low` */
      507: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
  FormatsController_list: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        modelId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['FormatListDto'];
        };
      };
      /** @description `not_found` (`Not found`): no such route or model file (`/static/` serves three names per model: `{uuid}.glb`, `.source.glb`, `.lod.glb`); the admin routes while `ADMIN_TOKEN` is unset */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `too_many_requests` (`Too many requests, retry later`): over the per-client upload rate (`UPLOADS_PER_MINUTE`) or read rate (`READS_PER_MINUTE`: task, preview, stream and cancel requests); a download of a file not made yet while the same client already has half of `FORMAT_BUILDS` + `FORMAT_QUEUE` (4 by default) being made by this process */
      429: {
        headers: {
          /** @description too_many_requests: seconds until the client may try again */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `internal_error` (`Internal error`): anything else (logged with its stack) */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `store_unavailable` (`The task store is not reachable, retry later`): a request that needs Redis (an upload, a task) while Redis does not answer (`/api/health` says so too) */
      503: {
        headers: {
          /** @description store_unavailable: seconds: 10 */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `store_full` (`The task store is full, retry later`): POST /api/generate or /api/texture while Redis holds 90 % or more of its `maxmemory` (docker-compose.yml's and `npm start`'s own Redis: 1 GB; a Redis without `maxmemory` is never full here): refused before the picture is decoded, nothing written; running and queued tasks go on. Also any request whose write Redis refused as over its `maxmemory` (`OOM command not allowed`). `/api/health` says `redis.full` */
      507: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
  HealthController_health: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Redis up and the sidecar not down/failed (it may still be loading) */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['HealthDto'];
        };
      };
      /** @description `internal_error` (`Internal error`): anything else (logged with its stack) */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description Redis unreachable, or the sidecar down or failed */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['HealthDto'];
        };
      };
      /** @description `store_full` (`The task store is full, retry later`): POST /api/generate or /api/texture while Redis holds 90 % or more of its `maxmemory` (docker-compose.yml's and `npm start`'s own Redis: 1 GB; a Redis without `maxmemory` is never full here): refused before the picture is decoded, nothing written; running and queued tasks go on. Also any request whose write Redis refused as over its `maxmemory` (`OOM command not allowed`). `/api/health` says `redis.full` */
      507: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
  AdminHealthController_health: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description As GET /api/health (200 ok) */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['AdminHealthDto'];
        };
      };
      /** @description `unauthorized` (`Unauthorized`): access control on (`API_KEYS`, `CF_ACCESS_*`) and no valid API key or Access token; an admin route without the right `ADMIN_TOKEN`; `/metrics` without `METRICS_TOKEN` when it is set */
      401: {
        headers: {
          /** @description unauthorized: a Bearer challenge: realm="kiln3d" while API keys are on, "kiln3d-admin" on the admin route, "kiln3d-metrics" on /metrics */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `not_found` (`Not found`): no such route or model file (`/static/` serves three names per model: `{uuid}.glb`, `.source.glb`, `.lod.glb`); the admin routes while `ADMIN_TOKEN` is unset */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `internal_error` (`Internal error`): anything else (logged with its stack) */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description As GET /api/health (503 degraded) */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['AdminHealthDto'];
        };
      };
    };
  };
  ConfigController_get: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The settings the web app needs; nothing secret. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['PublicConfigDto'];
        };
      };
      /** @description `internal_error` (`Internal error`): anything else (logged with its stack) */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `store_unavailable` (`The task store is not reachable, retry later`): a request that needs Redis (an upload, a task) while Redis does not answer (`/api/health` says so too) */
      503: {
        headers: {
          /** @description store_unavailable: seconds: 10 */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `store_full` (`The task store is full, retry later`): POST /api/generate or /api/texture while Redis holds 90 % or more of its `maxmemory` (docker-compose.yml's and `npm start`'s own Redis: 1 GB; a Redis without `maxmemory` is never full here): refused before the picture is decoded, nothing written; running and queued tasks go on. Also any request whose write Redis refused as over its `maxmemory` (`OOM command not allowed`). `/api/health` says `redis.full` */
      507: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
  OpsController_overview: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpsOverviewDto'];
        };
      };
      /** @description `unauthorized` (`Unauthorized`): access control on (`API_KEYS`, `CF_ACCESS_*`) and no valid API key or Access token; an admin route without the right `ADMIN_TOKEN`; `/metrics` without `METRICS_TOKEN` when it is set */
      401: {
        headers: {
          /** @description unauthorized: a Bearer challenge: realm="kiln3d" while API keys are on, "kiln3d-admin" on the admin route, "kiln3d-metrics" on /metrics */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `not_found` (`Not found`): no such route or model file (`/static/` serves three names per model: `{uuid}.glb`, `.source.glb`, `.lod.glb`); the admin routes while `ADMIN_TOKEN` is unset */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `internal_error` (`Internal error`): anything else (logged with its stack) */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
  OpsController_pause: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpsAdmissionsChangeDto'];
        };
      };
      /** @description `unauthorized` (`Unauthorized`): access control on (`API_KEYS`, `CF_ACCESS_*`) and no valid API key or Access token; an admin route without the right `ADMIN_TOKEN`; `/metrics` without `METRICS_TOKEN` when it is set */
      401: {
        headers: {
          /** @description unauthorized: a Bearer challenge: realm="kiln3d" while API keys are on, "kiln3d-admin" on the admin route, "kiln3d-metrics" on /metrics */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `not_found` (`Not found`): no such route or model file (`/static/` serves three names per model: `{uuid}.glb`, `.source.glb`, `.lod.glb`); the admin routes while `ADMIN_TOKEN` is unset */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `internal_error` (`Internal error`): anything else (logged with its stack) */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
  OpsController_resume: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpsAdmissionsChangeDto'];
        };
      };
      /** @description `unauthorized` (`Unauthorized`): access control on (`API_KEYS`, `CF_ACCESS_*`) and no valid API key or Access token; an admin route without the right `ADMIN_TOKEN`; `/metrics` without `METRICS_TOKEN` when it is set */
      401: {
        headers: {
          /** @description unauthorized: a Bearer challenge: realm="kiln3d" while API keys are on, "kiln3d-admin" on the admin route, "kiln3d-metrics" on /metrics */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `not_found` (`Not found`): no such route or model file (`/static/` serves three names per model: `{uuid}.glb`, `.source.glb`, `.lod.glb`); the admin routes while `ADMIN_TOKEN` is unset */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `internal_error` (`Internal error`): anything else (logged with its stack) */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
  OpsController_cleanup: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OpsCleanupDto'];
        };
      };
      /** @description `unauthorized` (`Unauthorized`): access control on (`API_KEYS`, `CF_ACCESS_*`) and no valid API key or Access token; an admin route without the right `ADMIN_TOKEN`; `/metrics` without `METRICS_TOKEN` when it is set */
      401: {
        headers: {
          /** @description unauthorized: a Bearer challenge: realm="kiln3d" while API keys are on, "kiln3d-admin" on the admin route, "kiln3d-metrics" on /metrics */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `not_found` (`Not found`): no such route or model file (`/static/` serves three names per model: `{uuid}.glb`, `.source.glb`, `.lod.glb`); the admin routes while `ADMIN_TOKEN` is unset */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `internal_error` (`Internal error`): anything else (logged with its stack) */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
  OpsController_cancel: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        taskId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Cancelled: the failed snapshot */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['TaskViewDto'];
        };
      };
      /** @description `unauthorized` (`Unauthorized`): access control on (`API_KEYS`, `CF_ACCESS_*`) and no valid API key or Access token; an admin route without the right `ADMIN_TOKEN`; `/metrics` without `METRICS_TOKEN` when it is set */
      401: {
        headers: {
          /** @description unauthorized: a Bearer challenge: realm="kiln3d" while API keys are on, "kiln3d-admin" on the admin route, "kiln3d-metrics" on /metrics */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `not_found` (`Not found`): no such route or model file (`/static/` serves three names per model: `{uuid}.glb`, `.source.glb`, `.lod.glb`); the admin routes while `ADMIN_TOKEN` is unset; `task_not_found` (`Task not found`): an unknown or expired task id */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `task_already_finished` (`Task already finished`): DELETE /api/tasks/{id} of a completed or failed task */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `internal_error` (`Internal error`): anything else (logged with its stack) */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
  WorkerRestartController_restartAll: {
    parameters: {
      query?: {
        /** @description Kill at once (default false: after the running job) */
        force?: boolean;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Every live worker's outcome */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['WorkerRestartAllDto'];
        };
      };
      /** @description `invalid_parameter` (`<name> must be true or false`): a query flag (`wait` of POST /api/generate and POST /api/texture, `force` of the admin restarts) that is neither */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `unauthorized` (`Unauthorized`): access control on (`API_KEYS`, `CF_ACCESS_*`) and no valid API key or Access token; an admin route without the right `ADMIN_TOKEN`; `/metrics` without `METRICS_TOKEN` when it is set */
      401: {
        headers: {
          /** @description unauthorized: a Bearer challenge: realm="kiln3d" while API keys are on, "kiln3d-admin" on the admin route, "kiln3d-metrics" on /metrics */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `not_found` (`Not found`): no such route or model file (`/static/` serves three names per model: `{uuid}.glb`, `.source.glb`, `.lod.glb`); the admin routes while `ADMIN_TOKEN` is unset */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `internal_error` (`Internal error`): anything else (logged with its stack) */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `store_unavailable` (`The task store is not reachable, retry later`): a request that needs Redis (an upload, a task) while Redis does not answer (`/api/health` says so too) */
      503: {
        headers: {
          /** @description store_unavailable: seconds: 10 */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
  WorkerRestartController_restartOne: {
    parameters: {
      query?: {
        /** @description Kill at once (default false: after the running job) */
        force?: boolean;
      };
      header?: never;
      path: {
        /** @description the worker's id (GET /api/health workers[].id) */
        workerId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The worker began the restart */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['WorkerRestartAcceptedDto'];
        };
      };
      /** @description `invalid_parameter` (`<name> must be true or false`): a query flag (`wait` of POST /api/generate and POST /api/texture, `force` of the admin restarts) that is neither */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `unauthorized` (`Unauthorized`): access control on (`API_KEYS`, `CF_ACCESS_*`) and no valid API key or Access token; an admin route without the right `ADMIN_TOKEN`; `/metrics` without `METRICS_TOKEN` when it is set */
      401: {
        headers: {
          /** @description unauthorized: a Bearer challenge: realm="kiln3d" while API keys are on, "kiln3d-admin" on the admin route, "kiln3d-metrics" on /metrics */
          'WWW-Authenticate'?: string;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `not_found` (`Not found`): no such route or model file (`/static/` serves three names per model: `{uuid}.glb`, `.source.glb`, `.lod.glb`); the admin routes while `ADMIN_TOKEN` is unset; `worker_not_found` (`No live worker has this id`): POST /api/admin/workers/{worker_id}/inference/restart naming no live worker on this Redis (ids: GET /api/health `workers[].id`, the ops overview; a worker whose heartbeat lapsed, 10 s, is gone; an api-only process is no worker) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `sidecar_not_managed` (`The inference sidecar is not managed by this process`): POST /api/admin/inference/restart on a process that runs no sidecar of its own: it reaches one elsewhere (`INFERENCE_URL`), or it is api-only (`KILN_ROLE=api`: restart a worker's sidecar with POST /api/admin/workers/{worker_id}/inference/restart); the same from that route for a worker whose sidecar is `INFERENCE_URL`'s */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `internal_error` (`Internal error`): anything else (logged with its stack) */
      500: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `sidecar_stopped` (`The inference sidecar is stopped`): POST /api/admin/inference/restart while the api is shutting its sidecar down (and the worker route for a worker that is); `store_unavailable` (`The task store is not reachable, retry later`): a request that needs Redis (an upload, a task) while Redis does not answer (`/api/health` says so too) */
      503: {
        headers: {
          /** @description store_unavailable: seconds: 10 */
          'Retry-After'?: number;
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
      /** @description `worker_no_answer` (`The worker did not answer in time`): POST /api/admin/workers/{worker_id}/inference/restart: the worker did not listen (it is stopping, or cut off from Redis; one that is starting is asked again until it listens) or did not take the request within 5 s (its event loop stuck, a lost connection); the request is then withdrawn, so nothing restarts later. Only a worker that took it at the last moment and whose answer then went missing may still restart (its log says so) */
      504: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ErrorBodyDto'];
        };
      };
    };
  };
}
type FlattenedDeepRequired<T> = {
  [K in keyof T]-?: FlattenedDeepRequired<
    T[K] extends unknown[] | undefined | null ? Extract<T[K], unknown[]>[number] : T[K]
  >;
};
type ReadonlyArray<T> = [Exclude<T, undefined>] extends [unknown[]]
  ? Readonly<Exclude<T, undefined>>
  : Readonly<Exclude<T, undefined>[]>;
export const pathsApiTasksTaskIdDownloadGetParametersQueryFormatValues: ReadonlyArray<
  FlattenedDeepRequired<paths>['/api/tasks/{taskId}/download']['get']['parameters']['query']['format']
> = ['glb', 'obj', 'stl', '3mf', 'ply', 'usdz'];
export const pathsApiTasksTaskIdDownloadGetResponses200HeadersXMeshWatertightValues: ReadonlyArray<
  FlattenedDeepRequired<paths>['/api/tasks/{taskId}/download']['get']['responses']['200']['headers']['X-Mesh-Watertight']
> = ['true', 'false'];
export const pathsApiModelsModelIdDownloadGetParametersQueryFormatValues: ReadonlyArray<
  FlattenedDeepRequired<paths>['/api/models/{modelId}/download']['get']['parameters']['query']['format']
> = ['glb', 'obj', 'stl', '3mf', 'ply', 'usdz'];
export const pathsApiModelsModelIdDownloadGetResponses200HeadersXMeshWatertightValues: ReadonlyArray<
  FlattenedDeepRequired<paths>['/api/models/{modelId}/download']['get']['responses']['200']['headers']['X-Mesh-Watertight']
> = ['true', 'false'];
export const errorCodeValues: ReadonlyArray<FlattenedDeepRequired<components>['schemas']['ErrorCode']> = [
  'unsupported_image',
  'missing_image',
  'unexpected_file',
  'missing_mesh',
  'unexpected_mesh_file',
  'unsupported_mesh',
  'invalid_option',
  'invalid_parameter',
  'bad_request',
  'unauthorized',
  'forbidden',
  'cross_site_request',
  'task_token_required',
  'not_found',
  'task_not_found',
  'preview_not_found',
  'worker_not_found',
  'task_cancelled',
  'task_not_completed',
  'task_already_finished',
  'sidecar_not_managed',
  'file_too_large',
  'body_too_large',
  'mesh_too_large',
  'request_timeout',
  'range_not_satisfiable',
  'image_too_small',
  'image_too_large',
  'no_object',
  'mesh_no_faces',
  'mesh_not_finite',
  'mesh_too_many_faces',
  'mesh_compressed',
  'unavailable_quality',
  'too_many_requests',
  'too_many_active_tasks',
  'too_many_streams',
  'internal_error',
  'format_failed',
  'gpu_out_of_memory',
  'server_busy',
  'formats_busy',
  'streams_full',
  'decode_busy',
  'meshes_busy',
  'admissions_paused',
  'engine_unavailable',
  'store_unavailable',
  'sidecar_stopped',
  'web_app_not_built',
  'generation_timeout',
  'worker_no_answer',
  'store_full',
  'insufficient_storage',
];
export const generateUploadDtoQualityValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['GenerateUploadDto']['quality']
> = ['fast', 'balanced', 'high'];
export const generateUploadDtoTexture_sizeValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['GenerateUploadDto']['texture_size']
> = [1024, 2048, 4096];
export const textureUploadDtoTexture_sizeValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['TextureUploadDto']['texture_size']
> = [1024, 2048, 4096];
export const textureUploadDtoTexture_resolutionValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['TextureUploadDto']['texture_resolution']
> = [512, 1024];
export const textureUploadDtoUnitsValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['TextureUploadDto']['units']
> = ['m', 'cm', 'mm', 'in'];
export const qualityPresetDtoQualityValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['QualityPresetDto']['quality']
> = ['fast', 'balanced', 'high'];
export const taskFormatOfferDtoFormatValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['TaskFormatOfferDto']['format']
> = ['glb', 'obj', 'stl', '3mf', 'ply', 'usdz'];
export const taskPreviewDtoStageValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['TaskPreviewDto']['stage']
> = ['structure', 'geometry'];
export const taskPreviewDtoEncodingValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['TaskPreviewDto']['encoding']
> = ['xyz8', 'xyz16le'];
export const taskOptionsDtoQualityValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['TaskOptionsDto']['quality']
> = ['fast', 'balanced', 'high'];
export const taskOptionsDtoTexture_sizeValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['TaskOptionsDto']['texture_size']
> = [1024, 2048, 4096];
export const taskOptionsDtoTexture_resolutionValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['TaskOptionsDto']['texture_resolution']
> = [512, 1024];
export const taskOptionsDtoUnitsValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['TaskOptionsDto']['units']
> = ['m', 'cm', 'mm', 'in'];
export const taskViewDtoKindValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['TaskViewDto']['kind']
> = ['generate', 'texture'];
export const taskViewDtoStatusValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['TaskViewDto']['status']
> = ['queued', 'processing', 'completed', 'failed'];
export const taskViewDtoStageValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['TaskViewDto']['stage']
> = ['preprocess', 'structure', 'geometry', 'texture', 'export'];
export const webhookAttemptDtoTypeValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['WebhookAttemptDto']['type']
> = ['task.queued', 'task.processing', 'task.completed', 'task.failed'];
export const webhookAttemptDtoOutcomeValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['WebhookAttemptDto']['outcome']
> = ['delivered', 'retrying', 'failed', 'refused', 'dropped'];
export const formatPendingDtoStatusValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['FormatPendingDto']['status']
> = ['building'];
export const formatPendingDtoFormatValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['FormatPendingDto']['format']
> = ['glb', 'obj', 'stl', '3mf', 'ply', 'usdz'];
export const formatStateDtoFormatValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['FormatStateDto']['format']
> = ['glb', 'obj', 'stl', '3mf', 'ply', 'usdz'];
export const formatStateDtoStateValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['FormatStateDto']['state']
> = ['ready', 'building', 'not_made', 'failed'];
export const formatListDtoUnitsValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['FormatListDto']['units']
> = ['m', 'cm', 'mm', 'in'];
export const healthInferenceDtoStateValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['HealthInferenceDto']['state']
> = ['starting', 'loading', 'ready', 'busy', 'failed', 'down', 'restarting', 'none'];
export const healthDiskDtoStateValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['HealthDiskDto']['state']
> = ['ok', 'low', 'unknown'];
export const healthWorkerDtoRoleValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['HealthWorkerDto']['role']
> = ['all', 'api', 'worker'];
export const healthWorkerDtoStateValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['HealthWorkerDto']['state']
> = ['idle', 'busy', 'starting', 'down'];
export const healthDtoStatusValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['HealthDto']['status']
> = ['ok', 'degraded'];
export const healthDtoRoleValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['HealthDto']['role']
> = ['all', 'api', 'worker'];
export const adminWorkerDtoRoleValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['AdminWorkerDto']['role']
> = ['all', 'api', 'worker'];
export const adminWorkerDtoStateValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['AdminWorkerDto']['state']
> = ['idle', 'busy', 'starting', 'down'];
export const adminHealthDtoStatusValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['AdminHealthDto']['status']
> = ['ok', 'degraded'];
export const adminHealthDtoRoleValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['AdminHealthDto']['role']
> = ['all', 'api', 'worker'];
export const opsSidecarDtoStateValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['OpsSidecarDto']['state']
> = ['starting', 'loading', 'ready', 'busy', 'failed', 'down', 'restarting'];
export const opsWorkerDtoRoleValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['OpsWorkerDto']['role']
> = ['all', 'api', 'worker'];
export const opsWorkerDtoStateValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['OpsWorkerDto']['state']
> = ['idle', 'busy', 'starting', 'down'];
export const opsQueueTaskDtoStatusValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['OpsQueueTaskDto']['status']
> = ['queued', 'processing'];
export const opsDurationDtoQualityValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['OpsDurationDto']['quality']
> = ['fast', 'balanced', 'high'];
export const opsStorageDtoKindValues: ReadonlyArray<
  FlattenedDeepRequired<components>['schemas']['OpsStorageDto']['kind']
> = ['local', 's3'];
