import {
  BoxGeometry,
  CanvasTexture,
  Color,
  DataTexture,
  Mesh,
  MeshStandardMaterial,
  Scene,
  Texture,
  WebGLRenderTarget,
} from 'three';

import { ContextLossSteps, ContextLossWatch, markTexturesForUpload } from './context-loss';
import { SceneEnvironment } from './environment';

function recordingSteps(log: string[]): ContextLossSteps {
  return {
    stop: () => log.push('stop'),
    rebuild: () => log.push('rebuild'),
    redraw: () => log.push('redraw'),
    changed: (state, restores) => log.push(`changed ${state} ${restores}`),
  };
}

function lose(canvas: HTMLCanvasElement): Event {
  const event = new Event('webglcontextlost', { cancelable: true });
  canvas.dispatchEvent(event);
  return event;
}

describe('ContextLossWatch', () => {
  it('keeps the context restorable, stops drawing, and rebuilds before it redraws on restore', () => {
    const canvas = document.createElement('canvas');
    const log: string[] = [];
    const watch = new ContextLossWatch(canvas, recordingSteps(log));
    const event = lose(canvas);
    // Not cancelled, the browser would never give the context back.
    expect(event.defaultPrevented).toBe(true);
    expect(watch.lost).toBe(true);
    expect(log).toEqual(['stop', 'changed lost 0']);
    canvas.dispatchEvent(new Event('webglcontextrestored'));
    expect(watch.lost).toBe(false);
    expect(watch.restores).toBe(1);
    // The page is told only once the scene is drawn again, after the GPU side was made again.
    expect(log).toEqual(['stop', 'changed lost 0', 'rebuild', 'redraw', 'changed live 1']);
  });

  it('counts every restore, and ignores a restore with nothing lost or a second loss', () => {
    const canvas = document.createElement('canvas');
    const log: string[] = [];
    const watch = new ContextLossWatch(canvas, recordingSteps(log));
    canvas.dispatchEvent(new Event('webglcontextrestored'));
    expect(log).toEqual([]);
    lose(canvas);
    lose(canvas);
    canvas.dispatchEvent(new Event('webglcontextrestored'));
    lose(canvas);
    canvas.dispatchEvent(new Event('webglcontextrestored'));
    expect(watch.restores).toBe(2);
    expect(log.filter((step) => step === 'stop')).toHaveLength(2);
    expect(log.at(-1)).toBe('changed live 2');
  });

  it('reports a context that stays away as stalled, and live again should it come back', () => {
    vi.useFakeTimers();
    try {
      const canvas = document.createElement('canvas');
      const log: string[] = [];
      new ContextLossWatch(canvas, recordingSteps(log), 5000);
      lose(canvas);
      vi.advanceTimersByTime(4999);
      expect(log).toEqual(['stop', 'changed lost 0']);
      vi.advanceTimersByTime(1);
      expect(log.at(-1)).toBe('changed stalled 0');
      canvas.dispatchEvent(new Event('webglcontextrestored'));
      expect(log.at(-1)).toBe('changed live 1');
      // A quick restore leaves no stall behind.
      lose(canvas);
      canvas.dispatchEvent(new Event('webglcontextrestored'));
      vi.advanceTimersByTime(10_000);
      expect(log.at(-1)).toBe('changed live 2');
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops listening once disposed', () => {
    const canvas = document.createElement('canvas');
    const log: string[] = [];
    new ContextLossWatch(canvas, recordingSteps(log)).dispose();
    expect(lose(canvas).defaultPrevented).toBe(false);
    expect(log).toEqual([]);
  });
});

describe('markTexturesForUpload', () => {
  it("marks every material's textures and a background texture once, not render targets' nor empty ones", () => {
    const scene = new Scene();
    const map = new DataTexture(new Uint8Array(4), 1, 1);
    const normalMap = new CanvasTexture(document.createElement('canvas'));
    const shared = new MeshStandardMaterial({ map, normalMap });
    scene.add(new Mesh(new BoxGeometry(), shared));
    scene.add(new Mesh(new BoxGeometry(), [shared, new MeshStandardMaterial({ map })]));
    const target = new WebGLRenderTarget(1, 1);
    const lit = new MeshStandardMaterial({ emissiveMap: target.texture, aoMap: new Texture() });
    scene.add(new Mesh(new BoxGeometry(), lit));
    const background = new DataTexture(new Uint8Array(4), 1, 1);
    scene.background = background;
    const textures = [map, normalMap, background, target.texture];
    const versions = textures.map((t) => t.version);
    expect(markTexturesForUpload(scene)).toBe(3);
    // needsUpdate bumps the version; the render target's texture is left to its owner.
    expect(textures.map((t, i) => t.version - (versions[i] ?? 0))).toEqual([1, 1, 1, 0]);
  });

  it('leaves a colour background alone', () => {
    const scene = new Scene();
    scene.background = new Color('#e8ebf0');
    expect(markTexturesForUpload(scene)).toBe(0);
  });
});

describe('SceneEnvironment', () => {
  it('lights the scene, and on rebuild bakes a new map and frees the old one', () => {
    const scene = new Scene();
    const first = new WebGLRenderTarget(1, 1);
    const second = new WebGLRenderTarget(1, 1);
    const baked = [first, second];
    const environment = new SceneEnvironment(scene, () => baked.shift() ?? new WebGLRenderTarget(1, 1));
    expect(scene.environment).toBe(first.texture);
    let freed = 0;
    first.addEventListener('dispose', () => freed++);
    environment.rebuild();
    expect(baked).toEqual([]);
    expect(freed).toBe(1);
    expect(scene.environment).toBe(second.texture);
    environment.dispose();
    expect(scene.environment).toBeNull();
  });

  it('leaves an environment someone else set in place when disposed', () => {
    const scene = new Scene();
    const environment = new SceneEnvironment(scene, () => new WebGLRenderTarget(1, 1));
    const other = new Texture();
    scene.environment = other;
    environment.dispose();
    expect(scene.environment).toBe(other);
  });
});
