import { PerspectiveCamera } from 'three';

import { createOrbitControls, keyboardZoomFactor } from './controls';

describe('viewer controls: keyboard zoom', () => {
  function setUp() {
    const element = document.createElement('canvas');
    document.body.append(element);
    const camera = new PerspectiveCamera(45, 1, 0.01, 100);
    camera.position.set(0, 0, 10);
    const renders = vi.fn();
    const controls = createOrbitControls(camera, element, renders);
    controls.enableDamping = false; // one key press, one step: no easing to wait for
    controls.minDistance = 2;
    controls.maxDistance = 20;
    const press = (key: string, extra: KeyboardEventInit = {}) => {
      const event = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...extra });
      element.dispatchEvent(event);
      return event;
    };
    return { element, camera, controls, renders, press };
  }

  afterEach(() => document.body.replaceChildren());

  it('+ and - on the focused canvas move the camera in and out along its line to the target', () => {
    const { camera, renders, press } = setUp();
    const plus = press('+');
    expect(plus.defaultPrevented).toBe(true);
    expect(camera.position.z).toBeCloseTo(8);
    press('=');
    expect(camera.position.z).toBeCloseTo(6.4);
    press('-');
    expect(camera.position.z).toBeCloseTo(8);
    expect(camera.position.x).toBeCloseTo(0);
    expect(renders).toHaveBeenCalled();
  });

  it('stays within the zoom limits', () => {
    const { camera, press } = setUp();
    for (let i = 0; i < 30; i++) press('+');
    expect(camera.position.z).toBeCloseTo(2);
    for (let i = 0; i < 30; i++) press('-');
    expect(camera.position.z).toBeCloseTo(20);
  });

  it("leaves the browser's page zoom (Ctrl/Meta/Alt) and other keys alone", () => {
    const { camera, press } = setUp();
    expect(press('+', { ctrlKey: true }).defaultPrevented).toBe(false);
    expect(press('-', { metaKey: true }).defaultPrevented).toBe(false);
    expect(press('a').defaultPrevented).toBe(false);
    expect(camera.position.z).toBeCloseTo(10);
    expect(keyboardZoomFactor({ key: '_', ctrlKey: false, metaKey: false, altKey: false })).toBeCloseTo(1.25);
    expect(keyboardZoomFactor({ key: '+', ctrlKey: false, metaKey: false, altKey: true })).toBeUndefined();
  });
});
