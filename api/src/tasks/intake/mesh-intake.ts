import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '../../common/api-error';
import { WaitingBudget, retryAfterWait } from '../../common/waiting-budget';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { lastJsonLine, runPythonTool } from '../../common/tool-output';

/** A mesh the intake accepted: its canonical GLB (what the engine gets) and what was measured of it. */
export interface IntakeMesh {
  /**
   * One triangle mesh, POSITION (float32) and indices (uint32) only, node transforms applied, no
   * compression (proto GenerateRequest.mesh): written by the intake tool.
   */
  glb: Buffer;
  /** The upload's format, judged by content. */
  format: 'glb' | 'obj' | 'ply';
  /** Triangles after triangulation: the count the textured model keeps. */
  triangles: number;
  vertices: number;
  /** Axis-aligned bounds of the used vertices, in the mesh's own units. */
  bboxMin: [number, number, number];
  bboxMax: [number, number, number];
}

/**
 * Reads an uploaded mesh into its canonical GLB. Abstract so tests can swap it (Nest injects the
 * class as the token); the real one is PythonMeshReader.
 */
export abstract class MeshReader {
  /**
   * The canonical mesh of `upload` (at most `maxFaces` triangles). Rejects with ApiError for a
   * refused upload (400 unsupported_mesh; 422 mesh_no_faces, mesh_not_finite, mesh_too_many_faces,
   * mesh_compressed), with a plain Error when the reader itself failed (a crash, its time limit).
   */
  abstract read(upload: Buffer, maxFaces: number): Promise<IntakeMesh>;
}

/** Exit status of the intake tool for a refused upload (one JSON line {code, message, ...}). */
const REFUSED = 3;

const isTriple = (value: unknown): value is [number, number, number] =>
  Array.isArray(value) &&
  value.length === 3 &&
  value.every((v) => typeof v === 'number' && Number.isFinite(v));

/**
 * The intake tool's refusal as the contract's error; a code it does not know is the tool's own
 * failure (Error), never a guess at the user's fault.
 */
export function refusalError(report: Record<string, unknown>, maxFaces: number): ApiError | Error {
  // The tool's own words (which reader failed, and how) go to the log as the error's cause, never
  // into the answer.
  const cause = typeof report.message === 'string' ? new Error(report.message.slice(0, 500)) : undefined;
  switch (report.code) {
    case 'unsupported_mesh':
      return new ApiError('unsupported_mesh', { cause });
    case 'mesh_no_faces':
      return new ApiError('mesh_no_faces', { cause });
    case 'mesh_not_finite':
      return new ApiError('mesh_not_finite', { cause });
    case 'mesh_too_many_faces': {
      const faces = typeof report.faces === 'number' ? report.faces : maxFaces + 1;
      return new ApiError('mesh_too_many_faces', { params: { faces, max_faces: maxFaces }, cause });
    }
    case 'mesh_compressed': {
      const extension = typeof report.extension === 'string' ? report.extension : 'unknown extension';
      return new ApiError('mesh_compressed', { params: { extension }, cause });
    }
    default:
      return new Error(
        `the mesh intake tool refused with an unknown code: ${JSON.stringify(report).slice(0, 300)}`,
      );
  }
}

/**
 * Runs the mesh intake tool of the sidecar's virtual environment (`python -m
 * kiln3d_inference.meshes`, inference/README.md: Meshes) once per upload, as a process of its own:
 * a hostile file, a crash or the time limit never touches the api. The upload goes to a private
 * temporary folder that is removed however the run ends. Contract: exit 0, one JSON line {format,
 * triangles, vertices, bbox_min, bbox_max} on stdout and the canonical GLB written; exit 3 and one
 * JSON line {code, message, ...} for a refused upload; anything else a failure.
 */
export class PythonMeshReader extends MeshReader {
  constructor(
    private readonly inferenceDir: string,
    private readonly timeoutMs: number,
  ) {
    super();
  }

  async read(upload: Buffer, maxFaces: number): Promise<IntakeMesh> {
    const dir = await mkdtemp(join(tmpdir(), 'kiln3d-mesh-'));
    try {
      const source = join(dir, 'upload');
      const target = join(dir, 'mesh.glb');
      await writeFile(source, upload);
      const report = await this.run(['--max-faces', String(maxFaces), source, target], maxFaces);
      const glb = await readFile(target);
      return { glb, ...report };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async run(args: string[], maxFaces: number): Promise<Omit<IntakeMesh, 'glb'>> {
    // One BLAS thread: one core per intake.
    const result = await runPythonTool(this.inferenceDir, 'kiln3d_inference.meshes', args, this.timeoutMs, {
      OMP_NUM_THREADS: '1',
      OPENBLAS_NUM_THREADS: '1',
    });
    if (result.timedOut) {
      throw new Error(
        `the mesh intake tool passed ${Math.round(this.timeoutMs / 1000)} s (MESH_INTAKE_TIMEOUT_S)`,
      );
    }
    if (result.exitCode === REFUSED) {
      const report = lastJsonLine(result.stdout) ?? lastJsonLine(result.stderr);
      if (report) throw refusalError(report, maxFaces);
    }
    const report = result.exitCode === 0 ? lastJsonLine(result.stdout) : undefined;
    if (
      report === undefined ||
      (report.format !== 'glb' && report.format !== 'obj' && report.format !== 'ply') ||
      typeof report.triangles !== 'number' ||
      typeof report.vertices !== 'number' ||
      !isTriple(report.bbox_min) ||
      !isTriple(report.bbox_max)
    ) {
      const how = result.signal ? `signal ${result.signal}` : `exit ${String(result.exitCode)}`;
      throw new Error(`the mesh intake tool failed (${how}): ${result.stderr.trim().slice(-500)}`);
    }
    return {
      format: report.format,
      triangles: report.triangles,
      vertices: report.vertices,
      bboxMin: report.bbox_min,
      bboxMax: report.bbox_max,
    };
  }
}

/**
 * The mesh half of POST /api/texture's intake: at most MESH_INTAKES meshes read at once in this
 * process (each one intake process, one core); a mesh that waited MESH_INTAKE_WAIT_S is refused
 * with 503 meshes_busy + Retry-After. The limit of faces is TEXTURE_MAX_FACES.
 */
@Injectable()
export class MeshIntake {
  private readonly budget: WaitingBudget;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reader: MeshReader,
  ) {
    this.budget = new WaitingBudget(
      config.meshIntakes,
      config.meshIntakeWaitMs,
      () => new ApiError('meshes_busy', { headers: retryAfterWait(config.meshIntakeWaitMs) }),
    );
  }

  /** The canonical mesh of `upload` (MeshReader.read's errors, and 503 meshes_busy). */
  read(upload: Buffer): Promise<IntakeMesh> {
    return this.budget.run(1, () => this.reader.read(upload, this.config.textureMaxFaces));
  }
}
