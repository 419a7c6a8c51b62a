import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toTaskView } from './task-snapshot';

void describe('toTaskView', () => {
  void it('turns stored paths into absolute URLs for the reader and orders fields', () => {
    const view = toTaskView(
      {
        updated_at: 'u',
        generation_time: 3.5,
        download_path: '/static/x.source.glb',
        model_path: '/static/x.glb',
        model_id: '3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90',
        status: 'completed',
        created_at: 'c',
        task_id: 'x',
      },
      'https://api.example.com',
    );
    assert.deepEqual(Object.keys(view), [
      'task_id',
      'kind',
      'status',
      'model_url',
      'download_url',
      'share_url',
      'formats',
      'generation_time',
      'created_at',
      'updated_at',
    ]);
    assert.equal(view.model_url, 'https://api.example.com/static/x.glb');
    assert.equal(view.download_url, 'https://api.example.com/static/x.source.glb');
    assert.equal('model_path' in view, false);
    // The share page names the model, never the task (a share link tells nothing of who made it).
    assert.equal(view.share_url, 'https://api.example.com/m/3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90');
    assert.equal('model_id' in view, false);
    // A task stored without a kind (every generation, and any task from before texturing) is one.
    assert.equal(view.kind, 'generate');
    assert.equal(
      toTaskView(
        { task_id: 'y', kind: 'texture', status: 'queued', created_at: 'c', updated_at: 'u' },
        'https://a.example',
      ).kind,
      'texture',
    );
    // A completed task offers every format of its model, by the task's own download route.
    assert.deepEqual(
      view.formats?.map((offer) => offer.url),
      ['glb', 'obj', 'stl', '3mf', 'ply', 'usdz'].map(
        (format) => `https://api.example.com/api/tasks/x/download?format=${format}`,
      ),
    );
  });

  void it('offers no formats and no share page before a task is completed', () => {
    for (const status of ['queued', 'processing', 'failed'] as const) {
      const view = toTaskView(
        { task_id: 'x', status, created_at: 'c', updated_at: 'u' },
        'https://a.example',
      );
      assert.equal(view.formats, undefined, status);
      assert.equal(view.share_url, undefined, status);
    }
  });
});
