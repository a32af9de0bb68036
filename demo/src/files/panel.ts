/**
 * The file manager: a tree of /data, /out and /tmp; a viewer for text,
 * markdown, JSON, images and binary files (size and a hex head); upload
 * (button or drag and drop), download, create, rename, delete, and editing
 * text files in place.
 */
import type { BoxFileSystem } from '@pybox/core';
import { button, byTestId, formatBytes, h } from '../shell/dom.js';
import { renderMarkdown } from '../shell/markdown.js';
import { filePaths, hexHead, joinPath, listTree, mimeOf, movePath, nameProblem, viewOf, type FsNode } from './fs.js';

/**
 * The folders the tree shows.
 *
 * @example
 * ```ts
 * for (const root of ROOTS) await listTree(box.fs, root)
 * ```
 */
export const ROOTS = ['/data', '/out', '/tmp'];

type NameMode = { kind: 'new-file' | 'new-folder'; dir: string } | { kind: 'rename'; path: string };

/**
 * The Files tab.
 *
 * @example
 * ```ts
 * const files = new FilePanel(byTestId('files-panel'), () => sandbox.box.fs)
 * await files.refresh()
 * ```
 */
export class FilePanel {
  private trees: (FsNode | null)[] = [];
  private readonly expanded = new Set(ROOTS);
  private selected: string | null = null;
  private editing = false;
  private refreshing: Promise<void> | null = null;
  private again = false;
  private objectUrl: string | null = null;
  private readonly tree: HTMLElement;
  private readonly viewer: HTMLElement;
  private readonly form: HTMLFormElement;
  private readonly nameInput: HTMLInputElement;
  private readonly error: HTMLElement;
  private readonly fileInput: HTMLInputElement;
  private nameMode: NameMode | null = null;
  /** Folders of the last listing (null before the first: the seed folders start closed). */
  private seenDirs: Set<string> | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly fs: () => BoxFileSystem,
  ) {
    this.tree = byTestId('file-tree', root);
    this.viewer = byTestId('file-view', root);
    this.form = byTestId<HTMLFormElement>('name-form', root);
    this.nameInput = byTestId<HTMLInputElement>('name-input', root);
    this.error = byTestId('files-error', root);
    this.fileInput = byTestId<HTMLInputElement>('file-input', root);
    this.bindToolbar();
    this.bindDrop();
    this.showViewer();
  }

  /** Every file path the tree showed at its last refresh. */
  get knownFiles(): string[] {
    return filePaths(this.trees);
  }

  /**
   * Lists the folders again (and reloads the open file unless it is being
   * edited). Calls made while one is going are folded into one more.
   */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        try {
          this.trees = await Promise.all(ROOTS.map((r) => listTree(this.fs(), r)));
          this.openNewFolders();
          this.renderTree();
          if (this.selected && !this.editing) await this.showViewer();
        } catch (e) {
          // The box may be restarting (a hard stop): the next refresh will find it.
          this.showError(`Could not list the files: ${message(e)}`);
        }
      } while (this.again);
      this.refreshing = null;
    })();
    return this.refreshing;
  }

  // ---- the tree -------------------------------------------------------------------

  /** Folders that appeared since the last listing open, so that what code writes into them shows. */
  private openNewFolders(): void {
    const dirs: string[] = [];
    const walk = (n: FsNode | null) => {
      if (n?.kind !== 'dir') return;
      dirs.push(n.path);
      n.children!.forEach(walk);
    };
    this.trees.forEach(walk);
    if (this.seenDirs) for (const d of dirs) if (!this.seenDirs.has(d)) this.expanded.add(d);
    this.seenDirs = new Set(dirs);
  }

  private renderTree(): void {
    this.tree.replaceChildren(
      ...ROOTS.map((root, i) => {
        const node = this.trees[i];
        return node ? this.renderNode(node, 0) : h('li', { class: 'muted', text: `${root} does not exist` });
      }),
    );
  }

  private renderNode(node: FsNode, depth: number): HTMLElement {
    const isDir = node.kind === 'dir';
    const open = isDir && this.expanded.has(node.path);
    const row = button('', () => this.select(node), { class: `node ${node.kind}`, testid: 'file', title: node.path });
    row.dataset.path = node.path;
    row.dataset.kind = node.kind;
    row.style.paddingLeft = `${6 + depth * 14}px`;
    row.classList.toggle('selected', node.path === this.selected);
    if (isDir) row.setAttribute('aria-expanded', String(open));
    row.append(
      h('span', { class: 'caret', text: isDir ? (open ? '▾' : '▸') : '' }),
      h('span', { class: 'name', text: depth === 0 ? node.path : node.name }),
      h('span', { class: 'size', text: isDir ? `${node.children!.length} item${node.children!.length === 1 ? '' : 's'}` : formatBytes(node.size) }),
    );
    const li = h('li', {}, row);
    if (open) {
      li.append(
        node.children!.length
          ? h('ul', {}, ...node.children!.map((c) => this.renderNode(c, depth + 1)))
          : h('ul', {}, h('li', { class: 'muted empty-dir', text: 'empty', attrs: { style: `padding-left:${20 + (depth + 1) * 14}px` } })),
      );
    }
    return li;
  }

  private select(node: FsNode): void {
    if (node.kind === 'dir') {
      // A click opens a closed folder; a click on the selected, open folder closes it.
      if (!this.expanded.has(node.path)) this.expanded.add(node.path);
      else if (this.selected === node.path) this.expanded.delete(node.path);
    }
    this.selected = node.path;
    this.editing = false;
    this.closeNameForm();
    this.renderTree();
    void this.showViewer();
  }

  /** The folder new files go to: the selected folder, the selected file's folder, or /data. */
  private targetDir(): string {
    const node = this.selected ? this.find(this.selected) : null;
    if (!node) return '/data';
    return node.kind === 'dir' ? node.path : node.path.slice(0, node.path.lastIndexOf('/')) || '/data';
  }

  private find(path: string): FsNode | null {
    const walk = (n: FsNode | null): FsNode | null => {
      if (!n) return null;
      if (n.path === path) return n;
      for (const c of n.children ?? []) {
        const f = walk(c);
        if (f) return f;
      }
      return null;
    };
    for (const t of this.trees) {
      const f = walk(t);
      if (f) return f;
    }
    return null;
  }

  // ---- the viewer -------------------------------------------------------------------

  private async showViewer(): Promise<void> {
    this.updateToolbar();
    const path = this.selected;
    this.viewer.dataset.path = path ?? '';
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
    this.objectUrl = null;
    const node = path ? this.find(path) : null;
    if (!path || !node) {
      this.viewer.replaceChildren(h('p', { class: 'muted', text: path ? `${path} no longer exists.` : 'Click a file to see it. Drop files from your computer on a folder to upload them.' }));
      return;
    }
    if (node.kind === 'dir') {
      this.viewer.replaceChildren(
        h('p', { class: 'view-head' }, h('strong', { text: node.path }), ` · folder · ${node.children!.length} items`),
        h('p', { class: 'muted', text: 'Upload, New file and New folder put things here.' }),
      );
      return;
    }
    const bytes = await this.fs().readFile(path);
    if (this.selected !== path) return; // another file was clicked meanwhile
    const view = viewOf(path, bytes);
    const head = h('div', { class: 'view-head' }, h('strong', { text: path }), ` · ${formatBytes(bytes.byteLength)} · ${view.kind}`);
    if (view.kind === 'image') {
      this.objectUrl = URL.createObjectURL(new Blob([bytes as BlobPart], { type: view.mime }));
      const img = h('img', { testid: 'file-image', attrs: { alt: path, src: this.objectUrl } });
      this.viewer.replaceChildren(head, h('div', { class: 'image-view' }, img));
    } else if (view.kind === 'binary') {
      this.viewer.replaceChildren(head, h('p', { class: 'muted', text: `Binary file: ${bytes.byteLength} bytes. The first ${Math.min(256, bytes.byteLength)}:` }), h('pre', { class: 'hex', text: hexHead(bytes), testid: 'file-hex' }));
    } else {
      const edit = button('Edit', () => this.startEdit(view.text), { class: 'small', testid: 'file-edit' });
      head.append(' ', edit);
      let body: HTMLElement;
      if (view.kind === 'json') body = h('pre', { class: 'json', text: JSON.stringify(view.value, null, 2), testid: 'file-json' });
      else if (view.language === 'markdown') {
        body = h('div', { class: 'md-view', testid: 'file-markdown' });
        renderMarkdown(body, view.text);
      } else body = h('pre', { class: 'text', text: view.text, testid: 'file-text' });
      this.viewer.replaceChildren(head, body);
    }
  }

  private startEdit(text: string): void {
    const path = this.selected!;
    this.editing = true;
    const area = h('textarea', { class: 'file-editor', testid: 'file-editor', attrs: { spellcheck: 'false', 'aria-label': `Contents of ${path}` } });
    area.value = text;
    const save = button('Save', () => void this.save(path, area.value), { class: 'primary small', testid: 'file-save' });
    const cancel = button('Cancel', () => {
      this.editing = false;
      void this.showViewer();
    }, { class: 'small' });
    this.viewer.replaceChildren(h('div', { class: 'view-head' }, h('strong', { text: path }), ' · editing ', save, ' ', cancel), area);
    area.focus();
  }

  private async save(path: string, text: string): Promise<void> {
    await this.act(async () => {
      await this.fs().writeFile(path, text);
      this.editing = false;
    });
  }

  // ---- the toolbar -------------------------------------------------------------------

  private bindToolbar(): void {
    byTestId('file-upload', this.root).addEventListener('click', () => this.fileInput.click());
    this.fileInput.addEventListener('change', () => {
      const files = [...(this.fileInput.files ?? [])];
      this.fileInput.value = '';
      void this.upload(files, this.targetDir());
    });
    byTestId('file-new', this.root).addEventListener('click', () => this.openNameForm({ kind: 'new-file', dir: this.targetDir() }));
    byTestId('folder-new', this.root).addEventListener('click', () => this.openNameForm({ kind: 'new-folder', dir: this.targetDir() }));
    byTestId('file-rename', this.root).addEventListener('click', () => this.selected && this.openNameForm({ kind: 'rename', path: this.selected }));
    byTestId('file-delete', this.root).addEventListener('click', () => this.confirmDelete());
    byTestId('file-download', this.root).addEventListener('click', () => void this.download());
    byTestId('file-refresh', this.root).addEventListener('click', () => void this.refresh());
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submitName();
    });
    byTestId('name-cancel', this.root).addEventListener('click', () => this.closeNameForm());
    this.nameInput.addEventListener('keydown', (e) => e.key === 'Escape' && this.closeNameForm());
  }

  private updateToolbar(): void {
    const node = this.selected ? this.find(this.selected) : null;
    const isRoot = !!node && ROOTS.includes(node.path);
    byTestId<HTMLButtonElement>('file-rename', this.root).disabled = !node || isRoot;
    byTestId<HTMLButtonElement>('file-delete', this.root).disabled = !node || isRoot;
    byTestId<HTMLButtonElement>('file-download', this.root).disabled = node?.kind !== 'file';
    byTestId('files-target', this.root).textContent = `Uploads, drops and new files go to ${this.targetDir()}.`;
  }

  private openNameForm(mode: NameMode): void {
    this.nameMode = mode;
    this.error.textContent = '';
    const label = byTestId('name-label', this.root);
    label.textContent = mode.kind === 'rename' ? `Rename ${mode.path} to` : mode.kind === 'new-file' ? `New file in ${mode.dir}` : `New folder in ${mode.dir}`;
    this.nameInput.value = mode.kind === 'rename' ? mode.path.split('/').pop()! : '';
    this.form.hidden = false;
    this.nameInput.focus();
    this.nameInput.select();
  }

  private closeNameForm(): void {
    this.nameMode = null;
    this.form.hidden = true;
  }

  private async submitName(): Promise<void> {
    const mode = this.nameMode;
    if (!mode) return;
    const name = this.nameInput.value.trim();
    const problem = nameProblem(name);
    if (problem) return this.showError(problem);
    await this.act(async () => {
      if (mode.kind === 'rename') {
        const to = joinPath(mode.path.slice(0, mode.path.lastIndexOf('/')), name);
        await movePath(this.fs(), mode.path, to);
        this.selected = to;
      } else {
        const path = joinPath(mode.dir, name);
        if (await this.fs().stat(path)) throw new Error(`${path} already exists`);
        if (mode.kind === 'new-folder') await this.fs().mkdir(path);
        else await this.fs().writeFile(path, '');
        this.expanded.add(mode.dir);
        this.selected = path;
      }
      this.closeNameForm();
    });
    if (mode.kind === 'new-file' && this.selected && this.find(this.selected)?.kind === 'file') this.startEdit('');
  }

  private confirmDelete(): void {
    const path = this.selected;
    if (!path) return;
    this.error.replaceChildren(
      `Delete ${path}${this.find(path)?.kind === 'dir' ? ' and everything in it' : ''}? `,
      button('Delete', () => void this.act(async () => {
        await this.fs().rm(path, { recursive: true });
        this.selected = null;
      }), { class: 'danger small', testid: 'confirm-delete' }),
      ' ',
      button('Cancel', () => (this.error.textContent = ''), { class: 'small' }),
    );
  }

  private async download(): Promise<void> {
    const path = this.selected;
    if (!path) return;
    const bytes = await this.fs().readFile(path);
    const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: mimeOf(path) }));
    const a = h('a', { attrs: { href: url, download: path.split('/').pop()! } });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  /** Writes files from the user's computer into `dir` (an upload replaces a file of the same name). */
  private async upload(files: File[], dir: string): Promise<void> {
    if (!files.length) return;
    await this.act(async () => {
      for (const file of files) await this.fs().writeFile(joinPath(dir, file.name), new Uint8Array(await file.arrayBuffer()));
      this.expanded.add(dir);
      this.selected = joinPath(dir, files[0]!.name);
    });
  }

  private bindDrop(): void {
    const zone = this.root;
    const folderAt = (e: DragEvent) => {
      const node = (e.target as HTMLElement).closest<HTMLElement>('[data-testid="file"]');
      if (!node) return this.targetDir();
      return node.dataset.kind === 'dir' ? node.dataset.path! : node.dataset.path!.slice(0, node.dataset.path!.lastIndexOf('/'));
    };
    zone.addEventListener('dragover', (e) => {
      if (!e.dataTransfer?.types.includes('Files')) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      zone.classList.add('dropping');
      byTestId('files-target', this.root).textContent = `Drop to ${folderAt(e)}`;
    });
    zone.addEventListener('dragleave', (e) => {
      if (!zone.contains(e.relatedTarget as Node)) {
        zone.classList.remove('dropping');
        this.updateToolbar();
      }
    });
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      zone.classList.remove('dropping');
      void this.upload([...(e.dataTransfer?.files ?? [])], folderAt(e));
    });
  }

  /** Runs a change, shows its error if any, and refreshes the tree. */
  private async act(fn: () => Promise<void>): Promise<void> {
    this.error.textContent = '';
    try {
      await fn();
    } catch (e) {
      this.showError(message(e));
    }
    await this.refresh();
    await this.showViewer();
  }

  private showError(text: string): void {
    this.error.textContent = text;
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
