import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../common/api-error';
import { DEFAULT_TEXTURE_OPTIONS, parseTextureOptions } from './texture-options';

void describe('parseTextureOptions', () => {
  void it("fills upstream's defaults for no fields and empty ones", () => {
    assert.deepEqual(DEFAULT_TEXTURE_OPTIONS, {
      seed: 42,
      texture_size: 2048,
      texture_resolution: 1024,
      units: 'm',
    });
    assert.deepEqual(parseTextureOptions(undefined), DEFAULT_TEXTURE_OPTIONS);
    assert.deepEqual(
      parseTextureOptions({ seed: '', callback_url: 'https://example.com/hook' }),
      DEFAULT_TEXTURE_OPTIONS,
    );
  });

  void it('takes each valid value', () => {
    assert.deepEqual(
      parseTextureOptions({ seed: '9', texture_size: '4096', texture_resolution: '512', units: 'mm' }),
      { seed: 9, texture_size: 4096, texture_resolution: 512, units: 'mm' },
    );
    for (const units of ['m', 'cm', 'mm', 'in']) assert.equal(parseTextureOptions({ units }).units, units);
  });

  const bad: [Record<string, unknown>, string][] = [
    [{ texture_resolution: '768' }, 'Invalid texture_resolution: one of 512, 1024'],
    [{ texture_resolution: ['512', '1024'] }, 'Invalid texture_resolution: send it once'],
    [{ seed: '0' }, 'Invalid seed: an integer from 1 to 2147483647'],
    [{ units: 'ft' }, 'Invalid units: one of m, cm, mm, in'],
    [{ units: 'MM' }, 'Invalid units: one of m, cm, mm, in'],
    [{ units: ['mm', 'mm'] }, 'Invalid units: send it once'],
    [{ texture_size: '512' }, 'Invalid texture_size: one of 1024, 2048, 4096'],
    // A generation's option is no texturing option: said, not silently dropped.
    [
      { quality: 'fast' },
      'Invalid quality: not a field of this request; its fields are seed, texture_size, texture_resolution, units, callback_url',
    ],
  ];
  for (const [fields, message] of bad) {
    void it(`refuses ${JSON.stringify(fields)} with 400 "${message}"`, () => {
      assert.throws(
        () => parseTextureOptions(fields),
        (error: unknown) =>
          error instanceof ApiError &&
          error.status === 400 &&
          error.code === 'invalid_option' &&
          error.message === message,
      );
    });
  }
});
