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

  it('doubts a part in millimetres sent as metres (40 m long) before any upload, and offers millimetres', async () => {
    const { picker, emitted } = setup();
    await picker.take(new File([BOX_OBJ], 'part.obj'));
    const mesh = emitted[0];
    const fixture = TestBed.createComponent(MeshPicker);
    fixture.componentRef.setInput('mesh', mesh);
    fixture.detectChanges();
    const host = fixture.nativeElement as HTMLElement;
    document.body.appendChild(host);
    const doubt = (): HTMLElement | null => host.querySelector('[data-testid=mesh-units-doubt]');
    expect(doubt()?.getAttribute('data-kind')).toBe('large');
    expect(doubt()?.querySelector('[role=alert]')?.textContent?.trim()).toBe(
      'In these units the mesh is 40 m long, over 10 m, and its STL and 3MF would be made that size. Is it in other units?',
    );
    const offer = host.querySelector<HTMLButtonElement>(
      '[data-testid=mesh-units-likely]',
    ) as HTMLButtonElement;
    expect(offer.textContent?.trim()).toBe('Use millimetres (mm)');

    TestBed.inject(I18n).setLang('zh');
    fixture.detectChanges();
    expect(doubt()?.textContent).toContain('按这个单位，网格长 40 米，超过 10 米');
    expect(offer.textContent?.trim()).toBe('改用毫米 (mm)');
    TestBed.inject(I18n).setLang('en');
    fixture.detectChanges();

    offer.click();
    fixture.detectChanges();
    expect(fixture.componentInstance.units()).toBe('mm');
    const select = host.querySelector<HTMLSelectElement>('[data-testid=mesh-units]') as HTMLSelectElement;
    expect(select.value).toBe('mm');
    expect(document.activeElement).toBe(select);
    expect(doubt()).toBeNull();
    expect(host.querySelector('[data-testid=mesh-size]')?.textContent?.trim()).toBe('Size: 20 × 40 × 15 mm');

    // Only a question: metres chosen again, it is asked again, and nothing stops the mesh.
    select.value = 'm';
    select.dispatchEvent(new Event('change'));
    fixture.detectChanges();
    expect(doubt()).not.toBeNull();
    host.remove();
    mesh?.parsed.dispose();
  });

  it('doubts a model in metres sent as millimetres (under 1 mm), offers metres; a plausible size is not doubted', async () => {
    const { picker, emitted } = setup();
    const metres = BOX_OBJ.replace(/^v (\S+) (\S+) (\S+)$/gm, (_, x: string, y: string, z: string) =>
      ['v', ...[x, y, z].map((value) => Number(value) / 1000)].join(' '),
    );
    await picker.take(new File([metres], 'part-in-metres.obj'));
    const mesh = emitted[0];
    expect(mesh?.parsed.extent.map((side) => Math.round(side * 1e6) / 1e6)).toEqual([0.02, 0.04, 0.015]);
    const fixture = TestBed.createComponent(MeshPicker);
    fixture.componentRef.setInput('mesh', mesh);
    fixture.detectChanges();
    const host = fixture.nativeElement as HTMLElement;
    const doubt = (): HTMLElement | null => host.querySelector('[data-testid=mesh-units-doubt]');
    expect(doubt()).toBeNull(); // 40 mm in metres: as drawn

    fixture.componentInstance.units.set('mm');
    fixture.detectChanges();
    expect(doubt()?.getAttribute('data-kind')).toBe('small');
    expect(doubt()?.textContent).toContain('the mesh is 0.04 mm long, under 1 mm');
    const offer = host.querySelector<HTMLButtonElement>('[data-testid=mesh-units-likely]');
    expect(offer?.textContent?.trim()).toBe('Use metres (m)');
    expect(offer?.getAttribute('data-units')).toBe('m');

    // While a task is sent, the units cannot change under it.
    fixture.componentRef.setInput('busy', true);
    fixture.detectChanges();
    expect(offer?.disabled).toBe(true);
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
