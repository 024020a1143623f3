/**
 * LSP wiring only: documents, settings and requests in; the language service
 * does the work. Run as `node dist/server.js --stdio` (or over node IPC from
 * the VS Code client).
 */
import {
  createConnection,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type InitializeParams,
  type InitializeResult,
  CodeActionKind,
  MessageType,
  ShowMessageNotification,
  ResponseError,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { getLanguageService, type ParsedDocument } from './languageService';
import { HostTopologyProvider } from './host/provider';
import { firstElement } from './xml/parser';
import { normalizeVersion } from './domain/versions';
import { DEFAULT_MAX_FINDINGS } from './rules/cap';
import { DEFAULT_SESSION_SETTINGS } from './session/settings';
import { DEFAULT_SPARE_BUS_NUMBERS } from './rules/settings';
import { DocumentAnalysis } from './session/documentAnalysis';
import { SchemaValidator } from './schema/validator';
import { GrammarSource, grammarStatusOf, type GrammarChoice } from './schema/grammarSource';
import { detectLibvirtVersion } from './session/libvirtVersion';
import { describeHost } from './session/hostStatus';
import { StartupGate } from './session/startupGate';
import { topologyView } from './features/topologyView';
import {
  GRAMMAR_STATUS_NOTIFICATION,
  HOST_STATUS_NOTIFICATION,
  HOST_TOPOLOGY_REQUEST,
  REFRESH_HOST_REQUEST,
  TOPOLOGY_REQUEST,
  type TopologyParams,
  LIBVIRT_CONNECTIONS_REQUEST,
  LIBVIRT_DEFINE_REQUEST,
  LIBVIRT_DOMAINS_REQUEST,
  LIBVIRT_FAILURE_CODE,
  LIBVIRT_NATIVE_REQUEST,
  LIBVIRT_READ_REQUEST,
  type LibvirtFailure,
} from './protocol';
import { LibvirtRequestError, LibvirtRequests } from './libvirt/requests';
import { IdleCollector, exposedGc } from './session/idleCollector';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const hostProvider = new HostTopologyProvider();
/** libvirt's grammar, shared by schema validation, completion and hover; loaded on first need, after the first diagnostics. */
const grammar = new GrammarSource();
/**
 * The first analyses and requests wait for the host the settings name, at most
 * this long: long enough for a snapshot or a Grace host's sysfs (tens of
 * milliseconds), short enough not to be felt when a host is slow to read.
 */
const HOST_WAIT_MS = 2000;
/** After a domain's first diagnostics, the pause before the grammar is read, so their sending goes first. */
const GRAMMAR_LOAD_DELAY_MS = 50;
const startup = new StartupGate(HOST_WAIT_MS, () => {
  connection.console.info(`The host topology is not read after ${HOST_WAIT_MS / 1000} s: checking without it until it arrives.`);
  sendHostStatus();
});
const schema = new SchemaValidator({ log: (m) => connection.console.log(m), grammar });
/**
 * The grammar's status at once, then again with how documents are validated against it once the engine knows
 * (libxml2 loaded, or the fallback and why), unless the grammar was chosen again meanwhile.
 */
function sendGrammarStatus(c: GrammarChoice): void {
  const status = grammarStatusOf(c);
  void connection.sendNotification(GRAMMAR_STATUS_NOTIFICATION, status);
  if (!c.grammar) return;
  void schema.validationStatus().then((validation) => {
    if (grammar.current === c) void connection.sendNotification(GRAMMAR_STATUS_NOTIFICATION, { ...status, validation });
  });
}
grammar.onDidLoad(sendGrammarStatus);
const service = getLanguageService({
  host: { topology: () => hostProvider.current, reading: () => hostProvider.reading },
  schema,
  grammar: { current: () => grammar.current?.grammar, pending: () => grammar.current === undefined, load: () => void grammar.load() },
  log: (m) => connection.console.error(m),
});

let hasConfiguration = false;
let explicitVersion: string | undefined;
let detectedVersion: string | undefined;

/** After a pause in the analyses of a large document, its garbage is collected (see idleCollector.ts). */
const idleCollector = new IdleCollector({ delayMs: 2000, minSize: 1024 * 1024, collect: exposedGc() });

const analysis = new DocumentAnalysis<TextDocument>({
  service,
  current: (uri) => documents.get(uri),
  publish: (uri, version, diagnostics) => {
    void connection.sendDiagnostics({ uri, version, diagnostics });
    const text = documents.get(uri)?.getText() ?? '';
    idleCollector.analysed(text.length);
    // The grammar is read once a domain's first diagnostics are out, not on the first
    // completion: that one would otherwise get the catalog's list only, and an editor
    // asks again only at the next keystroke. (Schema validation, when on, loads it too.)
    if (grammar.current === undefined && firstElement(text)?.name === 'domain') setTimeout(() => void grammar.load(), GRAMMAR_LOAD_DELAY_MS);
  },
  onActivity: () => hostProvider.noteActivity(),
  gate: startup,
  log: (m) => connection.console.error(m),
});

interface ClientSettings {
  host?: { sysfsRoot?: unknown; snapshot?: unknown };
  libvirtVersion?: unknown;
  maxLiveAnalysisSizeMB?: unknown;
  maxFindingsPerFile?: unknown;
  topology?: { spareBusNumbers?: unknown };
  schema?: { enable?: unknown; directory?: unknown };
}

/**
 * A warning for the user: the window/showMessage notification, which every
 * client shows. (connection.window.showWarningMessage sends a request instead,
 * whose rejection by a client without it would end the server.)
 */
function warn(message: string): void {
  void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message });
}

