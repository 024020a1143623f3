/**
 * Starting the language server: how it runs (node IPC, with an inspector
 * port in debug), which documents it sees, what settings it starts with, and
 * how often it may be restarted after a crash before the user is told.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  LanguageClient,
  TransportKind,
  CloseAction,
  ErrorAction,
  type LanguageClientOptions,
  type ServerOptions,
  type ErrorHandler,
  type Message,
} from 'vscode-languageclient/node';
import { DOCUMENT_SCHEMES } from './documents';
import { SETTINGS_SECTION } from './contributions';
import { createRestartPolicy } from './restartPolicy';
import { SERVER_NODE_FLAGS } from './serverFlags';

const MAX_RESTARTS = 3;

export function createLanguageClient(context: vscode.ExtensionContext, output: vscode.LogOutputChannel): LanguageClient {
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const env = serverEnvironment(context);
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: [...SERVER_NODE_FLAGS], env } },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: [...SERVER_NODE_FLAGS, '--nolazy', '--inspect=6019'], env } },
  };

  const onCrash = createRestartPolicy(MAX_RESTARTS);
  const errorHandler: ErrorHandler = {
    error: (_error: Error, _message: Message | undefined, count: number | undefined) => ({ action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown }),
    closed: () => {
      const decision = onCrash();
      if (decision.restart) {
        void vscode.window.showWarningMessage(decision.message);
        return { action: CloseAction.Restart };
      }
      void vscode.window.showErrorMessage(decision.message, 'Show log').then((choice) => {
        if (choice) output.show();
      });
      return { action: CloseAction.DoNotRestart };
    },
  };

  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { language: 'libvirt-xml' },
      // Plain XML files too: the server only reports on documents whose root is <domain>.
      ...DOCUMENT_SCHEMES.map((scheme) => ({ language: 'xml', scheme })),
    ],
    synchronize: { configurationSection: SETTINGS_SECTION },
    initializationOptions: settingsForServer(),
    outputChannel: output,
    errorHandler,
  };

  return new LanguageClient(SETTINGS_SECTION, 'Libvirt Domain XML', serverOptions, clientOptions);
}

/**
 * What the server's environment adds to this one (vscode-languageclient merges the two): the folder for its
 * code cache (server/src/boot/codeCache.ts) in the extension's global storage, which VS Code keeps per user and
 * removes with the extension. Storage that is no local folder leaves the server its default.
 */
function serverEnvironment(context: vscode.ExtensionContext): Record<string, string> | undefined {
  const storage = context.globalStorageUri;
  return storage.scheme === 'file' ? { LDX_CODE_CACHE_DIR: path.join(storage.fsPath, 'code-cache') } : undefined;
}

/** The settings the server starts with; later changes reach it through workspace/configuration. */
function settingsForServer(): Record<string, unknown> {
  const c = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  return {
    host: { sysfsRoot: c.get<string>('host.sysfsRoot'), snapshot: c.get<string>('host.snapshot') },
    libvirtVersion: c.get<string>('libvirtVersion'),
  };
}
