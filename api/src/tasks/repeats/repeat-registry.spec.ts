import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../config/app-config';
import { DEFAULT_OPTIONS } from '../options/generation-options';
import { RepeatRegistry } from './repeat-registry';

void describe('RepeatRegistry.keyOf', () => {
  const png = Buffer.from('normalised png bytes');
  const base = RepeatRegistry.keyOf(png, 'trellis2', DEFAULT_OPTIONS);

  void it('is the same for the same picture, engine and options', () => {
    assert.equal(RepeatRegistry.keyOf(Buffer.from(png), 'trellis2', { ...DEFAULT_OPTIONS }), base);
    assert.match(base, /^[0-9a-f]{64}$/);
  });

  void it('differs with the engine, any option, or the picture', () => {
    const others = [
      RepeatRegistry.keyOf(png, 'inflate', DEFAULT_OPTIONS),
      RepeatRegistry.keyOf(png, 'trellis2', { ...DEFAULT_OPTIONS, quality: 'high' }),
      RepeatRegistry.keyOf(png, 'trellis2', { ...DEFAULT_OPTIONS, seed: 43 }),
      RepeatRegistry.keyOf(png, 'trellis2', { ...DEFAULT_OPTIONS, texture_size: 4096 }),
      RepeatRegistry.keyOf(png, 'trellis2', { ...DEFAULT_OPTIONS, faces: 100_000 }),
      RepeatRegistry.keyOf(Buffer.from('another picture'), 'trellis2', DEFAULT_OPTIONS),
    ];
    assert.equal(new Set([base, ...others]).size, others.length + 1);
  });
});

void describe('INSTANT_REPEATS', () => {
  void it('is on by default, on or off when set, and refuses anything else naming the variable', () => {
    assert.equal(loadConfig({}, '/').instantRepeats, true);
    assert.equal(loadConfig({ INSTANT_REPEATS: 'off' }, '/').instantRepeats, false);
    assert.throws(
      () => loadConfig({ INSTANT_REPEATS: 'yes' }, '/'),
      /INSTANT_REPEATS must be true or false \(or on\/off\)/,
    );
  });
});
