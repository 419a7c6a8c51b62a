import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type DurationSamples,
  FIT_SHARE,
  MIN_FIT_JOBS,
  defaultDurationS,
  estimateDurations,
  meanDuration,
  meanOfAllJobs,
  presetFits,
  retryAfterSeconds,
} from './job-durations';

const samples = (
  byQuality: Partial<DurationSamples['byQuality']>,
  texture: number[] = [],
): DurationSamples => ({
  profile: 'trellis2 on cuda:0 (NVIDIA GeForce RTX 4090)',
  byQuality: { fast: [], balanced: [], high: [], ...byQuality },
  texture,
});

void describe('job durations', () => {
  void it('uses the fallback before any job ran', () => {
    assert.equal(meanDuration([], 60), 60);
    assert.equal(meanDuration([Number.NaN], 60), 60);
  });

  void it('is the mean of recent durations', () => {
    assert.equal(meanDuration([10, 20, 30], 60), 20);
    assert.equal(meanDuration([12.4, Number.NaN, -1], 60), 12.4);
  });

  void it('expects a texturing job from its own samples, else from any generation', () => {
    assert.equal(estimateDurations(samples({ fast: [1, 1] }, [20, 40]), 60).texture, 30);
    assert.equal(estimateDurations(samples({ fast: [1, 3] }), 60).texture, 2);
    assert.equal(estimateDurations(samples({}), 60).texture, 60);
    // A texturing job is no generation: the presets' figures stay their own.
    assert.equal(estimateDurations(samples({ fast: [1, 1] }, [40]), 60).any, 1);
  });

  void it("one slot is the mean of every kept job of either kind (a refusal's Retry-After)", () => {
    assert.equal(meanOfAllJobs(samples({ fast: [1, 1], high: [4] }, [34]), 60), 10);
    assert.equal(meanOfAllJobs(samples({}, [12]), 60), 12);
    assert.equal(meanOfAllJobs(samples({}), 60), 60);
  });

  void it('bounds Retry-After to 1..600 s', () => {
    assert.equal(retryAfterSeconds(0.2), 1);
    assert.equal(retryAfterSeconds(41.1), 42);
    assert.equal(retryAfterSeconds(5000), 600);
  });

  void it('assumes simulate takes SIMULATE_SECONDS and real engines a minute', () => {
    assert.equal(defaultDurationS('simulate', 30), 30);
    assert.equal(defaultDurationS('auto', 30), 60);
  });
});

void describe('ETA per quality (estimateDurations)', () => {
  void it('each measured quality by its own mean; an unmeasured one by the mean of every job', () => {
    const estimates = estimateDurations(samples({ fast: [20, 30], balanced: [60] }), 99);
    assert.deepEqual(estimates, {
      byQuality: { fast: 25, balanced: 60, high: 110 / 3 },
      any: 110 / 3,
      texture: 110 / 3,
    });
  });

  void it('before any job: the fallback for every quality', () => {
    assert.deepEqual(estimateDurations(samples({}), 42), {
      byQuality: { fast: 42, balanced: 42, high: 42 },
      any: 42,
      texture: 42,
    });
  });
});

void describe('which presets fit the job limit (presetFits)', () => {
  const limit = 180;

  void it('offers every preset before enough jobs were measured', () => {
    const fits = presetFits(samples({ high: [180] }).byQuality, limit);
    assert.equal(MIN_FIT_JOBS, 2);
    assert.deepEqual(
      Object.values(fits).map((f) => f.offered),
      [true, true, true],
      'one timed-out job (a hang?) refuses nothing',
    );
    assert.equal(fits.high.jobs, 1);
    assert.equal(fits.high.measuredS, null);
  });

  void it(`refuses a preset whose mean reaches ${FIT_SHARE} of the limit`, () => {
    const fits = presetFits(
      samples({ fast: [20, 22], balanced: [70, 80], high: [180, 150] }).byQuality,
      limit,
    );
    assert.deepEqual([fits.fast.offered, fits.balanced.offered, fits.high.offered], [true, true, false]);
    assert.deepEqual(fits.high.refusedBy, { quality: 'high', measuredS: 165 });
    const under = presetFits(samples({ high: [161, 161] }).byQuality, limit);
    assert.equal(under.high.offered, true, '161 s < 162 s');
  });

  void it('a slower preset is refused with a faster one that does not fit', () => {
    const fits = presetFits(samples({ balanced: [170, 172] }).byQuality, limit);
    assert.deepEqual([fits.fast.offered, fits.balanced.offered, fits.high.offered], [true, false, false]);
    assert.deepEqual(fits.high.refusedBy, { quality: 'balanced', measuredS: 171 });
  });

  void it('the fastest preset is refused only at the limit itself (jobs that mostly fit beat none); slower ones at the margin', () => {
    const close = presetFits(samples({ fast: [170, 172] }).byQuality, limit);
    assert.deepEqual([close.fast.offered, close.balanced.offered, close.high.offered], [true, false, false]);
    assert.deepEqual(close.balanced.refusedBy, { quality: 'fast', measuredS: 171 });
    const over = presetFits(samples({ fast: [180, 181] }).byQuality, limit);
    assert.deepEqual(over.fast.refusedBy, { quality: 'fast', measuredS: 180.5 });
    assert.equal(over.high.offered, false);
  });

  void it('the limit decides: a raised JOB_TIMEOUT_S offers the preset again', () => {
    const byQuality = samples({ high: [180, 180] }).byQuality;
    assert.equal(presetFits(byQuality, 180).high.offered, false);
    assert.equal(presetFits(byQuality, 300).high.offered, true);
  });
});
