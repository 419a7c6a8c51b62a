import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../common/api-error';
import { loadConfig } from '../../config/app-config';
import { type IntakeMesh, MeshIntake, MeshReader, refusalError } from './mesh-intake';

void describe('refusalError: the intake tool refusal codes as the contract errors', () => {
  const table: [Record<string, unknown>, number, string, string][] = [
    [{ code: 'unsupported_mesh' }, 400, 'unsupported_mesh', 'Unsupported mesh format, send GLB, OBJ or PLY'],
    [{ code: 'mesh_no_faces', what: 'point cloud' }, 422, 'mesh_no_faces', 'The mesh has no faces'],
    [{ code: 'mesh_not_finite' }, 422, 'mesh_not_finite', 'The mesh has NaN or infinite vertex positions'],
    [
      { code: 'mesh_too_many_faces', faces: 250_000, max_faces: 200_000 },
      422,
      'mesh_too_many_faces',
      'The mesh has 250000 faces, max 200000',
    ],
    [
      { code: 'mesh_compressed', extension: 'EXT_meshopt_compression' },
      422,
      'mesh_compressed',
      'Compressed GLB (EXT_meshopt_compression) not supported, export it without compression',
    ],
  ];
  for (const [report, status, code, message] of table) {
    void it(`${String(report.code)} -> ${status} ${code}`, () => {
      const error = refusalError(report, 200_000);
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, status);
      assert.equal(error.code, code);
      assert.equal(error.message, message);
    });
  }

  void it("keeps the tool's words as the cause, for the log, never in the answer", () => {
    const words = 'the OBJ cannot be read (IndexError: index 247 is out of bounds)';
    const error = refusalError({ code: 'unsupported_mesh', message: words }, 10);
    assert.ok(error instanceof ApiError);
    assert.equal((error.cause as Error).message, words);
    assert.doesNotMatch(JSON.stringify(error.body()), /IndexError/);
  });

  void it('an unknown code is the tool failing, never blamed on the upload', () => {
    const error = refusalError({ code: 'surprise' }, 10);
    assert.ok(!(error instanceof ApiError));
    assert.match(error.message, /unknown code/);
  });
});

/** A reader that holds every read until released, counting the reads running at once. */
class HeldReader extends MeshReader {
  running = 0;
  most = 0;
  private readonly releases: (() => void)[] = [];

  read(): Promise<IntakeMesh> {
    this.running++;
    this.most = Math.max(this.most, this.running);
    return new Promise((resolve) => {
      this.releases.push(() => {
        this.running--;
        resolve({
          glb: Buffer.alloc(0),
          format: 'glb',
          triangles: 1,
          vertices: 3,
          bboxMin: [0, 0, 0],
          bboxMax: [1, 1, 0],
        });
      });
    });
  }

  releaseAll(): void {
    for (const release of this.releases.splice(0)) release();
  }
}

void describe('MeshIntake: MESH_INTAKES at once, 503 meshes_busy after MESH_INTAKE_WAIT_S', () => {
  void it('runs one at a time by default and refuses one that waited too long, with Retry-After', async () => {
    const config = loadConfig({ INFERENCE_ENGINE: 'simulate', MESH_INTAKE_WAIT_S: '0.2' }, '/');
    const reader = new HeldReader();
    const intake = new MeshIntake(config, reader);
    const first = intake.read(Buffer.from('a'));
    const second = intake.read(Buffer.from('b'));
    await assert.rejects(second, (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 503);
      assert.equal(error.code, 'meshes_busy');
      assert.equal(error.headers['Retry-After'], '1');
      return true;
    });
    assert.equal(reader.most, 1);
    reader.releaseAll();
    await first;
    // The slot came back: the next read runs at once.
    const third = intake.read(Buffer.from('c'));
    await new Promise(setImmediate);
    assert.equal(reader.running, 1);
    reader.releaseAll();
    assert.equal((await third).triangles, 1);
  });
});