function applySettings(s: ClientSettings | undefined): void {
  const sysfsRoot = typeof s?.host?.sysfsRoot === 'string' && s.host.sysfsRoot ? s.host.sysfsRoot : undefined;
  const snapshot = typeof s?.host?.snapshot === 'string' && s.host.snapshot ? s.host.snapshot : undefined;
  hostProvider.configure({ sysfsRoot, snapshot });
  const raw = s?.libvirtVersion;
  explicitVersion = normalizeVersion(raw);
  if (typeof raw === 'string' && raw.trim() && !explicitVersion) {
    warn(`libvirtDomainXml.libvirtVersion '${raw}' is not a version like 11.10.0; version checks use ${detectedVersion ?? 'no version'}.`);
  }
  const mb = s?.maxLiveAnalysisSizeMB;
  const maxLiveAnalysisSize = typeof mb === 'number' && Number.isFinite(mb) && mb > 0 ? Math.round(mb * 1024 * 1024) : DEFAULT_SESSION_SETTINGS.maxLiveAnalysisSize;
  const spare = s?.topology?.spareBusNumbers;
  const spareBusNumbers = typeof spare === 'number' && Number.isInteger(spare) && spare >= 0 && spare <= 16 ? spare : DEFAULT_SPARE_BUS_NUMBERS;
  const max = s?.maxFindingsPerFile;
  const maxFindings = typeof max === 'number' && Number.isInteger(max) && max >= 0 ? max : DEFAULT_MAX_FINDINGS;
  service.configure({ libvirtVersion: explicitVersion ?? detectedVersion, spareBusNumbers, maxFindings });
  analysis.configure({ maxLiveAnalysisSize });
  const wasEnabled = schema.enabled;
  schema.configure({
    enable: s?.schema?.enable !== false,
    directory: typeof s?.schema?.directory === 'string' ? s.schema.directory : '',
    targetVersion: explicitVersion ?? detectedVersion,
  });
  // Switching validation on or off keeps the grammar, so its status is told again here.
  if (schema.enabled !== wasEnabled && grammar.current) sendGrammarStatus(grammar.current);
}

async function pullSettings(): Promise<void> {
  if (!hasConfiguration) return;
  try {
    const [s] = await connection.workspace.getConfiguration([{ section: 'libvirtDomainXml' }]);
    applySettings(s as ClientSettings);
  } catch (e) {
    connection.console.error(`could not read settings: ${(e as Error).message}`);
  }
}

async function refreshHost(): Promise<void> {
  await hostProvider.get();
  sendHostStatus();
}

/** The host read error the user was last warned about: each new one is said once, not at every status update. */
let warnedHostError: string | undefined;

function sendHostStatus(): void {
  connection.sendNotification(HOST_STATUS_NOTIFICATION, describeHost(hostProvider.current, hostProvider.lastError, hostProvider.reading));
  const error = hostProvider.lastError;
  if (error && error !== warnedHostError) {
    // A configured sysfs root or snapshot that cannot be used is a setting to fix, not a host without SMMUs.
    warn(`Libvirt Domain XML: ${error} Host-dependent checks are off until the host setting is fixed.`);
  }
  warnedHostError = error;
}

connection.onInitialize((params: InitializeParams): InitializeResult => {
  hasConfiguration = !!params.capabilities.workspace?.configuration;
  // Some clients (Helix) wrap the options in the settings section name.
  const init = params.initializationOptions as (ClientSettings & { libvirtDomainXml?: ClientSettings }) | undefined;
  applySettings(init?.libvirtDomainXml ?? init);
  // The read starts now, not after the handshake: documents opened at once wait for it (startupGate.ts).
  void hostProvider.get();
  startup.start();
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
      completionProvider: { triggerCharacters: ['<', ' ', '"', "'", '=', '.'], resolveProvider: false },
      hoverProvider: true,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.Source] },
      documentSymbolProvider: true,
      definitionProvider: true,
      referencesProvider: true,
      renameProvider: { prepareProvider: true },
    },
    serverInfo: { name: 'libvirt-domain-xml', version: '0.1.0' },
  };
});

let detection: Promise<void> | undefined;
/**
 * The installed libvirt's version (`virsh --version`), asked once and only when the settings name no target
 * release: with one, it changes nothing, and the first analyses need not wait for a process start.
 */
