import {
  BoxGeometry,
  BufferAttribute,
  BufferGeometry,
  Group,
  InstancedMesh,
  Mesh,
  MeshBasicMaterial,
} from 'three';

import { translate } from '../../core/i18n/i18n';
import type { MessageKey } from '../../core/i18n/messages';
import { ModelFacts, countTriangles, describeModel } from './model-summary';

const en = (key: MessageKey, params?: Record<string, string | number>): string =>
  translate('en', key, params);
const zh = (key: MessageKey, params?: Record<string, string | number>): string =>
  translate('zh', key, params);

const READY: ModelFacts = {
  state: 'ready',
  ownMesh: false,
  pictureName: 'lantern.png',
  triangles: 123456,
  bytes: 2_400_000,
  downloadable: true,
  lod: false,
};

describe('model summary', () => {
  it('counts indexed, plain and instanced triangles', () => {
    const root = new Group();
    root.add(new Mesh(new BoxGeometry(), new MeshBasicMaterial())); // 12 triangles, indexed
    const plain = new BufferGeometry();
    plain.setAttribute('position', new BufferAttribute(new Float32Array(9 * 3), 3));
    root.add(new Mesh(plain, new MeshBasicMaterial())); // 3 triangles
    root.add(new InstancedMesh(new BoxGeometry(), new MeshBasicMaterial(), 5)); // 60
    expect(countTriangles(root)).toBe(75);
  });

  it('says what the model is, its triangles and file size, and how to download it', () => {
    expect(describeModel(READY, en, 'en')).toBe(
      'A 3D model made from the picture lantern.png. 123,456 triangles; 2.4 MB loaded for this view. ' +
        'To download it, use the Download button under the viewer (GLB, OBJ, STL, 3MF, PLY or USDZ).',
    );
    expect(describeModel({ ...READY, pictureName: undefined, downloadable: false }, en, 'en')).toBe(
      'A 3D model. 123,456 triangles; 2.4 MB loaded for this view.',
    );
    expect(describeModel({ ...READY, ownMesh: true }, zh, 'zh-CN')).toContain(
      '你的网格，按图片 lantern.png 上色',
    );
  });

  it("says one triangle in the singular, by the language's plural rules", () => {
    expect(describeModel({ ...READY, triangles: 1, downloadable: false }, en, 'en')).toBe(
      'A 3D model made from the picture lantern.png. 1 triangle; 2.4 MB loaded for this view.',
    );
    expect(describeModel({ ...READY, state: 'mesh', triangles: 1, bytes: undefined }, en, 'en')).toBe(
      'Your mesh, not painted yet. 1 triangle.',
    );
    expect(describeModel({ ...READY, triangles: 1, downloadable: false }, zh, 'zh-CN')).toContain(
      '模型。1 个三角形；',
    );
  });

  it('says when the small level of detail stands in for the full model', () => {
    expect(describeModel({ ...READY, lod: true, bytes: undefined, triangles: 2400 }, en, 'en')).toBe(
      'A 3D model made from the picture lantern.png. 2,400 triangles. ' +
        'Shown in lower detail while the full model loads. ' +
        'To download it, use the Download button under the viewer (GLB, OBJ, STL, 3MF, PLY or USDZ).',
    );
    expect(describeModel({ ...READY, lod: true }, zh, 'zh-CN')).toContain(
      '完整模型加载前，先以较低细节显示。',
    );
  });

  it('describes the preview and the grey mesh, and nothing while loading', () => {
    expect(describeModel({ ...READY, state: 'preview', bytes: undefined }, en, 'en')).toBe(
      'The shape made so far from the picture lantern.png; the finished model follows.',
    );
    expect(describeModel({ ...READY, state: 'mesh', ownMesh: true, bytes: undefined }, en, 'en')).toBe(
      'Your mesh, not painted yet. 123,456 triangles.',
    );
    expect(describeModel({ ...READY, state: 'loading' }, en, 'en')).toBe('');
  });
});
