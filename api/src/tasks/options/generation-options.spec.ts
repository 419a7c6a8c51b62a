import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../common/api-error';
import { DEFAULT_OPTIONS, parseGenerationOptions } from './generation-options';

void describe('parseGenerationOptions', () => {
  void it('fills every default for no fields and empty fields; takes the webhook field as no option', () => {
    assert.deepEqual(parseGenerationOptions(undefined), DEFAULT_OPTIONS);
    assert.deepEqual(parseGenerationOptions({ quality: '', seed: ' ' }), DEFAULT_OPTIONS);
    assert.deepEqual(parseGenerationOptions({ callback_url: 'https://example.com/hook' }), DEFAULT_OPTIONS);
    assert.deepEqual(DEFAULT_OPTIONS, { quality: 'balanced', seed: 42, texture_size: 2048, faces: 500_000 });
  });

  void it('takes each valid value', () => {
    assert.deepEqual(
      parseGenerationOptions({ quality: 'high', seed: '7', texture_size: '4096', faces: '10000' }),
      {
        quality: 'high',
        seed: 7,
        texture_size: 4096,
        faces: 10_000,
      },
    );
    assert.equal(parseGenerationOptions({ seed: '2147483647' }).seed, 2_147_483_647);
    assert.equal(parseGenerationOptions({ faces: '1000000' }).faces, 1_000_000);
  });

  const bad: [Record<string, unknown>, string][] = [
    [{ quality: 'ultra' }, 'Invalid quality: one of fast, balanced, high'],
    [{ quality: ['fast', 'high'] }, 'Invalid quality: send it once'],
    [{ seed: '0' }, 'Invalid seed: an integer from 1 to 2147483647'],
    [{ seed: '-3' }, 'Invalid seed: an integer from 1 to 2147483647'],
    [{ seed: '1.5' }, 'Invalid seed: an integer from 1 to 2147483647'],
    [{ seed: '2147483648' }, 'Invalid seed: an integer from 1 to 2147483647'],
    [{ seed: '1e3' }, 'Invalid seed: an integer from 1 to 2147483647'],
    [{ texture_size: '512' }, 'Invalid texture_size: one of 1024, 2048, 4096'],
    [{ texture_size: 'big' }, 'Invalid texture_size: one of 1024, 2048, 4096'],
    [{ faces: '9999' }, 'Invalid faces: an integer from 10000 to 1000000'],
    [{ faces: '1000001' }, 'Invalid faces: an integer from 10000 to 1000000'],
    // A typo is said, not dropped for the default (a studio's script sent texure_size for weeks).
    [
      { texure_size: '1024' },
      'Invalid texure_size: not a field of this request; its fields are quality, seed, texture_size, faces, callback_url',
    ],
    [
      { ['x'.repeat(60)]: '1' },
      `Invalid ${'x'.repeat(40)}…: not a field of this request; its fields are quality, seed, texture_size, faces, callback_url`,
    ],
  ];
  for (const [fields, message] of bad) {
    void it(`refuses ${JSON.stringify(fields)} with 400 "${message}"`, () => {
      assert.throws(
        () => parseGenerationOptions(fields),
        (error: unknown) => error instanceof ApiError && error.status === 400 && error.message === message,
      );
    });
  }
});
