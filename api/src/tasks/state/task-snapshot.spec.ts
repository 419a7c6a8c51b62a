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
        status: 'completed',
        created_at: 'c',
        task_id: 'x',
      },
      'https://api.example.com',
    );
    assert.deepEqual(Object.keys(view), [
      'task_id',
      'status',
      'model_url',
      'download_url',
      'formats',
      'generation_time',
      'created_at',
      'updated_at',
    ]);
    assert.equal(view.model_url, 'https://api.example.com/static/x.glb');
    assert.equal(view.download_url, 'https://api.example.com/static/x.source.glb');
    assert.equal('model_path' in view, false);
  });
});
