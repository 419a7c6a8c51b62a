import { textureChoice } from './home-page';

describe('textureChoice', () => {
  it('keeps what POST /api/texture takes (seed, texture size, units) and drops what makes a model', () => {
    expect(textureChoice({ quality: 'high', seed: 9, texture_size: 4096, faces: 20000 }, 'mm')).toEqual({
      seed: 9,
      texture_size: 4096,
      units: 'mm',
    });
    expect(textureChoice({ quality: 'balanced' }, 'm')).toEqual({ units: 'm' });
  });
});
