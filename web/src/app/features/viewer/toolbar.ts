/**
 * The viewer's toolbar: keyboard navigation (the WAI-ARIA toolbar pattern: one Tab stop, arrow
 * keys between the buttons) and a layout that never leaves one button alone on a row.
 */

/** What a toolbar is made of: its buttons and links, in order. */
const ITEM = 'button, a[href]';

/**
 * The toolbar's controls, as the layout places them: its own button and link children, and
 * those of children that lay out as their contents (components with `display: contents`, such as
 * the download menu, whose toggle is a toolbar button; its panel is not).
 */
export function toolbarItems(toolbar: HTMLElement): HTMLElement[] {
  const items: HTMLElement[] = [];
  for (const child of Array.from(toolbar.children)) {
    if (!(child instanceof HTMLElement)) continue;
    if (child.matches(ITEM)) items.push(child);
    else if (getComputedStyle(child).display === 'contents') {
      for (const inner of Array.from(child.children)) {
        if (inner instanceof HTMLElement && inner.matches(ITEM)) items.push(inner);
      }
    }
  }
  return items;
}

/**
 * Where a key moves the focus in a horizontal toolbar: the index of the item to focus, or
 * undefined when the key is not the toolbar's (or no item can take the focus). Right and Left
 * go to the next and previous enabled item, wrapping round; Home and End to the first and last.
 */
export function toolbarKeyTarget(
  key: string,
  current: number,
  enabled: readonly boolean[],
): number | undefined {
  const count = enabled.length;
  const firstFrom = (start: number, step: 1 | -1): number | undefined => {
    for (let i = 0; i < count; i++) {
      const index = (((start + step * i) % count) + count) % count;
      if (enabled[index]) return index;
    }
    return undefined;
  };
  if (count === 0) return undefined;
  switch (key) {
    case 'ArrowRight':
      return firstFrom(current + 1, 1);
    case 'ArrowLeft':
      return firstFrom(current - 1, -1);
    case 'Home':
      return firstFrom(0, 1);
    case 'End':
      return firstFrom(count - 1, -1);
    default:
      return undefined;
  }
}

function isEnabled(item: HTMLElement): boolean {
  return !(item as HTMLButtonElement).disabled;
}

/**
 * Roving tabindex for a toolbar: Tab enters it once, on the button last used (the first enabled
 * one at first), and the arrow keys, Home and End move between its enabled buttons. Buttons that
 * come, go or are disabled later (a model loading, the download menu arriving) are followed.
 */
export class RovingFocus {
  private current: HTMLElement | undefined;
  /** Whether `current` is the person's (focused last), or only the first enabled button so far. */
  private chosen = false;
  private readonly mutations: MutationObserver;

  constructor(
    private readonly toolbar: HTMLElement,
    private readonly itemsOf: (toolbar: HTMLElement) => HTMLElement[] = toolbarItems,
  ) {
    toolbar.addEventListener('keydown', this.onKeyDown);
    toolbar.addEventListener('focusin', this.onFocusIn);
    this.mutations = new MutationObserver(() => this.refresh());
    this.mutations.observe(toolbar, { childList: true, subtree: true, attributeFilter: ['disabled'] });
    this.refresh();
  }

  /**
   * Gives the one Tab stop to the button last used, or to the first enabled one when none was
   * used yet (buttons enabled later, once a model is in, take it back) or the one used is gone.
   */
  refresh(): void {
    const items = this.itemsOf(this.toolbar);
    if (!this.chosen || !this.current || !items.includes(this.current) || !isEnabled(this.current)) {
      this.current = items.find(isEnabled);
      this.chosen = false;
    }
    for (const item of items) item.tabIndex = item === this.current ? 0 : -1;
  }

  dispose(): void {
    this.mutations.disconnect();
    this.toolbar.removeEventListener('keydown', this.onKeyDown);
    this.toolbar.removeEventListener('focusin', this.onFocusIn);
  }

  private readonly onFocusIn = (event: FocusEvent): void => {
    const items = this.itemsOf(this.toolbar);
    const target = event.target as HTMLElement;
    if (items.includes(target)) {
      this.current = target;
      this.chosen = true;
      this.refresh();
    }
  };

  private readonly onKeyDown = (event: KeyboardEvent): void => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const items = this.itemsOf(this.toolbar);
    // Keys inside the download panel (its size field, its list) are theirs, not the toolbar's.
    const index = items.indexOf(event.target as HTMLElement);
    if (index < 0) return;
    const next = toolbarKeyTarget(event.key, index, items.map(isEnabled));
    const target = next === undefined ? undefined : items[next];
    if (!target) return;
    event.preventDefault();
    this.current = target;
    this.chosen = true;
    this.refresh();
    target.focus();
  };
}

/**
 * `count` items in `rows` rows as evenly as possible, the fuller rows first: 7 in 3 → [3, 2, 2].
 */
export function balancedRows(count: number, rows: number): number[] {
  if (count <= 0 || rows <= 0) return [];
  const base = Math.floor(count / rows);
  const extra = count % rows;
  return Array.from({ length: rows }, (_, row) => base + (row < extra ? 1 : 0));
}

