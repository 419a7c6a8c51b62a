import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../common/api-error';
import type { ModelDeliveryService } from '../storage/model-delivery.service';
import { formatDescription } from '../storage/model-formats';
import type { ModelStore } from '../storage/model-store';
import type { ModelOwnSize } from '../storage/model-units';
import type { TaskStore } from '../tasks/state/task-store.service';
import type { FormatBuildsService } from './format-builds.service';
import { ModelDownloadsService, defaultVariant, parseDownloadQuery } from './model-downloads.service';

function refusal(format: unknown, sizeMm: unknown): string {
  try {
    parseDownloadQuery(format, sizeMm);
  } catch (error) {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 400);
    assert.equal(error.code, 'invalid_option');
    return error.message;
  }
  assert.fail(`accepted format=${String(format)} size_mm=${String(sizeMm)}`);
}

void describe('download query', () => {
  void it("defaults to the GLB; a printing format's size, when not asked, is left to the model", () => {
    assert.deepEqual(parseDownloadQuery(undefined, undefined), { format: 'glb', sizeMm: undefined });
    assert.deepEqual(parseDownloadQuery('stl', undefined), { format: 'stl', sizeMm: undefined });
    assert.deepEqual(parseDownloadQuery('3mf', '250'), { format: '3mf', sizeMm: 250 });
    assert.deepEqual(parseDownloadQuery('usdz', undefined), { format: 'usdz', sizeMm: undefined });
  });

  void it('refuses an unknown or repeated format, naming the field', () => {
    for (const format of ['fbx', 'STL', '', ['stl', 'obj'], 'glb ']) {
      assert.equal(refusal(format, undefined), 'Invalid format: one of glb, obj, stl, 3mf, ply, usdz');
    }
  });

  void it('refuses a size out of bounds, not whole, or for a format that has none', () => {
    const rule = 'Invalid size_mm: a whole number of millimetres from 10 to 1000, for stl and 3mf only';
    for (const [format, size] of [
      ['stl', '9'],
      ['stl', '1001'],
      ['stl', '12.5'],
      ['3mf', '-20'],
      ['3mf', '1e2'],
      ['stl', ''],
      ['stl', ['100', '200']],
      ['obj', '100'],
      ['glb', '100'],
    ] as const) {
      assert.equal(refusal(format, size), rule, `${format} ${String(size)}`);
    }
  });
});

void describe('the variant of a download without size_mm', () => {
  const painted = { units: 'mm' as const, extent: [20, 40, 15] as [number, number, number] };

  void it("makes a generated model's printing formats at 100 mm, and its others as they are", () => {
    assert.deepEqual(defaultVariant('stl', undefined), { format: 'stl', sizeMm: 100 });
    assert.deepEqual(defaultVariant('3mf', undefined), { format: '3mf', sizeMm: 100 });
    assert.deepEqual(defaultVariant('usdz', undefined), { format: 'usdz', sizeMm: undefined });
  });

  void it("makes a painted model's printing formats at its own size, and its usdz in its units", () => {
    assert.deepEqual(defaultVariant('stl', painted), { format: 'stl', sizeMm: 'own', units: 'mm' });
    assert.deepEqual(defaultVariant('3mf', painted), { format: '3mf', sizeMm: 'own', units: 'mm' });
    assert.deepEqual(defaultVariant('usdz', painted), { format: 'usdz', sizeMm: undefined, units: 'mm' });
    // The OBJ and PLY keep the GLB's coordinates: no unit changes them.
    assert.deepEqual(defaultVariant('obj', painted), { format: 'obj', sizeMm: undefined });
    assert.deepEqual(defaultVariant('ply', painted), { format: 'ply', sizeMm: undefined });
  });
});

void describe("the formats list's descriptions name the model's units", () => {
  const MODEL = '0b8e5c1e-4a44-4c2b-9f0e-0c6a3c1b2d3e';

  /** GET /api/models/{MODEL}/formats over fakes: its source GLB exists, nothing made yet. */
  async function descriptions(ownSize: ModelOwnSize | undefined): Promise<Record<string, string>> {
    const service = new ModelDownloadsService(
      { ownSizeOf: () => Promise.resolve(ownSize) } as unknown as TaskStore,
      { stat: () => Promise.resolve({ size: 1234 }) } as unknown as ModelStore,
      {
        records: () => Promise.resolve(new Map()),
        isBuilding: () => Promise.resolve(false),
      } as unknown as FormatBuildsService,
      {} as ModelDeliveryService,
    );
    const list = await service.list(MODEL, 'http://kiln.test');
    return Object.fromEntries(list.formats.map((entry) => [entry.format, entry.description]));
  }

  void it("says metres for a generated model's GLB, OBJ, PLY and USDZ, millimetres for STL and 3MF", async () => {
    const said = await descriptions(undefined);
    for (const format of ['glb', 'obj', 'ply', 'usdz']) assert.match(said[format], /\(metres, Y up/, format);
    for (const format of ['stl', '3mf'])
      assert.match(said[format], /^(binary STL|3MF) in millimetres/, format);
    assert.equal(said['glb'], "the engine's original glTF binary (metres, Y up), for editing tools");
  });

  void it("says a painted model's own units for the formats that keep its coordinates (an mm mesh's GLB is in mm)", async () => {
    const mm = await descriptions({ units: 'mm', extent: [20, 40, 15] });
    assert.equal(mm['glb'], "the engine's original glTF binary (millimetres, Y up), for editing tools");
    assert.equal(mm['obj'], 'a zip of the Wavefront OBJ, its MTL and its texture images (millimetres, Y up)');
    assert.equal(mm['ply'], 'binary PLY with vertex colours sampled from the texture (millimetres, Y up)');
    assert.match(mm['usdz'], /\(millimetres, Y up, declared as its metersPerUnit\)$/);
    for (const text of Object.values(mm)) assert.doesNotMatch(text, /\bmetres\b/);
    // The printing formats are made in millimetres whatever the mesh's unit.
    assert.equal(mm['stl'], formatDescription('stl', 'in'));

    const inches = await descriptions({ units: 'in', extent: [1, 2, 3] });
    for (const format of ['glb', 'obj', 'ply', 'usdz'])
      assert.match(inches[format], /\(inches, Y up/, format);
    const cm = await descriptions({ units: 'cm', extent: [1, 2, 3] });
    assert.match(cm['glb'], /\(centimetres, Y up\)/);
    const metres = await descriptions({ units: 'm', extent: [0.02, 0.04, 0.015] });
    assert.deepEqual(metres, await descriptions(undefined));
  });

  void it("says in the OpenAPI document that the unit is a painted mesh's own", () => {
    assert.equal(
      formatDescription('glb'),
      "the engine's original glTF binary (metres, or a painted mesh's own units, Y up), for editing tools",
    );
  });
});