function detectVersionIfNeeded(): Promise<void> {
  if (explicitVersion) return Promise.resolve();
  detection ??= detectLibvirtVersion().then((v) => {
    detectedVersion = v;
    if (explicitVersion) return;
    service.configure({ libvirtVersion: detectedVersion });
    schema.configure({ targetVersion: detectedVersion });
  });
  return detection;
}

connection.onInitialized(async () => {
  await pullSettings();
  await Promise.all([detectVersionIfNeeded(), refreshHost()]);
  // Later reads that change the host revalidate the documents. The initial read does not need to: the documents
  // opened meanwhile wait for it at the gate, and a second analysis would only repeat the first.
  hostProvider.onDidChange(() => {
    sendHostStatus();
    analysis.revalidateAll(documents.all());
  });
  // When the bound ran out first, the documents were analysed without the host (or without the detected version).
  const late = startup.isOpen;
  startup.open();
  if (late) analysis.revalidateAll(documents.all());
});

connection.onDidChangeConfiguration(async (change) => {
  if (hasConfiguration) await pullSettings();
  else applySettings((change.settings as { libvirtDomainXml?: ClientSettings })?.libvirtDomainXml);
  await Promise.all([detectVersionIfNeeded(), refreshHost()]);
  analysis.revalidateAll(documents.all());
});

documents.onDidOpen((e) => analysis.opened(e.document));
documents.onDidChangeContent((e) => analysis.changed(e.document));
documents.onDidSave((e) => analysis.saved(e.document));
documents.onDidClose((e) => {
  analysis.closed(e.document.uri);
  connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});

/** A request on a document: after the initial host read (or its bound), on that version's one parse. */
async function withDoc<T>(uri: string, fallback: T, fn: (p: ParsedDocument) => T): Promise<T> {
  if (!startup.isOpen) await startup.wait();
  const doc = documents.get(uri);
  if (!doc) return fallback;
  try {
    const p = analysis.forRequest(doc);
    if (!p) return fallback;
    return fn(p);
  } catch (e) {
    connection.console.error(`request failed on ${uri}: ${(e as Error)?.stack ?? e}`);
    return fallback;
  }
}

connection.onCompletion((p) => withDoc(p.textDocument.uri, null, (d) => service.complete(d, p.position)));
connection.onHover((p) => withDoc(p.textDocument.uri, null, (d) => service.hover(d, p.position)));
connection.onCodeAction((p) => withDoc(p.textDocument.uri, [], (d) => service.codeActions(d, p.range, p.context.diagnostics, p.context.only)));
connection.onDocumentSymbol((p) => withDoc(p.textDocument.uri, [], (d) => service.symbols(d)));
connection.onDefinition((p) => withDoc(p.textDocument.uri, [], (d) => service.definition(d, p.position)));
connection.onReferences((p) => withDoc(p.textDocument.uri, [], (d) => service.references(d, p.position, p.context.includeDeclaration)));
connection.onPrepareRename((p) => withDoc(p.textDocument.uri, null, (d) => service.prepareRename(d, p.position)));
connection.onRenameRequest((p) => withDoc(p.textDocument.uri, null, (d) => service.rename(d, p.position, p.newName)));

connection.onRequest(REFRESH_HOST_REQUEST, async () => {
  await hostProvider.refresh();
  sendHostStatus();
  return describeHost(hostProvider.current, hostProvider.lastError);
});
connection.onRequest(HOST_TOPOLOGY_REQUEST, async () => hostProvider.current ?? null);
connection.onRequest(TOPOLOGY_REQUEST, (p: TopologyParams) => withDoc(p.uri, null, (d) => topologyView(d, hostProvider.current, service.findings(d))));

/** The editor's libvirt requests: virsh runs here, in the server, for the Libvirt Domains view and the libvirt: file system. */
const libvirt = new LibvirtRequests();
function onLibvirtRequest<P, R>(method: string, answer: (p: P) => Promise<R>): void {
  connection.onRequest(method, async (p: P) => {
    try {
      return await answer(p);
    } catch (e) {
      // What went wrong with libvirt is said to the user as it is; anything else is a fault of ours, logged whole.
      if (e instanceof LibvirtRequestError) return new ResponseError<LibvirtFailure>(LIBVIRT_FAILURE_CODE, e.message, { kind: e.kind });
      connection.console.error(`${method} failed: ${(e as Error)?.stack ?? e}`);
      throw e;
    }
  });
}
onLibvirtRequest(LIBVIRT_CONNECTIONS_REQUEST, libvirt.connections.bind(libvirt));
onLibvirtRequest(LIBVIRT_DOMAINS_REQUEST, libvirt.domains.bind(libvirt));
onLibvirtRequest(LIBVIRT_READ_REQUEST, libvirt.read.bind(libvirt));
onLibvirtRequest(LIBVIRT_DEFINE_REQUEST, libvirt.define.bind(libvirt));
onLibvirtRequest(LIBVIRT_NATIVE_REQUEST, libvirt.native.bind(libvirt));

documents.listen(connection);
connection.listen();