/**
 * Every order of balancedRows(count, rows)'s row sizes, the fuller rows first in the first one
 * ([3, 2, 2], [2, 3, 2], [2, 2, 3]): which buttons share a row depends on it.
 */
function balancedOrders(count: number, rows: number): number[][] {
  const base = Math.floor(count / rows);
  const extra = count % rows;
  const orders: number[][] = [];
  const place = (prefix: number[], fuller: number): void => {
    const left = rows - prefix.length;
    if (left === 0) {
      orders.push(prefix);
      return;
    }
    if (fuller > 0) place([...prefix, base + 1], fuller - 1);
    if (left > fuller) place([...prefix, base], fuller);
  };
  place([], extra);
  return orders;
}

/** Whether the items fit on one line at their natural widths. */
export function fitsOneLine(widths: readonly number[], available: number, gap: number): boolean {
  const natural = widths.reduce((sum, width) => sum + width, 0) + gap * Math.max(0, widths.length - 1);
  // Half a pixel of slack: widths are measured in fractions of pixels.
  return natural <= available + 0.5;
}

/** Whether each row's widest item fits its equal share of the row. */
function fitsCells(
  plan: readonly number[],
  widths: readonly number[],
  available: number,
  gap: number,
): boolean {
  let start = 0;
  return plan.every((size) => {
    const cell = (available - gap * (size - 1)) / size;
    const widest = Math.max(...widths.slice(start, start + size));
    start += size;
    return widest <= cell + 0.5;
  });
}

/**
 * How a toolbar's items go into rows (items per row, top first), given each item's natural width,
 * the toolbar's width and the gap between items. One row when they all fit at their natural
 * widths (fitsOneLine); else the fewest balanced rows of equal-width cells in which each
 * button's label fits, and never a row of one: when nothing fits, rows of two or three (or one
 * row of all, for up to three buttons) whose labels wrap inside their buttons.
 */
export function planRows(widths: readonly number[], available: number, gap: number): number[] {
  const count = widths.length;
  if (count <= 1) return count === 1 ? [1] : [];
  if (fitsOneLine(widths, available, gap)) return [count];
  const mostRows = Math.max(1, Math.floor(count / 2));
  for (let rows = 1; rows <= mostRows; rows++) {
    const fitting = balancedOrders(count, rows).find((plan) => fitsCells(plan, widths, available, gap));
    if (fitting) return fitting;
  }
  return balancedRows(count, mostRows);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * The grid columns that hold every row of `plan` in equal cells: the least common multiple of
 * the row sizes ([3, 2, 2] → 6: buttons of the first row span 2 columns, the others 3).
 */
export function planColumns(plan: readonly number[]): number {
  return plan.reduce((columns, size) => (columns * size) / gcd(columns, size), 1);
}

/**
 * Lays a toolbar's items out by planRows as its width or contents change: a wrapping row when
 * they fit on one line, else a grid whose rows are balanced (data-rows says how many).
 */
export class BalancedRows {
  private readonly resizes: ResizeObserver;
  private readonly mutations: MutationObserver;
  private frame = 0;
  private laidOutWidth = -1;
  private contentChanged = true;

  constructor(private readonly toolbar: HTMLElement) {
    // Laid out in the next frame, not in the observer's callback: changing the toolbar's height
    // there would report a ResizeObserver loop.
    this.resizes = new ResizeObserver(() => this.schedule());
    this.resizes.observe(toolbar);
    this.mutations = new MutationObserver(() => {
      this.contentChanged = true;
      this.schedule();
    });
    // Buttons coming and going, and labels changing (language, "Preparing AR…").
    this.mutations.observe(toolbar, { childList: true, subtree: true, characterData: true });
    this.schedule();
  }

  dispose(): void {
    cancelAnimationFrame(this.frame);
    this.resizes.disconnect();
    this.mutations.disconnect();
  }

  private schedule(): void {
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.layout());
  }

  private layout(): void {
    this.frame = 0;
    const toolbar = this.toolbar;
    const available = toolbar.clientWidth;
    if (available === 0) return; // not displayed: laid out once it is
    if (available === this.laidOutWidth && !this.contentChanged) return;
    this.laidOutWidth = available;
    this.contentChanged = false;
    const items = toolbarItems(toolbar);
    // Natural widths: each item as wide as its label, whatever cell it has now.
    for (const item of items) {
      item.style.gridColumn = '';
      item.style.flex = '0 0 auto';
      item.style.width = 'max-content';
    }
    const widths = items.map((item) => item.getBoundingClientRect().width);
    for (const item of items) {
      item.style.flex = '';
      item.style.width = '';
    }
    const gap = Number.parseFloat(getComputedStyle(toolbar).columnGap) || 0;
    const plan = planRows(widths, available, gap);
    toolbar.dataset['rows'] = String(plan.length);
    if (fitsOneLine(widths, available, gap)) {
      toolbar.style.display = '';
      toolbar.style.gridTemplateColumns = '';
      return;
    }
    const columns = planColumns(plan);
    toolbar.style.display = 'grid';
    toolbar.style.gridTemplateColumns = `repeat(${columns}, minmax(0, 1fr))`;
    const spans = plan.flatMap((size) => Array<number>(size).fill(columns / size));
    items.forEach((item, index) => (item.style.gridColumn = `span ${spans[index] ?? columns}`));
  }
}
