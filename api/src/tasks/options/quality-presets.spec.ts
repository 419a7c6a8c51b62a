import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unavailableQualityMessage } from './quality-presets.service';

void describe('the 422 message of a preset that does not fit', () => {
  void it('names the preset, its measured time, the limit and what is still offered', () => {
    assert.equal(
      unavailableQualityMessage('high', { quality: 'high', measuredS: 212.4 }, 180, ['fast', 'balanced']),
      'Unavailable quality: high takes about 212 s here, over the 180 s job limit; use fast or balanced',
    );
  });

  void it('says seconds under 10 with one decimal', () => {
    assert.equal(
      unavailableQualityMessage('high', { quality: 'high', measuredS: 1.04 }, 1, ['fast']),
      'Unavailable quality: high takes about 1.0 s here, over the 1 s job limit; use fast',
    );
  });

  void it('says when a faster preset decided it, and "too close to" under the limit', () => {
    assert.equal(
      unavailableQualityMessage('high', { quality: 'balanced', measuredS: 170 }, 180, ['fast']),
      'Unavailable quality: high (balanced already takes about 170 s here, too close to the 180 s job limit); ' +
        'use fast',
    );
  });

  void it('says so when nothing fits', () => {
    assert.match(
      unavailableQualityMessage('fast', { quality: 'fast', measuredS: 200 }, 180, []),
      /; no quality fits this job limit here \(the owner can raise JOB_TIMEOUT_S\)$/,
    );
  });
});
