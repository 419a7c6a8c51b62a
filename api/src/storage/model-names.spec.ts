import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isServableModelName, isTaskId, sharePageModelId, sharePagePath } from './model-names';

void describe('servable model names', () => {
  const id = '3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90';
  void it('accepts {uuid v4}.glb, .lod.glb and .source.glb only', () => {
    assert.equal(isServableModelName(`${id}.glb`), true);
    assert.equal(isServableModelName(`${id}.source.glb`), true);
    assert.equal(isServableModelName(`${id}.lod.glb`), true);
  });
  for (const name of [
    `${id}.gltf`,
    `${id}.png`,
    `${id.toUpperCase()}.glb`,
    '3f0c2a4e-8d1b-1c6e-9a7f-2b5d8e1c4a90.glb',
    `../${id}.glb`,
    `${id}.glb/`,
    `x${id}.glb`,
    `${id}.other.glb`,
    `${id}.lod.source.glb`,
    '.work',
    '',
    '..',
    '%2e%2e%2fetc%2fpasswd',
  ]) {
    void it(`refuses ${JSON.stringify(name)}`, () => assert.equal(isServableModelName(name), false));
  }
  void it('knows a task id', () => {
    assert.equal(isTaskId(id), true);
    assert.equal(isTaskId('nope'), false);
  });
});

void describe('the share page path', () => {
  const id = '3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90';
  void it('reads back the id sharePagePath wrote, with or without one trailing slash', () => {
    assert.equal(sharePageModelId(sharePagePath(id)), id);
    assert.equal(sharePageModelId(`${sharePagePath(id)}/`), id);
    assert.equal(sharePageModelId('/m/not-a-model'), 'not-a-model');
  });
  for (const path of ['/', '/m', '/m/', '/m//', `/m/${id}/extra`, `/x/m/${id}`, `/history`, `/m${id}`]) {
    void it(`finds no share page in ${JSON.stringify(path)}`, () =>
      assert.equal(sharePageModelId(path), undefined));
  }
});
