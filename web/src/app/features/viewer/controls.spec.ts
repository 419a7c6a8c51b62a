import { Box3, BoxGeometry, Mesh, PerspectiveCamera, Vector3 } from 'three';

import {
  TURN_STEP_RAD,
  createOrbitControls,
  fitControls,
  keyboardZoomFactor,
  turnBy,
  zoomBy,
  zoomLimits,
} from './controls';
import { computeFraming, framingFor, placeCamera } from './framing';

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

describe('viewer controls: zoom limits', () => {
  afterEach(() => document.body.replaceChildren());

  it('the closest zoom keeps the near plane outside the bounding sphere, for any model size', () => {
    for (const radius of [0.001, 1, 250]) {
      const framing = framingFor(new Vector3(), radius, 45, 390 / 520);
      const { minDistance, maxDistance } = zoomLimits(framing);
      // The near plane's nearest point to the centre is minDistance - near away: outside the sphere.
      expect(minDistance - framing.near).toBeGreaterThan(radius);
      expect(minDistance).toBeLessThan(framing.distance); // there is still room to zoom in
      expect(maxDistance).toBeCloseTo(framing.distance * 5);
    }
  });

  it('zooming in as far as it goes leaves every corner of a box model beyond the near plane', () => {
    const element = document.createElement('canvas');
    document.body.append(element);
    const model = new Mesh(new BoxGeometry(2, 1, 0.5));
    const camera = new PerspectiveCamera(45, 390 / 520, 0.01, 1000);
    const framing = computeFraming(model, camera.fov, camera.aspect);
    placeCamera(camera, framing);
    const controls = createOrbitControls(camera, element, () => undefined);
    controls.enableDamping = false;
    fitControls(controls, framing);
    for (let i = 0; i < 40; i++) zoomBy(controls, camera, 0.8);
    const distance = camera.position.length();
    expect(distance).toBeCloseTo(controls.minDistance);
    // Neither the camera nor the middle of its near plane is inside the model (old limit: 0.2 × radius was).
    const box = new Box3().setFromObject(model);
    const ahead = camera.getWorldDirection(new Vector3()).multiplyScalar(camera.near);
    expect(box.containsPoint(camera.position)).toBe(false);
    expect(box.containsPoint(camera.position.clone().add(ahead))).toBe(false);
    expect(distance).toBeGreaterThan(framing.radius + camera.near);
  });
});

describe('viewer controls: turn buttons', () => {
  it('turn the camera about the target in 30° steps, keeping its distance and height; 12 go once round', () => {
    const element = document.createElement('canvas');
    const camera = new PerspectiveCamera(45, 1, 0.01, 100);
    camera.position.set(0, 2, 10);
    const controls = createOrbitControls(camera, element, vi.fn());
    controls.enableDamping = false;
    const distance = camera.position.length();
    turnBy(controls, camera, TURN_STEP_RAD);
    expect(camera.position.y).toBeCloseTo(2);
    expect(camera.position.length()).toBeCloseTo(distance);
    // Counter-clockwise seen from above: from +Z towards +X.
    expect(camera.position.x).toBeCloseTo(10 * Math.sin(Math.PI / 6));
    expect(camera.position.z).toBeCloseTo(10 * Math.cos(Math.PI / 6));
    for (let i = 1; i < 12; i++) turnBy(controls, camera, TURN_STEP_RAD);
    expect(camera.position.x).toBeCloseTo(0);
    expect(camera.position.z).toBeCloseTo(10);
    turnBy(controls, camera, -TURN_STEP_RAD);
    expect(camera.position.x).toBeCloseTo(-5);
  });
});
