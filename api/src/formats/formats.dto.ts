import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MODEL_FORMATS } from '../storage/model-formats';
import { MESH_UNITS } from '../storage/model-units';

/** One format of a model, as GET /api/models/{modelId}/formats lists it. */
export class FormatStateDto {
  @ApiProperty({ enum: MODEL_FORMATS })
  format!: string;
  @ApiProperty({ example: 'model/stl', description: 'Content-Type of the download' })
  media_type!: string;
  @ApiProperty({
    example: "the engine's original glTF binary (millimetres, Y up), for editing tools",
    description:
      'What the file is, for people. glb, obj, ply and usdz name the unit of their coordinates: metres ' +
      "for a generated model, a painted model's own `units` (they keep its mesh's coordinates); stl and " +
      '3mf are in millimetres',
  })
  description!: string;
  @ApiProperty({
    description:
      "The download, absolute (stl and 3mf: a painted model's own size, any other model's 100 mm; " +
      'add size_mm for another)',
  })
  url!: string;
  @ApiProperty({
    enum: ['ready', 'building', 'not_made', 'failed'],
    description:
      'ready: in the store (bytes known); building: being made; not_made: made on first download; ' +
      'failed: its last build failed (tried again 10 minutes later)',
  })
  state!: 'ready' | 'building' | 'not_made' | 'failed';
  @ApiPropertyOptional({ description: 'ready: bytes of the file' })
  bytes?: number;
  @ApiPropertyOptional({
    description:
      "stl and 3mf: the longest side in millimetres this entry names: 100, or a painted model's own " +
      '(own_size; to 0.1 mm)',
  })
  size_mm?: number;
  @ApiPropertyOptional({
    description:
      "stl and 3mf of a painted model (POST /api/texture): true, the entry is the mesh's own size, its " +
      'coordinates x its units, not rescaled',
  })
  own_size?: boolean;
}

/** GET /api/models/{modelId}/formats. */
export class FormatListDto {
  @ApiProperty({ type: [FormatStateDto] })
  formats!: FormatStateDto[];
  @ApiPropertyOptional({
    description:
      'Whether the surface is closed (what a slicer needs), once any format other than glb was made',
  })
  watertight?: boolean;
  @ApiPropertyOptional({
    enum: MESH_UNITS,
    description:
      "A painted model's units (POST /api/texture's `units`): its stl and 3mf are made at its own size " +
      'when no size_mm is asked, its usdz declares them. Absent for a generated model',
  })
  units?: string;
}

/** 202 of a download whose file is still being made. */
export class FormatPendingDto {
  @ApiProperty({ enum: ['building'] })
  status!: 'building';
  @ApiProperty({ enum: MODEL_FORMATS })
  format!: string;
  @ApiPropertyOptional({ description: "stl and 3mf: millimetres (a painted model's own size: to 0.1 mm)" })
  size_mm?: number;
  @ApiProperty({
    example: 5,
    description: 'Seconds to wait before asking again (also the Retry-After header)',
  })
  retry_after_s!: number;
}
