import { isModelId, isTaskId, modelIdFromUrl, pageLink, toSameOriginPath } from './model-url';

const ID_A = '0b6f3c2e-1d1a-4c1e-9a51-2f8d1b7e4c3a';

describe('modelIdFromUrl', () => {
  it('reads the model id from absolute or relative model URLs', () => {
    expect(modelIdFromUrl(`https://x.example/static/${ID_A}.glb`)).toBe(ID_A);
    expect(modelIdFromUrl(`/static/${ID_A.toUpperCase()}.glb`)).toBe(ID_A);
    expect(modelIdFromUrl(`/static/${ID_A}.source.glb`)).toBeUndefined();
    expect(modelIdFromUrl('/static/../etc.glb')).toBeUndefined();
  });
});

describe('isModelId', () => {
  it('accepts a UUID in either case and nothing else', () => {
    expect(isModelId(ID_A)).toBe(true);
    expect(isModelId(ID_A.toUpperCase())).toBe(true);
    expect(isModelId(`${ID_A}x`)).toBe(false);
    expect(isModelId('not-a-model')).toBe(false);
  });
});

describe('toSameOriginPath', () => {
  it('strips the origin from static URLs only', () => {
    expect(toSameOriginPath('https://a.example/static/x.glb')).toBe('/static/x.glb');
    expect(toSameOriginPath('/static/x.glb')).toBe('/static/x.glb');
    expect(toSameOriginPath('https://a.example/other/x.glb')).toBe('https://a.example/other/x.glb');
  });
});

describe('pageLink', () => {
  it('names PUBLIC_BASE_URL when the server has one (with or without a trailing slash), else this origin', () => {
    expect(pageLink(`/m/${ID_A}`, 'https://3d.example.com/')).toBe(`https://3d.example.com/m/${ID_A}`);
    expect(pageLink(`/t/${ID_A}`, 'https://3d.example.com')).toBe(`https://3d.example.com/t/${ID_A}`);
    expect(pageLink(`/m/${ID_A}`)).toBe(`${location.origin}/m/${ID_A}`);
    expect(pageLink(`/m/${ID_A}`, null)).toBe(`${location.origin}/m/${ID_A}`);
  });
});

describe('isTaskId', () => {
  it('a UUID in either case, nothing else', () => {
    expect(isTaskId(ID_A.toUpperCase())).toBe(true);
    expect(isTaskId('not-a-task')).toBe(false);
  });
});
