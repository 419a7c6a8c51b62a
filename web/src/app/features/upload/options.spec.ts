import { toChoice } from './upload-panel';

describe('toChoice (the options panel)', () => {
  const blank = { quality: 'balanced', seed: '', textureSize: '2048', faces: '' };

  it('sends what the panel holds, and nothing for blank numbers', () => {
    expect(toChoice(blank)).toEqual({ quality: 'balanced', texture_size: 2048 });
    expect(toChoice({ quality: 'high', seed: '7', textureSize: '4096', faces: '20000' })).toEqual({
      quality: 'high',
      seed: 7,
      texture_size: 4096,
      faces: 20000,
    });
  });

  it('leaves out what the server would refuse (it decides; the page never sends a bad value)', () => {
    expect(toChoice({ quality: 'ultra', seed: '0', textureSize: '512', faces: '5' })).toEqual({});
    expect(toChoice({ ...blank, seed: '1.5', faces: '2000000' })).toEqual({
      quality: 'balanced',
      texture_size: 2048,
    });
  });
});
