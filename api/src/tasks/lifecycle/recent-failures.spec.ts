import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countFailures } from './recent-failures';

void describe('recent failures by kind', () => {
  void it('counts each code over the day, and those after the hour mark over the hour, most first', () => {
    const hourFrom = 1_000;
    const counts = countFailures(
      [
        { member: '500:generation_timeout:t1', at: 500 },
        { member: '1500:task_cancelled:t2', at: 1_500 },
        { member: '1600:generation_timeout:t3', at: 1_600 },
        { member: '900:gpu_out_of_memory:t4', at: 900 },
        { member: '2000:task_cancelled:t5', at: 2_000 },
        { member: '2100:generation_timeout:t6', at: 2_100 },
      ],
      hourFrom,
    );
    assert.deepEqual(counts, [
      { code: 'generation_timeout', last_hour: 2, last_day: 3 },
      { code: 'task_cancelled', last_hour: 2, last_day: 2 },
      { code: 'gpu_out_of_memory', last_hour: 0, last_day: 1 },
    ]);
  });

  void it('nothing recorded: no counts', () => {
    assert.deepEqual(countFailures([], 0), []);
  });
});
