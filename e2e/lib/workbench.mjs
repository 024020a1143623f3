/**
 * Drives the VS Code workbench the way a person does: keyboard shortcuts,
 * Quick Open, Go to Line, clicks, and reading what is on screen (Problems
 * panel rows, the suggest list, the hover, the status bar, a tree view).
 * Every wait is on a selector or on a condition of the page, bounded by
 * `timeoutMs`; none is a fixed sleep.
 */

/** Keyboard chords as Playwright names them (Linux keybindings of VS Code). */
const KEYS = {
  quickOpen: 'Control+P',
  commandPalette: 'F1',
  gotoLine: 'Control+G',
  problems: 'Control+Shift+M',
  triggerSuggest: 'Control+Space',
  showHover: ['Control+K', 'Control+I'],
  quickFix: 'Control+.',
  save: 'Control+S',
  nextProblem: 'F8',
};

export class Workbench {
  constructor(page, timeoutMs) {
    this.page = page;
    this.timeoutMs = timeoutMs;
  }

  /** Loads the workbench and waits until the Explorer lists the folder. */
  async open(url) {
    await this.page.goto(url, { timeout: this.timeoutMs });
    await this.page.locator('.monaco-workbench').waitFor({ timeout: this.timeoutMs });
    await this.page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: this.timeoutMs });
  }

  /** Names listed in the Explorer's folder tree (visible rows). */
  async explorerFiles() {
    return (await this.page.locator('.explorer-folders-view .monaco-list-row').allInnerTexts()).map((t) => t.trim().split('\n')[0]);
  }

  /** Opens a file of the folder with Quick Open (Ctrl+P, type its name, click it). */
  async openFile(name) {
    await this.page.keyboard.press(KEYS.quickOpen);
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ timeout: this.timeoutMs });
    await input.fill(name);
    // Click the row itself: Enter could take a stale first row (recently opened) before the list filters.
    const row = this.page.locator('.quick-input-widget .monaco-list-row', { has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(name)}$`) }) }).first();
    await row.waitFor({ timeout: this.timeoutMs });
    await row.click();
    await this.page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ timeout: this.timeoutMs });
    await this.page.locator('.editor-group-container.active .monaco-editor .view-lines').waitFor({ timeout: this.timeoutMs });
    await this.focusEditor();
  }

  async focusEditor() {
    await this.page.locator('.editor-group-container.active .monaco-editor textarea').first().focus();
  }

  /**
   * Closes every editor, answering "Don't Save" if asked, so that a step
   * starts from an empty editor area whatever the previous one left.
   */
  async closeAllEditors() {
    await this.page.keyboard.press('Escape');
    if ((await this.page.locator('.tabs-container .tab').count()) === 0) return;
    await this.command('View: Close All Editors');
    const dontSave = this.page.locator('.monaco-dialog-box .monaco-button', { hasText: "Don't Save" });
    await this.until(
      'editors closed',
      async () => {
        if (await dontSave.isVisible()) await dontSave.click();
        return this.page.locator('.tabs-container .tab').count();
      },
      (n) => n === 0,
    );
  }

  /** Runs a command by its title from the Command Palette. */
  async command(title) {
    await this.page.keyboard.press(KEYS.commandPalette);
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ timeout: this.timeoutMs });
    await input.fill(`>${title}`);
    const row = this.page.locator('.quick-input-widget .monaco-list-row', { has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(title)}$`) }) }).first();
    await row.waitFor({ timeout: this.timeoutMs });
    await row.click();
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: this.timeoutMs });
  }

  /** Moves the cursor with Go to Line (Ctrl+G, "line:column", Enter); both 1-based. */
  async gotoPosition(line, column) {
    await this.focusEditor();
    await this.page.keyboard.press(KEYS.gotoLine);
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ timeout: this.timeoutMs });
    // Go to Line is Quick Access with the ':' prefix already typed; fill() replaces it, so type it again.
    await input.fill(`:${line}:${column}`);
    await this.page.keyboard.press('Enter');
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: this.timeoutMs });
    await this.waitForCursor(line, column);
  }

  /** Waits until the status bar shows the cursor at line:column. */
  async waitForCursor(line, column) {
    await this.page.locator('.statusbar-item', { hasText: new RegExp(`^\\s*Ln ${line}, Col ${column}\\s*$`) }).waitFor({ timeout: this.timeoutMs });
  }

  /** The cursor position the status bar shows, 1-based. */
  async cursor() {
    const items = await this.statusItems();
    for (const t of items) {
      const m = /^Ln (\d+), Col (\d+)$/.exec(t);
      if (m) return { line: Number(m[1]), column: Number(m[2]) };
    }
    throw new Error(`no cursor position in the status bar: ${JSON.stringify(items)}`);
  }

  async type(text) {
    await this.page.keyboard.type(text);
  }

  async press(key) {
    await this.page.keyboard.press(key);
  }

  // ------------------------------------------------------------ problems

  /** Opens the Problems panel if it is not showing. */
  async showProblems() {
    const panel = this.page.locator('.markers-panel');
    if (!(await panel.isVisible())) await this.page.keyboard.press(KEYS.problems);
    await panel.waitFor({ timeout: this.timeoutMs });
  }

  /**
   * The Problems panel's markers as "code @ Ln L, Col C" (in the order shown)
   * for the file `name`. The panel is a tree: files at level 1, their markers
   * at level 2, related information at level 3.
   */
  async problems(name) {
    const rows = await this.page
      .locator('.markers-panel .monaco-list-row')
      .evaluateAll((els) => els.map((e) => ({ text: e.innerText, level: Number(e.getAttribute('aria-level')) })));
    const out = [];
    let current;
    for (const r of rows) {
      if (r.level === 1) current = r.text.trim().split('\n')[0];
      if (r.level !== 2 || current !== name) continue;
      // "source(code) [Ln L, Col C]"; the parentheses are drawn by CSS, so the text has line breaks there.
      const m = /([a-z0-9-]+)\)?\s*\[Ln (\d+), Col (\d+)\]/.exec(r.text);
      if (m) out.push(`${m[1]} @ Ln ${m[2]}, Col ${m[3]}`);
    }
    return out;
  }

  /** Waits until `probe()` returns a value `accept` likes; returns it. Polls the page state. */
  async until(what, probe, accept) {
    const deadline = Date.now() + this.timeoutMs;
    let last;
    for (;;) {
      last = await probe();
      if (accept(last)) return last;
      if (Date.now() > deadline) throw new TimeoutError(`${what}: not reached within ${this.timeoutMs / 1000} s; last seen: ${JSON.stringify(last)}`);
      await this.page.waitForTimeout(100);
    }
  }

  /** Go to Next Problem (F8): the cursor moves to it and its message opens inline. */
  async nextProblem() {
    await this.focusEditor();
    await this.page.keyboard.press(KEYS.nextProblem);
    await this.page.locator('.editor-group-container.active .marker-widget').first().waitFor({ timeout: this.timeoutMs });
  }

  /** Squiggles drawn in the visible part of the active editor, by severity class. */
  async squiggles() {
    return this.page
      .locator('.editor-group-container.active .monaco-editor .view-overlays [class*="squiggly-"]')
      .evaluateAll((els) => [...new Set(els.map((e) => /squiggly-(error|warning|info|hint)/.exec(e.className)?.[1]).filter(Boolean))].sort());
  }

  // ------------------------------------------------------------ suggest, hover, code actions

  /** Waits for the suggest widget and returns the labels of its items (all of them, scrolling the list). */
  async suggestions() {
    const widget = this.page.locator('.editor-widget.suggest-widget.visible');
    await widget.waitFor({ timeout: this.timeoutMs });
    await widget.locator('.monaco-list-row').first().waitFor({ timeout: this.timeoutMs });
    return widget
      .locator('.monaco-list-row .label-name')
      .allInnerTexts()
      .then((l) => l.map((s) => s.trim()));
  }

  /**
   * Waits until the suggest widget lists every label of `wanted` (it may be
   * re-opened by the item just accepted), and returns all its labels.
   */
  async suggestionsIncluding(what, wanted) {
    return this.until(
      what,
      () => this.visibleSuggestions(),
      (l) => wanted.every((w) => l.includes(w)),
    );
  }

  /** The labels of the suggest widget if it is showing, else []. */
  async visibleSuggestions() {
    const widget = this.page.locator('.editor-widget.suggest-widget.visible');
    if (!(await widget.count())) return [];
    return widget
      .locator('.monaco-list-row .label-name')
      .allInnerTexts()
      .then((l) => l.map((s) => s.trim()));
  }

  /** Accepts the suggestion labelled `label` the way a person does: arrow keys down to it, then Enter. */
  async acceptSuggestion(label) {
    const focused = this.page.locator('.editor-widget.suggest-widget.visible .monaco-list-row.focused .label-name');
    const count = await this.suggestCount();
    for (let i = 0; i <= count; i++) {
      if ((await focused.innerText({ timeout: this.timeoutMs })).trim() === label) {
        await this.page.keyboard.press('Enter');
        return;
      }
      await this.page.keyboard.press('ArrowDown');
    }
    throw new Error(`no suggestion labelled "${label}" could be focused`);
  }

  async suggestCount() {
    const first = this.page.locator('.editor-widget.suggest-widget.visible .monaco-list-row').first();
    return Number(await first.getAttribute('aria-setsize'));
  }

  /** Opens the side panel with the focused suggestion's documentation (Ctrl+Space again). */
  async showSuggestDetails() {
    const details = this.page.locator('.suggest-details-container .suggest-details');
    if (!(await details.isVisible())) await this.page.keyboard.press(KEYS.triggerSuggest);
    await details.waitFor({ timeout: this.timeoutMs });
  }

  async triggerSuggest() {
    await this.page.keyboard.press(KEYS.triggerSuggest);
  }

  async closeWidgets() {
    await this.page.keyboard.press('Escape');
  }

  /** The content of the hover shown in the active editor. */
  hoverContent() {
    return this.page
      .locator(
        '.editor-group-container.active .monaco-editor .monaco-hover:not(.hidden) .monaco-hover-content, .editor-group-container.active .monaco-editor .monaco-hover:not(.hidden) .hover-contents',
      )
      .first();
  }

  /** Shows the hover at the cursor (Ctrl+K Ctrl+I) and returns its text. */
  async hoverAtCursor() {
    for (const k of KEYS.showHover) await this.page.keyboard.press(k);
    const hover = this.hoverContent();
    await hover.waitFor({ timeout: this.timeoutMs });
    await this.until(
      'hover content',
      () => hover.innerText(),
      (t) => t.trim().length > 0 && !/^Loading/.test(t.trim()),
    );
    return hover.innerText();
  }

  /** The links of the hover shown (after hoverAtCursor), as { text, href }; VS Code keeps the target in data-href. */
  async hoverLinks() {
    return this.hoverContent()
      .locator('a')
      .evaluateAll((as) => as.map((a) => ({ text: a.textContent.trim(), href: a.getAttribute('data-href') ?? a.getAttribute('href') })));
  }

  /** Opens the quick fix menu (Ctrl+.) and returns its item titles. */
  async quickFixMenu() {
    await this.page.keyboard.press(KEYS.quickFix);
    const widget = this.page.locator('.action-widget');
    await widget.waitFor({ timeout: this.timeoutMs });
    await widget.locator('.monaco-list-row.action').first().waitFor({ timeout: this.timeoutMs });
    return widget
      .locator('.monaco-list-row.action')
      .allInnerTexts()
      .then((l) => l.map((s) => s.trim().split('\n')[0]));
  }

  /** Chooses the quick fix titled `title` with the arrow keys and Enter; waits for the menu to close. */
  async applyQuickFix(title) {
    const focused = this.page.locator('.action-widget .monaco-list-row.action.focused');
    const rows = await this.page.locator('.action-widget .monaco-list-row.action').count();
    for (let i = 0; i <= rows; i++) {
      if ((await focused.getAttribute('aria-label', { timeout: this.timeoutMs })) === title) {
        await this.page.keyboard.press('Enter');
        await this.page.locator('.action-widget').waitFor({ state: 'hidden', timeout: this.timeoutMs });
        return;
      }
      await this.page.keyboard.press('ArrowDown');
    }
    throw new Error(`no quick fix titled "${title}" could be focused`);
  }

  async save() {
    await this.focusEditor();
    await this.page.keyboard.press(KEYS.save);
    await this.page.locator('.tabs-container .tab.active.dirty').waitFor({ state: 'detached', timeout: this.timeoutMs });
  }

  // ------------------------------------------------------------ status bar and views

  /** Messages of the notification toasts showing in the corner of the workbench. */
  async notificationToasts() {
    return this.page
      .locator('.notifications-toasts .notification-toast .notification-list-item-message')
      .evaluateAll((els) => els.map((e) => e.textContent.trim()).filter(Boolean));
  }

  /** Texts of the status bar items, as shown (icons are glyphs drawn by CSS, so not in the text). */
  async statusItems() {
    return this.page.locator('.statusbar-item').evaluateAll((els) => els.map((e) => e.innerText.trim()).filter(Boolean));
  }

  async clickStatusItem(text) {
    await this.page.locator('.statusbar-item', { hasText: text }).first().click();
  }

  /** Items of the open Quick Pick (labels), once it shows some. */
  async quickPickItems() {
    const rows = this.page.locator('.quick-input-widget .monaco-list-row');
    await rows.first().waitFor({ timeout: this.timeoutMs });
    return this.page
      .locator('.quick-input-widget .monaco-list-row .label-name')
      .allInnerTexts()
      .then((l) => l.map((s) => s.trim()));
  }

  /** The pane (view) with this title in the side bar; expanded if it was collapsed. */
  async expandView(title) {
    const header = this.page.locator('.pane-header', { has: this.page.locator('h3.title', { hasText: new RegExp(`^${escapeRe(title)}$`, 'i') }) }).first();
    await header.waitFor({ timeout: this.timeoutMs });
    if ((await header.getAttribute('aria-expanded')) === 'false') {
      await header.click();
      await this.parkMouse();
    }
    const pane = this.page.locator('.pane', { has: header });
    await pane.locator('.pane-body').waitFor({ timeout: this.timeoutMs });
    return pane;
  }

  /** Drags the sash between the side bar and the editor until the side bar is `width` pixels wide. */
  async widenSideBar(width) {
    const bar = await this.page.locator('.part.sidebar').boundingBox();
    if (!bar || bar.width >= width) return;
    const y = bar.y + bar.height / 2;
    await this.page.mouse.move(bar.x + bar.width - 1, y);
    await this.page.mouse.down();
    await this.page.mouse.move(bar.x + width, y, { steps: 5 });
    await this.page.mouse.up();
    await this.until(
      'side bar widened',
      async () => (await this.page.locator('.part.sidebar').boundingBox())?.width ?? 0,
      (w) => w >= width - 20,
    );
    await this.parkMouse();
  }

  /** Moves the mouse to an empty spot of the activity bar, so no tooltip covers the picture. */
  async parkMouse() {
    const bar = await this.page.locator('.part.activitybar').boundingBox();
    if (bar) await this.page.mouse.move(bar.x + bar.width / 2, bar.y + bar.height * 0.6);
  }

  /** Hovers a status bar item and returns the text of its tooltip. */
  async statusItemTooltip(text) {
    await this.page.locator('.statusbar-item', { hasText: text }).first().hover();
    const hover = this.page.locator('.workbench-hover, .monaco-hover:not(.hidden)').filter({ hasText: /\S/ }).first();
    await hover.waitFor({ timeout: this.timeoutMs });
    return (await hover.innerText()).trim();
  }

  /** Collapses the side bar pane with this title, if it is expanded. */
  async collapseView(title) {
    const header = this.page.locator('.pane-header', { has: this.page.locator('h3.title', { hasText: new RegExp(`^${escapeRe(title)}$`, 'i') }) }).first();
    await header.waitFor({ timeout: this.timeoutMs });
    if ((await header.getAttribute('aria-expanded')) === 'true') {
      await header.click();
      await this.parkMouse();
    }
    await this.until(
      `${title} collapsed`,
      () => header.getAttribute('aria-expanded'),
      (v) => v === 'false',
    );
  }

  /** The message a tree view shows above its rows ('' when none). */
  async viewMessage(title) {
    const pane = await this.expandView(title);
    const msg = pane.locator('.pane-body .message');
    if (!(await msg.count())) return '';
    return (await msg.first().innerText()).trim();
  }

  /** The rows of a tree view pane: label, description, nesting level. */
  async treeRows(pane) {
    return pane.locator('.pane-body .monaco-list-row').evaluateAll((els) =>
      els.map((e) => ({
        label: (e.querySelector('.label-name')?.textContent ?? '').trim(),
        description: (e.querySelector('.label-description')?.textContent ?? '').trim(),
        level: Number(e.getAttribute('aria-level')),
      })),
    );
  }

  async screenshot(file) {
    await this.page.screenshot({ path: file });
  }
}

export class TimeoutError extends Error {
  constructor(message) {
    super(message);
    this.name = 'TimeoutError';
  }
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
