import { ComponentFixture, TestBed } from '@angular/core/testing';

import { I18n } from '../../core/i18n/i18n';
import { MeshPicker } from './mesh-picker';
import type { PickedMesh } from './picked-mesh';

const TETRA_OBJ = 'v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 3 2\nf 1 2 4\nf 1 4 3\nf 2 3 4\n';
/** A 20 x 40 x 15 box (a part drawn in millimetres), away from the origin: 8 corners, 12 triangles. */
const BOX_OBJ = [
  ...[0, 1, 2, 3, 4, 5, 6, 7].map(
    (c) => `v ${300 + (c & 1 ? 10 : -10)} ${120 + (c & 2 ? 20 : -20)} ${-80 + (c & 4 ? 7.5 : -7.5)}`,
  ),
  ...[
    [1, 3, 4, 2],
    [5, 6, 8, 7],
    [1, 2, 6, 5],
    [3, 7, 8, 4],
    [1, 5, 7, 3],
    [2, 4, 8, 6],
  ].map(([a, b, c, d]) => `f ${a} ${b} ${c} ${d}`),
].join('\n');

interface Setup {
  fixture: ComponentFixture<MeshPicker>;
  element: HTMLElement;
  picker: MeshPicker;
  emitted: (PickedMesh | undefined)[];
}

function setup(): Setup {
  TestBed.inject(I18n).setLang('en');
  const fixture = TestBed.createComponent(MeshPicker);
  const emitted: (PickedMesh | undefined)[] = [];
  fixture.componentInstance.changed.subscribe((mesh) => emitted.push(mesh));
  fixture.detectChanges();
  return {
    fixture,
    element: fixture.nativeElement as HTMLElement,
    picker: fixture.componentInstance,
    emitted,
  };
}

describe('MeshPicker', () => {
  afterEach(() => vi.restoreAllMocks());

  it("refuses another format before any upload, by the server's code and words", async () => {
    const { fixture, element, picker, emitted } = setup();
    await picker.take(new File(['solid part'], 'part.stl'));
    await fixture.whenStable();
    const error = element.querySelector('[data-testid=mesh-error]');
    expect(error?.getAttribute('data-error-code')).toBe('unsupported_mesh');
    expect(error?.textContent).toContain('not a GLB, OBJ or PLY mesh');
    expect(emitted).toEqual([undefined]);
  });

  it('refuses a mesh over the limit, naming the limit', async () => {
    const { fixture, element, picker } = setup();
    const big = { name: 'huge.glb', size: 50 * 1024 * 1024 + 1, slice: () => new Blob() } as unknown as File;
    await picker.take(big);
    await fixture.whenStable();
    const error = element.querySelector('[data-testid=mesh-error]');
    expect(error?.getAttribute('data-error-code')).toBe('mesh_too_large');
    expect(error?.textContent).toContain('the limit is 50 MB');
  });

  it('says plainly when the browser cannot read the mesh', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { fixture, element, picker, emitted } = setup();
    await picker.take(new File(['hello, I am a letter\n'], 'letter.obj'));
    await fixture.whenStable();
    const error = element.querySelector('[data-testid=mesh-error]');
    expect(error?.getAttribute('data-error-code')).toBe('unreadable');
    expect(error?.textContent).toContain('could not read this mesh');
    expect(emitted).toEqual([undefined]);
  });

  it('hands on an accepted mesh, parsed and grey, and shows its name and triangles', async () => {
    const { element, picker, emitted } = setup();
    await picker.take(new File([TETRA_OBJ], 'tetra.obj'));
    expect(emitted).toHaveLength(1);
    const mesh = emitted[0];
    expect(mesh).toMatchObject({ name: 'tetra.obj', kind: 'obj', bytes: TETRA_OBJ.length });
    expect(mesh?.parsed.triangles).toBe(4);
    const fixture = TestBed.createComponent(MeshPicker);
    fixture.componentRef.setInput('mesh', mesh);
    fixture.detectChanges();
    const summary = (fixture.nativeElement as HTMLElement).querySelector('[data-testid=mesh-summary]');
    expect(summary?.textContent?.trim()).toBe('tetra.obj: 4 triangles');
    expect(element.querySelector('[data-testid=mesh-error]')).toBeNull();
    mesh?.parsed.dispose();
  });

  it('asks the units of a chosen mesh and shows its measured size in them; m by default', async () => {
    const { picker, emitted, element } = setup();
    expect(element.querySelector('[data-testid=mesh-units]')).toBeNull(); // nothing to measure yet
    await picker.take(new File([BOX_OBJ], 'part.obj'));
    const mesh = emitted[0];
    expect(mesh?.parsed.extent).toEqual([20, 40, 15]);
    const fixture = TestBed.createComponent(MeshPicker);
    const chosen: string[] = [];
    fixture.componentInstance.units.subscribe((units) => chosen.push(units));
    fixture.componentRef.setInput('mesh', mesh);
    fixture.detectChanges();
    const host = fixture.nativeElement as HTMLElement;
    const select = host.querySelector<HTMLSelectElement>('[data-testid=mesh-units]') as HTMLSelectElement;
    expect(select.closest('label')?.textContent).toContain('Units of the mesh');
    expect([...select.options].map((option) => [option.value, option.textContent?.trim()])).toEqual([
      ['m', 'metres (m)'],
      ['cm', 'centimetres (cm)'],
      ['mm', 'millimetres (mm)'],
      ['in', 'inches (in)'],
    ]);
    expect(select.value).toBe('m');
    const size = (): string | undefined => host.querySelector('[data-testid=mesh-size]')?.textContent?.trim();
    expect(size()).toBe('Size: 20 × 40 × 15 m');

    select.value = 'mm';
    select.dispatchEvent(new Event('change'));
    fixture.detectChanges();
    expect(chosen).toEqual(['mm']);
    expect(fixture.componentInstance.units()).toBe('mm');
    expect(size()).toBe('Size: 20 × 40 × 15 mm');

    TestBed.inject(I18n).setLang('zh');
    fixture.detectChanges();
    expect(size()).toBe('尺寸：20 × 40 × 15 毫米');
    expect(select.closest('label')?.textContent).toContain('网格单位');
    TestBed.inject(I18n).setLang('en');
    mesh?.parsed.dispose();
  });

  it('keeps only the latest of two files taken in quick succession', async () => {
    const { picker, emitted } = setup();
    const first = picker.take(new File([TETRA_OBJ], 'first.obj'));
    const second = picker.take(new File([TETRA_OBJ], 'second.obj'));
    await Promise.all([first, second]);
    expect(emitted.map((mesh) => mesh?.name)).toEqual(['second.obj']);
    emitted[0]?.parsed.dispose();
  });
});
