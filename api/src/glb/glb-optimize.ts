import { createRequire } from 'node:module';
import { type Document, type ILogger, NodeIO, type Transform } from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import {
  cloneDocument,
  dedup,
  meshopt,
  prune,
  simplify,
  textureCompress,
  weld,
} from '@gltf-transform/functions';
import sharp from 'sharp';
import { DEFAULT_OPTIMISE_OPTIONS, type GlbOptimiseOptions, type LodOptions } from './glb-optimise-options';

/**
 * The web model's recipe (docs/design.md: "meshopt geometry, WebP textures"), as plain functions so the
 * worker thread, the tests and the benchmark all run the same code.
 *
 * WebP only, no PNG/JPEG fallback: every browser the web app supports (three.js r187 needs
 * WebGL 2) decodes WebP, and a fallback image would cost the bytes this stage exists to save.
 */
export {
  DEFAULT_LOD_OPTIONS,
  DEFAULT_OPTIMISE_OPTIONS,
  type GlbOptimiseOptions,
  type LodOptions,
} from './glb-optimise-options';
import { errorMessage } from '../common/error-message';

export interface GlbValidation {
  errors: number;
  warnings: number;
  /** The first few errors, "CODE: message (pointer)". */
  firstErrors: string[];
}

interface ValidatorMessage {
  code: string;
  message: string;
  severity: number;
  pointer?: string;
}
interface ValidatorReport {
  issues: { numErrors: number; numWarnings: number; messages: ValidatorMessage[] };
}
interface GltfValidator {
  validateBytes(data: Uint8Array, options?: { maxIssues?: number }): Promise<ValidatorReport>;
}

// The package ships no types; loaded through require so the one function used is typed here.
const validator = createRequire(__filename)('gltf-validator') as GltfValidator;

/**
 * Khronos glTF-Validator on the engine's GLB. Run it before compressing: on meshopt data the
 * validator only reports an unsupported extension, so afterwards it would prove nothing.
 * Bytes that are not glTF at all count as one error (the validator throws on them).
 */
export async function validateGlb(bytes: Uint8Array): Promise<GlbValidation> {
  try {
    const report = await validator.validateBytes(bytes, { maxIssues: 100 });
    return {
      errors: report.issues.numErrors,
      warnings: report.issues.numWarnings,
      firstErrors: report.issues.messages
        .filter((m) => m.severity === 0)
        .slice(0, 5)
        .map((m) => `${m.code}: ${m.message}${m.pointer ? ` (${m.pointer})` : ''}`),
    };
  } catch (error) {
    return { errors: 1, warnings: 0, firstErrors: [`not a glTF binary: ${errorMessage(error)}`] };
  }
}

// meshoptimizer is ESM-only: a dynamic import keeps this CommonJS build working.
const importMeshopt = () => import('meshoptimizer');
type MeshoptCodecs = Pick<
  Awaited<ReturnType<typeof importMeshopt>>,
  'MeshoptEncoder' | 'MeshoptDecoder' | 'MeshoptSimplifier'
>;

let meshoptLoaded: Promise<MeshoptCodecs> | undefined;

/** The meshopt encoder, decoder and simplifier (WebAssembly), loaded and ready once per thread. */
export function loadMeshopt(): Promise<MeshoptCodecs> {
  meshoptLoaded ??= importMeshopt().then(async ({ MeshoptEncoder, MeshoptDecoder, MeshoptSimplifier }) => {
    await Promise.all([MeshoptEncoder.ready, MeshoptDecoder.ready, MeshoptSimplifier.ready]);
    return { MeshoptEncoder, MeshoptDecoder, MeshoptSimplifier };
  });
  return meshoptLoaded;
}

/** A NodeIO that reads and writes every extension, meshopt-compressed buffers included. */
export async function createGlbIO(): Promise<NodeIO> {
  const { MeshoptEncoder, MeshoptDecoder } = await loadMeshopt();
  return new NodeIO()
    .registerExtensions(ALL_EXTENSIONS)
    .registerDependencies({ 'meshopt.encoder': MeshoptEncoder, 'meshopt.decoder': MeshoptDecoder });
}

