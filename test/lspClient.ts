/**
 * A small LSP client for tests: spawns `node dist/server.js --stdio` and
 * speaks JSON-RPC to it through vscode-languageserver-protocol, the same
 * library editors use, so the tests exercise the real transport.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { SERVER_NODE_FLAGS } from '../client/src/serverFlags';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  InitializeRequest,
  InitializedNotification,
  ShutdownRequest,
  ExitNotification,
  DidOpenTextDocumentNotification,
  DidChangeTextDocumentNotification,
  DidSaveTextDocumentNotification,
  PublishDiagnosticsNotification,
  ConfigurationRequest,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type InitializeResult,
} from 'vscode-languageserver-protocol/node';

export const SERVER = path.join(__dirname, '..', 'dist', 'server.js');

export interface TestClient {
  connection: ProtocolConnection;
  child: ChildProcess;
  initializeResult: InitializeResult;
  /** Every diagnostics notification received, in order. */
  published: PublishDiagnosticsParams[];
  /** Host and grammar status, log and show-message notifications received, in order. */
  notifications: { method: string; params: unknown }[];
  /** Resolves with the first notification of `method` (received already or to come) that passes `accept`. */
  notification<T>(method: string, accept?: (p: T) => boolean): Promise<T>;
  /** Resolves with the first diagnostics for `uri` whose version is at least `version` and that pass `accept`. */
  diagnostics(uri: string, version?: number, accept?: (p: PublishDiagnosticsParams) => boolean): Promise<PublishDiagnosticsParams>;
  open(uri: string, text: string, version?: number, languageId?: string): Promise<void>;
  change(uri: string, version: number, text: string): Promise<void>;
  save(uri: string): Promise<void>;
  stop(): Promise<number | null>;
  stderr: () => string;
}

export async function startClient(
  opts: { settings?: Record<string, unknown>; initializationOptions?: Record<string, unknown>; env?: NodeJS.ProcessEnv } = {},
): Promise<TestClient> {
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += String(d);
  });
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const published: PublishDiagnosticsParams[] = [];
  const waiters: { uri: string; version: number; accept: (p: PublishDiagnosticsParams) => boolean; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
    published.push(p);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      if (w.uri === p.uri && (p.version ?? 0) >= w.version && w.accept(p)) {
        waiters.splice(i, 1);
        w.resolve(p);
      }
    }
  });
  connection.onRequest(ConfigurationRequest.type, (params) => params.items.map((item) => (item.section === 'libvirtDomainXml' ? (opts.settings ?? {}) : null)));
  // The server's other notifications, recorded in order for tests that read them.
  const notifications: { method: string; params: unknown }[] = [];
  const noticeWaiters: { method: string; accept: (p: unknown) => boolean; resolve: (p: unknown) => void }[] = [];
  for (const method of ['libvirtDomainXml/hostStatus', 'libvirtDomainXml/grammarStatus', 'window/logMessage', 'window/showMessage']) {
    connection.onNotification(method, (params: unknown) => {
      notifications.push({ method, params });
      for (let i = noticeWaiters.length - 1; i >= 0; i--) {
        const w = noticeWaiters[i];
        if (w.method === method && w.accept(params)) {
          noticeWaiters.splice(i, 1);
          w.resolve(params);
        }
      }
    });
  }
  connection.listen();
  const initializeResult = await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: null,
    capabilities: { workspace: { configuration: !!opts.settings } },
    initializationOptions: opts.initializationOptions,
  });
  await connection.sendNotification(InitializedNotification.type, {});
  return {
    connection,
    child,
    initializeResult,
    published,
    notifications,
    notification<T>(method: string, accept: (p: T) => boolean = () => true): Promise<T> {
      const hit = notifications.find((n) => n.method === method && accept(n.params as T));
      if (hit) return Promise.resolve(hit.params as T);
      return new Promise<T>((resolve) => noticeWaiters.push({ method, accept: (p) => accept(p as T), resolve: (p) => resolve(p as T) }));
    },
    stderr: () => stderr,
    diagnostics(uri, version = 0, accept = () => true) {
      const hit = published.find((p) => p.uri === uri && (p.version ?? 0) >= version && accept(p));
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve) => waiters.push({ uri, version, accept, resolve }));
    },
    open: (uri, text, version = 1, languageId = 'libvirt-xml') =>
      connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version, text } }),
    change: (uri, version, text) => connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text }] }),
    save: (uri) => connection.sendNotification(DidSaveTextDocumentNotification.type, { textDocument: { uri } }),
    async stop() {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await connection.sendRequest(ShutdownRequest.type);
      await connection.sendNotification(ExitNotification.type);
      const code = await exited;
      connection.dispose();
      return code;
    },
  };
}
