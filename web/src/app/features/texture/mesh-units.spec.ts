import { PLAUSIBLE_MM, doubtUnits } from './mesh-units';

describe('doubtUnits', () => {
  it('takes a size from 1 mm to 10 m in the units chosen, bounds included', () => {
    expect(doubtUnits([20, 40, 15], 'mm')).toBeUndefined();
    expect(doubtUnits([0.02, 0.04, 0.015], 'm')).toBeUndefined();
    expect(doubtUnits([1, 0.5, 0.2], 'mm')).toBeUndefined(); // 1 mm
    expect(doubtUnits([10, 2, 3], 'm')).toBeUndefined(); // 10 m
    expect(doubtUnits([3, 2, 1], 'in')).toBeUndefined(); // 76.2 mm
    expect(PLAUSIBLE_MM).toEqual({ min: 1, max: 10_000 });
  });

  it('doubts a part drawn in millimetres sent as metres (40 m), and offers millimetres', () => {
    expect(doubtUnits([20, 40, 15], 'm')).toEqual({ kind: 'large', longest: 40, likely: 'mm' });
    expect(doubtUnits([2000, 400, 150], 'cm')).toEqual({ kind: 'large', longest: 2000, likely: 'mm' });
    expect(doubtUnits([500, 10, 10], 'in')).toEqual({ kind: 'large', longest: 500, likely: 'mm' });
  });

  it('doubts a model in metres sent as millimetres (0.04 mm), and offers metres', () => {
    expect(doubtUnits([0.02, 0.04, 0.015], 'mm')).toEqual({ kind: 'small', longest: 0.04, likely: 'm' });
    expect(doubtUnits([0.02, 0.04, 0.015], 'cm')).toEqual({ kind: 'small', longest: 0.04, likely: 'm' });
  });

  it('offers nothing when no guess makes it plausible, or the guess is the units chosen', () => {
    expect(doubtUnits([40_000, 10, 10], 'mm')).toEqual({ kind: 'large', longest: 40_000, likely: undefined });
    expect(doubtUnits([5e7, 1, 1], 'm')).toEqual({ kind: 'large', longest: 5e7, likely: undefined });
    expect(doubtUnits([1e-4, 1e-4, 1e-4], 'm')).toEqual({ kind: 'small', longest: 1e-4, likely: undefined });
    expect(doubtUnits([1e-7, 1e-7, 1e-7], 'mm')).toEqual({ kind: 'small', longest: 1e-7, likely: undefined });
  });

  it('judges nothing of a mesh with no extent', () => {
    expect(doubtUnits([0, 0, 0], 'm')).toBeUndefined();
    expect(doubtUnits([Number.NaN, 1, 1], 'm')).toBeUndefined();
  });
});