/** gltf-transform's messages, kept instead of printed (the caller decides what to log). */
class CollectingLogger implements ILogger {
  readonly lines: string[] = [];
  debug(): void {}
  info(): void {}
  warn(text: string): void {
    this.lines.push(text);
  }
  error(text: string): void {
    this.lines.push(text);
  }
}

export interface GlbOptimised {
  bytes: Uint8Array;
  /** The small level of detail (options.lod), when asked for. */
  lodBytes?: Uint8Array;
  textures: number;
  /** gltf-transform's warnings (e.g. attributes it left unquantised). */
  notes: string[];
}

/**
 * Source GLB bytes -> web GLB bytes: dedup, prune, weld, textures to WebP (resized to fit
 * maxTextureSize), then meshopt: reorder + quantise (KHR_mesh_quantization) + EXT_meshopt_compression.
 * With options.lod, also the LOD (makeLod) from the same welded document, read once.
 * Synchronous work of seconds on a large model: call it off the main thread (WorkerGlbOptimizer).
 */
export async function optimiseGlb(
  source: Uint8Array,
  options: GlbOptimiseOptions = DEFAULT_OPTIMISE_OPTIONS,
): Promise<GlbOptimised> {
  const io = await createGlbIO();
  const { MeshoptEncoder } = await loadMeshopt();
  const document: Document = await io.readBinary(source);
  const logger = new CollectingLogger();
  document.setLogger(logger);
  await document.transform(dedup(), prune(), weld());
  // Cloned before the web model's lossy steps: the LOD is simplified from full-precision data.
  const lodSource = options.lod ? cloneDocument(document) : undefined;
  await document.transform(...webEncoding(MeshoptEncoder, { ...options, meshoptLevel: 'medium' }));
  const bytes = await io.writeBinary(document);
  let lodBytes: Uint8Array | undefined;
  if (lodSource && options.lod) {
    lodSource.setLogger(logger);
    lodBytes = await io.writeBinary(await makeLod(lodSource, options.lod));
  }
  return {
    bytes,
    lodBytes,
    textures: document.getRoot().listTextures().length,
    notes: logger.lines,
  };
}

/**
 * A document (welded, deduplicated) -> its small level of detail, in place: meshoptimizer's
 * simplifier aiming for `ratio` of the vertices within `error` of the radius (gltf-transform
 * `simplify`, which welds first), textures resized to `maxTextureSize` WebP, then the web
 * model's meshopt compression. The simplifier only collapses edges onto existing vertices, so
 * the LOD lies within the model's bounds (the viewer swaps them without moving the camera).
 */
export async function makeLod(document: Document, options: LodOptions): Promise<Document> {
  const { MeshoptEncoder, MeshoptSimplifier } = await loadMeshopt();
  await document.transform(
    weld(),
    simplify({ simplifier: MeshoptSimplifier, ratio: options.ratio, error: options.error }),
    prune(),
    ...webEncoding(MeshoptEncoder, options),
  );
  return document;
}

/**
 * The encoding the web model and its LOD share: textures as WebP, resized to fit
 * `maxTextureSize` (never enlarged), then meshopt compression at `meshoptLevel` (the web model:
 * 'medium', quantisation without meshopt's lossy filters; the LOD: LodOptions.meshoptLevel).
 */
function webEncoding(
  encoder: MeshoptCodecs['MeshoptEncoder'],
  options: { maxTextureSize: number; webpQuality: number; meshoptLevel: LodOptions['meshoptLevel'] },
): Transform[] {
  return [
    textureCompress({
      encoder: sharp,
      targetFormat: 'webp',
      resize: [options.maxTextureSize, options.maxTextureSize],
      quality: options.webpQuality,
    }),
    meshopt({ encoder, level: options.meshoptLevel }),
  ];
}
