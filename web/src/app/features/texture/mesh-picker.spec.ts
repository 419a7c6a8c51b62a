import { ComponentFixture, TestBed } from '@angular/core/testing';

import { I18n } from '../../core/i18n/i18n';
import { MeshPicker } from './mesh-picker';
import type { PickedMesh } from './picked-mesh';

const TETRA_OBJ = 'v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 3 2\nf 1 2 4\nf 1 4 3\nf 2 3 4\n';

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

  it('keeps only the latest of two files taken in quick succession', async () => {
    const { picker, emitted } = setup();
    const first = picker.take(new File([TETRA_OBJ], 'first.obj'));
    const second = picker.take(new File([TETRA_OBJ], 'second.obj'));
    await Promise.all([first, second]);
    expect(emitted.map((mesh) => mesh?.name)).toEqual(['second.obj']);
    emitted[0]?.parsed.dispose();
  });
});
