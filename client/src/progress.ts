/**
 * Progress for long work the user would otherwise wait on in silence. The
 * first check of a large domain (a megabyte of XML and more, typically a
 * generated test domain) can take seconds: a notification says it runs
 * until the server publishes that document's diagnostics. Host refreshes
 * show progress in commands.ts; server-side work reported with LSP
 * `$/progress` (work-done progress) is shown by the language client itself.
 */
import * as vscode from 'vscode';
import { isCandidateDocument, isLargeDocument, looksLikeDomain } from './documents';

/** Give up waiting after this long: the check may have failed, and the log says so. */
const MAX_WAIT_MS = 120_000;

export function watchLargeDocuments(): vscode.Disposable {
  const pending = new Set<string>();
  return vscode.workspace.onDidOpenTextDocument((doc) => {
    if (!isCandidateDocument(doc) || !isLargeDocument(doc.getText().length)) return;
    const key = doc.uri.toString();
    if (pending.has(key) || !looksLikeDomain(doc.getText())) return;
    pending.add(key);
    const mb = (doc.getText().length / (1024 * 1024)).toFixed(1);
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Checking ${baseName(doc.uri)} (${mb} MB)…` },
      () =>
        new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            subs.forEach((s) => s.dispose());
            pending.delete(key);
            resolve();
          };
          const timer = setTimeout(done, MAX_WAIT_MS);
          const subs = [
            vscode.languages.onDidChangeDiagnostics((e) => {
              if (e.uris.some((u) => u.toString() === key)) done();
            }),
            vscode.workspace.onDidCloseTextDocument((d) => {
              if (d.uri.toString() === key) done();
            }),
          ];
        }),
    );
  });
}

function baseName(uri: vscode.Uri): string {
  const p = uri.path;
  return p.slice(p.lastIndexOf('/') + 1) || p;
}
