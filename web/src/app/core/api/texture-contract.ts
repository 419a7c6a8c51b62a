/**
 * STOP-GAP, hand-written until the api's POST /api/texture (issue 20) lands in api/openapi.json:
 * the only part of the texturing contract not yet generated into generated/openapi.ts. Once
 * `node dist/api/openapi.js` has regenerated that file with it, delete this file. In the app only
 * api-types.ts and api-error.ts import it (each import marked "stop-gap"; error-messages.spec.ts
 * imports TEXTURE_ERROR_CODES), and there each name becomes the generated one: ErrorCode and
 * errorCodeValues gain the codes, TextureChoice is picked from the texture upload's DTO, TaskKind
 * is TaskViewDto's `kind`, max_mesh_mb is PublicConfigDto's if the api publishes it.
 */
import type { components } from './generated/openapi';

/** The error codes POST /api/texture adds to the contract's table (design.md, issue 20). */
export const TEXTURE_ERROR_CODES = [
  'missing_mesh',
  'unsupported_mesh',
  'mesh_too_large',
  'mesh_no_faces',
  'mesh_not_finite',
  'mesh_too_many_faces',
  'mesh_compressed',
] as const;

/** One of POST /api/texture's own error codes. */
export type TextureErrorCode = (typeof TEXTURE_ERROR_CODES)[number];

/** POST /api/texture's optional text fields; an absent one takes the server's default. */
export interface TextureChoice {
  seed?: number;
  texture_size?: components['schemas']['GenerateUploadDto']['texture_size'];
  texture_resolution?: number;
}

/** What a task makes: a model from a picture, or an uploaded mesh painted from one (snapshot `kind`). */
export type TaskKind = 'generate' | 'texture';

/** The mesh limit GET /api/config may publish (MAX_MESH_MB); the documented default until it does. */
export interface TexturingConfig {
  max_mesh_mb: number;
}

/** MAX_MESH_MB's documented default. */
export const DEFAULT_MAX_MESH_MB = 50;
