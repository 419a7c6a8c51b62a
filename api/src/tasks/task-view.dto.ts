import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_CODES } from '../common/api-error';
import { MODEL_FORMATS } from '../storage/model-formats';
import { MESH_UNITS } from '../storage/model-units';

/** The latest voxel preview a processing task has (the voxels are at `url`). */
export class TaskPreviewDto {
  @ApiProperty({ description: '1, 2, ...: which preview of the task' })
  rev!: number;
  @ApiProperty({ enum: ['structure', 'geometry'], description: 'structure: coarse, first; geometry: finer' })
  stage!: string;
  @ApiProperty({ description: 'n: the voxels lie on an n³ grid over the model unit cube' })
  resolution!: number;
  @ApiProperty({ description: 'number of voxels (at most 32768)' })
  count!: number;
  @ApiProperty({
    enum: ['xyz8', 'xyz16le'],
    description: 'bytes per axis: 1 when n <= 256, else 2 (little-endian)',
  })
  encoding!: string;
  @ApiProperty({ description: 'size of the binary at url' })
  bytes!: number;
  @ApiProperty({ description: 'GET /api/tasks/{id}/preview?rev=N, absolute' })
  url!: string;
}

/** The options a task runs with (defaults filled in): a generation's or a texturing's. */
export class TaskOptionsDto {
  @ApiPropertyOptional({ enum: ['fast', 'balanced', 'high'], description: 'generation only' })
  quality?: string;
  @ApiProperty({ type: 'integer', description: 'the seed the job uses' })
  seed!: number;
  @ApiProperty({ type: 'integer', enum: [1024, 2048, 4096] })
  texture_size!: number;
  @ApiPropertyOptional({ type: 'integer', description: 'generation only: decimation target' })
  faces?: number;
  @ApiPropertyOptional({
    type: 'integer',
    enum: [512, 1024],
    description: 'texturing only: the voxel grid the texture is sampled on (trellis2)',
  })
  texture_resolution?: number;
  @ApiPropertyOptional({
    enum: MESH_UNITS,
    description:
      "texturing only: the length of one unit of the mesh's coordinates; the painted model's STL and 3MF " +
      'are made at its own size in these units unless size_mm is asked, its USDZ declares them',
  })
  units?: string;
}

/** A format a completed task's model is offered in. */
export class TaskFormatOfferDto {
  @ApiProperty({ enum: MODEL_FORMATS })
  format!: string;
  @ApiProperty({ description: 'GET /api/tasks/{id}/download?format=…, absolute' })
  url!: string;
}

/** The task snapshot clients see (JSON of GET /api/tasks/{id} and of every SSE event). */
export class TaskViewDto {
  @ApiProperty({ format: 'uuid' })
  task_id!: string;
  @ApiProperty({
    enum: ['generate', 'texture'],
    description: 'generate: a model made from the picture; texture: the uploaded mesh painted from it',
  })
  kind!: string;
  @ApiProperty({ enum: ['queued', 'processing', 'completed', 'failed'] })
  status!: string;
  @ApiProperty({ format: 'date-time' })
  created_at!: string;
  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
  @ApiPropertyOptional({ description: 'queued: 1 = runs next' })
  position?: number;
  @ApiPropertyOptional({
    description: 'queued: seconds until it is expected to start (position x mean job time)',
  })
  eta_s?: number;
  @ApiPropertyOptional({ description: 'processing/completed: 0-100' })
  progress?: number;
  @ApiPropertyOptional({ enum: ['preprocess', 'structure', 'geometry', 'texture', 'export'] })
  stage?: string;
  @ApiPropertyOptional({ format: 'date-time' })
  started_at?: string;
  @ApiPropertyOptional({ format: 'date-time' })
  finished_at?: string;
  @ApiPropertyOptional({ description: 'completed: the web GLB, absolute' })
  model_url?: string;
  @ApiPropertyOptional({ description: "completed: the engine's original GLB, absolute" })
  download_url?: string;
  @ApiPropertyOptional({
    description:
      "completed: the web GLB's small level of detail (the same encoding, a few percent of its bytes, the same bounds), " +
      'absolute: a viewer may draw it first, then the model. Absent for models made without one',
  })
  lod_url?: string;
  @ApiPropertyOptional({
    example: 'https://api.example.com/m/3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90',
    description:
      "completed: the model's share page (the web app's viewer, public like model_url), absolute on the api's origin",
  })
  share_url?: string;
  @ApiPropertyOptional({
    type: [TaskFormatOfferDto],
    description: 'completed: every format of the model (glb, obj, stl, 3mf, ply, usdz) and its download',
  })
  formats?: TaskFormatOfferDto[];
  @ApiPropertyOptional({
    description:
      'completed: whether the surface is closed (what a slicer needs), once a download of stl, 3mf, obj, ply or usdz measured it',
  })
  watertight?: boolean;
  @ApiPropertyOptional({ description: 'completed: seconds' })
  generation_time?: number;
  @ApiPropertyOptional({ description: 'completed: trellis2, inflate or simulate' })
  engine?: string;
  @ApiPropertyOptional()
  triangles?: number;
  @ApiPropertyOptional({ description: 'failed: the contract message, e.g. "Generation timeout"' })
  error?: string;
  @ApiPropertyOptional({
    enum: ERROR_CODES,
    enumName: 'ErrorCode',
    description: 'failed: the stable code of that error (task_cancelled for a cancelled task); decide by it',
  })
  error_code?: string;
  @ApiPropertyOptional({
    description: 'failed: the HTTP status of that error (409 cancelled, 422, 500, 504)',
  })
  http_status?: number;
  @ApiPropertyOptional({ description: 'failed: true when cancelled' })
  cancelled?: boolean;
  @ApiPropertyOptional({
    type: TaskPreviewDto,
    description:
      'processing: the latest voxel preview, once the engine sent one (a new `rev`: new voxels at `url`)',
  })
  preview?: TaskPreviewDto;
  @ApiPropertyOptional({
    type: TaskOptionsDto,
    description: 'The options of POST /api/generate or POST /api/texture, defaults filled in',
  })
  options?: TaskOptionsDto;
  @ApiPropertyOptional({
    type: [String],
    description:
      'completed: options the engine has no setting for (inflate: all of them; simulate: all but the seed; trellis2: none), ' +
      'or whose value it could not honour as asked (inflate texturing: a texture_size over 2048, painted at 2048)',
  })
  ignored_options?: string[];
}
