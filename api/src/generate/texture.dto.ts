import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MAX_SEED, TEXTURE_SIZES } from '../tasks/options/generation-options';
import { MESH_UNITS } from '../storage/model-units';
import { DEFAULT_TEXTURE_OPTIONS, TEXTURE_RESOLUTIONS } from '../tasks/options/texture-options';

/** POST /api/texture's multipart body: a mesh, a picture and the texturing options. */
export class TextureUploadDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description:
      'The mesh to paint: one GLB (glTF 2.0 binary), OBJ or PLY, judged by content, at most MAX_MESH_MB (50) and ' +
      'TEXTURE_MAX_FACES triangles (200000; a quad counts as two). The model keeps its triangles, positions, units ' +
      'and place; its node transforms are applied. Draco- or meshopt-compressed GLBs are refused (422).',
  })
  mesh!: unknown;
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description:
      'The picture to paint it from: one JPEG, PNG or WebP (judged by content), at most MAX_UPLOAD_MB.',
  })
  image!: unknown;
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_SEED,
    default: DEFAULT_TEXTURE_OPTIONS.seed,
    description: 'Random seed (trellis2). The task records it.',
  })
  seed?: number;
  @ApiPropertyOptional({
    type: 'integer',
    enum: TEXTURE_SIZES,
    default: DEFAULT_TEXTURE_OPTIONS.texture_size,
    description: 'Texture side (px)',
  })
  texture_size?: number;
  @ApiPropertyOptional({
    type: 'integer',
    enum: TEXTURE_RESOLUTIONS,
    default: DEFAULT_TEXTURE_OPTIONS.texture_resolution,
    description:
      "trellis2: the voxel grid the texture is sampled on (Trellis2TexturingPipeline's resolution). Engines " +
      'without one (inflate, simulate) ignore it and say so (ignored_options).',
  })
  texture_resolution?: number;
  @ApiPropertyOptional({
    enum: MESH_UNITS,
    default: DEFAULT_TEXTURE_OPTIONS.units,
    description:
      "The length of one unit of the mesh's coordinates, whatever its format (a GLB's too: glTF says metres, " +
      'but a part drawn in millimetres is often saved as is). The model keeps its coordinates; this says its own ' +
      'size: its STL and 3MF are made at it when no size_mm is asked (no rescale), its USDZ declares it ' +
      '(metersPerUnit). No engine reads it.',
  })
  units?: string;
  @ApiPropertyOptional({
    format: 'uri',
    maxLength: 2048,
    description: "A receiver of this task's webhooks, as for POST /api/generate.",
  })
  callback_url?: string;
}
