import { RovingFocus, balancedRows, planColumns, planRows, toolbarItems, toolbarKeyTarget } from './toolbar';

describe('toolbarKeyTarget', () => {
  const all = [true, true, true, true];

  it('moves right and left, wrapping round', () => {
    expect(toolbarKeyTarget('ArrowRight', 0, all)).toBe(1);
    expect(toolbarKeyTarget('ArrowRight', 3, all)).toBe(0);
    expect(toolbarKeyTarget('ArrowLeft', 0, all)).toBe(3);
    expect(toolbarKeyTarget('ArrowLeft', 2, all)).toBe(1);
  });

  it('goes to the first and last with Home and End', () => {
    expect(toolbarKeyTarget('Home', 2, all)).toBe(0);
    expect(toolbarKeyTarget('End', 1, all)).toBe(3);
  });

  it('skips disabled buttons', () => {
    const enabled = [false, true, false, true];
    expect(toolbarKeyTarget('ArrowRight', 1, enabled)).toBe(3);
    expect(toolbarKeyTarget('ArrowRight', 3, enabled)).toBe(1);
    expect(toolbarKeyTarget('ArrowLeft', 1, enabled)).toBe(3);
    expect(toolbarKeyTarget('Home', 3, enabled)).toBe(1);
    expect(toolbarKeyTarget('End', 1, [true, true, false])).toBe(1);
  });

  it('leaves other keys, and toolbars with nothing enabled, alone', () => {
    expect(toolbarKeyTarget('ArrowDown', 0, all)).toBeUndefined();
    expect(toolbarKeyTarget('Enter', 0, all)).toBeUndefined();
    expect(toolbarKeyTarget('ArrowRight', 0, [false, false])).toBeUndefined();
    expect(toolbarKeyTarget('Home', 0, [])).toBeUndefined();
  });
});

describe('planRows', () => {
  it('keeps one row when the buttons fit at their widths', () => {
    expect(planRows([100, 100, 100], 316, 8)).toEqual([3]);
    expect(planRows([100], 50, 8)).toEqual([1]);
    expect(planRows([], 50, 8)).toEqual([]);
  });

  it('balances rows rather than leave one button alone', () => {
    // Buttons of 100 px in 328 px: three fit a line (316 px). Seven would wrap 3 + 3 + 1.
    expect(planRows([100, 100, 100, 100, 100], 328, 8)).toEqual([3, 2]);
    expect(planRows(Array(7).fill(100), 328, 8)).toEqual([3, 2, 2]);
    // Four that do not fit on a line of 420: 2 + 2, not 3 + 1.
    expect(planRows([100, 100, 100, 100], 420, 8)).toEqual([2, 2]);
  });

  it('puts a wide label in a row of fewer buttons', () => {
    // 150 px does not fit a third of 328 px (104 px), but half of it: the row of two goes first.
    expect(planRows([150, 100, 100, 100, 100], 328, 8)).toEqual([2, 3]);
    expect(planRows([100, 100, 100, 100, 150], 328, 8)).toEqual([3, 2]);
  });

  it('never makes a row of one: rows of two or three when nothing fits (labels then wrap)', () => {
    expect(planRows([300, 300, 300], 328, 8)).toEqual([3]);
    expect(planRows(Array(5).fill(300), 328, 8)).toEqual([3, 2]);
    expect(planRows([300, 300], 328, 8)).toEqual([2]);
  });

  it('balances by the widest label of each row', () => {
    // Four of 110 px in 340 px: not on one line (464 px), in cells of 166 px two by two.
    expect(planRows([110, 110, 110, 110], 340, 8)).toEqual([2, 2]);
  });
});

describe('balancedRows and planColumns', () => {
  it('fills the upper rows first and finds equal cells for every row', () => {
    expect(balancedRows(7, 3)).toEqual([3, 2, 2]);
    expect(balancedRows(6, 2)).toEqual([3, 3]);
    expect(balancedRows(0, 2)).toEqual([]);
    expect(planColumns([3, 2, 2])).toBe(6);
    expect(planColumns([4, 3])).toBe(12);
    expect(planColumns([2, 2])).toBe(2);
  });
});

describe('RovingFocus', () => {
  type Buttons = [
    HTMLButtonElement,
    HTMLButtonElement,
    HTMLButtonElement,
    HTMLButtonElement,
    HTMLButtonElement,
  ];

  function toolbar(): { element: HTMLElement; buttons: Buttons; focus: RovingFocus } {
    const element = document.createElement('div');
    element.innerHTML = `<button>Reset</button><button disabled>Rotate</button><button>Share</button>
      <span style="display: contents"><button>Download</button><div><button>GLB</button></div></span>`;
    document.body.append(element);
    const focus = new RovingFocus(element);
    const buttons = Array.from(element.querySelectorAll('button'));
    expect(buttons).toHaveLength(5);
    return { element, buttons: buttons as Buttons, focus };
  }

  function press(target: HTMLElement, key: string): KeyboardEvent {
    const event = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true });
    target.dispatchEvent(event);
    return event;
  }

  afterEach(() => document.body.replaceChildren());

  it('finds the buttons a layout places, through display: contents, not a panel inside', () => {
    const { element } = toolbar();
    expect(toolbarItems(element).map((b) => b.textContent)).toEqual(['Reset', 'Rotate', 'Share', 'Download']);
  });

  it('is one Tab stop, moved by the arrow keys past disabled buttons', () => {
    const { buttons, focus } = toolbar();
    const [reset, rotate, share, download, glb] = buttons;
    expect(buttons.map((b) => b.tabIndex)).toEqual([0, -1, -1, -1, 0]);
    reset.focus();
    expect(press(reset, 'ArrowRight').defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(share);
    expect([reset, rotate, share, download].map((b) => b.tabIndex)).toEqual([-1, -1, 0, -1]);
    press(share, 'End');
    expect(document.activeElement).toBe(download);
    press(download, 'ArrowRight');
    expect(document.activeElement).toBe(reset);
    press(reset, 'ArrowLeft');
    expect(document.activeElement).toBe(download);
    // The panel's own keys (its size field, its list) are left to it.
    glb.focus();
    expect(press(glb, 'ArrowRight').defaultPrevented).toBe(false);
    expect(document.activeElement).toBe(glb);
    focus.dispose();
  });

  it('gives the Tab stop back to the first button once it is enabled, unless another was used', async () => {
    const { buttons, focus } = toolbar();
    const [reset, rotate, share] = buttons;
    reset.disabled = true;
    await Promise.resolve();
    expect(share.tabIndex).toBe(0);
    // A model came in: Reset is enabled again and, nothing having been used, the first stop.
    reset.disabled = false;
    await Promise.resolve();
    expect(reset.tabIndex).toBe(0);
    expect(share.tabIndex).toBe(-1);
    share.focus();
    rotate.disabled = false;
    await Promise.resolve();
    expect(share.tabIndex).toBe(0);
    expect(reset.tabIndex).toBe(-1);
    focus.dispose();
  });

  it('moves the Tab stop off a button that is disabled or removed, and onto one clicked', async () => {
    const { buttons, focus } = toolbar();
    const [reset, rotate, share] = buttons;
    reset.disabled = true;
    await Promise.resolve(); // MutationObserver callbacks run as microtasks
    expect(share.tabIndex).toBe(0);
    rotate.disabled = false;
    rotate.focus();
    expect(rotate.tabIndex).toBe(0);
    expect(share.tabIndex).toBe(-1);
    rotate.remove();
    await Promise.resolve();
    expect(share.tabIndex).toBe(0);
    focus.dispose();
  });
});
