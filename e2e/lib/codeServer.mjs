/**
 * One code-server instance for one test session: a fresh user-data and
 * extensions directory, the extension installed from the .vsix, user
 * settings pointing at a fixture host, served on a free loopback port with
 * no auth, telemetry or update checks. Its whole process group (code-server,
 * the extension host, the language server, file watchers) is killed on stop,
 * so nothing outlives the suite even when a step fails.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const E2E_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const CODE_SERVER_ENTRY = path.join(E2E_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

/** Every instance started and not yet stopped, for the exit handler. */
const running = new Set();

/** A port the kernel just handed out on 127.0.0.1 (free at that moment). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Settings that keep the workbench quiet and the pictures stable: no welcome
 * page, tips, trust prompt, minimap or update checks. `extra` adds the
 * extension's own settings (the host's sysfs root).
 */
function userSettings(extra) {
  return {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.colorTheme': 'Default Dark Modern',
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'workbench.enableExperiments': false,
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'git.enabled': false,
    'chat.commandCenter.enabled': false,
    'editor.minimap.enabled': false,
    'editor.fontSize': 13,
    // Suggestions appear only where the server's trigger characters (or Ctrl+Space) ask
    // for them, as in the steps; word-based ones would mix into the lists read back.
    'editor.wordBasedSuggestions': 'off',
    'files.autoSave': 'off',
    ...extra,
  };
}

/**
 * Prepares directories, installs the .vsix and starts code-server on `folder`.
 * Returns { url, logFile, userDataDir, stop(), logTail(n) }.
 */
export async function startCodeServer({ root, name, vsix, folder, settings }) {
  const dir = path.join(root, name);
  const userDataDir = path.join(dir, 'user-data');
  const extensionsDir = path.join(dir, 'extensions');
  const home = path.join(dir, 'home');
  for (const d of [path.join(userDataDir, 'User'), extensionsDir, home]) mkdirSync(d, { recursive: true });
  writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(userSettings(settings), null, 2));
  // code-server writes a config file and state under HOME/XDG dirs; keep them in the session's directory.
  const configFile = path.join(dir, 'config.yaml');
  writeFileSync(configFile, 'auth: none\ncert: false\n');
  const env = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
  };
  delete env.VSCODE_IPC_HOOK_CLI;
  const common = ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

  const install = spawnSync(process.execPath, [CODE_SERVER_ENTRY, ...common, '--install-extension', vsix], { env, encoding: 'utf8', timeout: 120_000 });
  if (install.status !== 0 || !/successfully installed/i.test(install.stdout)) {
    throw new Error(`installing ${path.basename(vsix)} into code-server failed:\n${install.stdout}\n${install.stderr}`);
  }

  const port = await freePort();
  const logFile = path.join(dir, 'code-server.log');
  const log = createWriteStream(logFile);
  const child = spawn(
    process.execPath,
    [
      CODE_SERVER_ENTRY,
      ...common,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      folder,
    ],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);

  const instance = {
    url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`,
    logFile,
    userDataDir,
    extensionsDir,
    pid: child.pid,
    exited: false,
    logTail: (n = 30) => tail(logFile, n),
    /** The extension's own output channel (client and server log lines), last n lines. */
    extensionLogTail: (n = 30) => tail(findFile(path.join(userDataDir, 'logs'), 'Libvirt Domain XML.log'), n),
    stop: () => stop(instance),
  };
  child.on('exit', () => {
    instance.exited = true;
  });
  running.add(instance);

  await waitForListening(instance, port, 60_000);
  return instance;
}

/** Polls the port until code-server answers (or it exits, or the time is up). */
async function waitForListening(instance, port, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (instance.exited) throw new Error(`code-server exited before listening; log:\n${instance.logTail()}`);
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not listen on ${port} within ${timeoutMs / 1000} s; log:\n${instance.logTail()}`);
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** SIGTERM to the group, SIGKILL if anything is left a moment later. */
async function stop(instance) {
  if (!running.delete(instance)) return;
  signalGroup(instance.pid, 'SIGTERM');
  const until = Date.now() + 5000;
  while (Date.now() < until && groupAlive(instance.pid)) await new Promise((r) => setTimeout(r, 100));
  signalGroup(instance.pid, 'SIGKILL');
}

function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The pids of this instance's language servers: `node` processes whose
 * command line runs `dist/server.js` from this instance's extensions
 * directory and that are in its process group, so that a server of another
 * session (or another suite) is never picked.
 */
export function languageServerPids(instance) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv;
    let stat;
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; /* gone meanwhile */
    }
    if (!argv.length || !/(^|\/)node$/.test(argv[0])) continue;
    const server = argv.find((a) => a.endsWith(`${path.sep}dist${path.sep}server.js`));
    if (!server || !server.startsWith(instance.extensionsDir + path.sep)) continue;
    // stat: "pid (comm) state ppid pgrp ..."; comm may contain spaces, so count from the last ')'.
    const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    if (pgrp === instance.pid) pids.push(Number(entry));
  }
  return pids;
}

/** For process 'exit' (synchronous only): kill whatever is still running. */
export function killAllNow() {
  for (const i of running) signalGroup(i.pid, 'SIGKILL');
  running.clear();
}

function tail(file, n) {
  if (!file) return '(no log file)';
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .slice(-n - 1)
      .join('\n');
  } catch (e) {
    return `(cannot read ${file}: ${e.message})`;
  }
}

/** The newest file called `name` below `dir` (log folders are named by start time). */
function findFile(dir, name) {
  let best;
  const walk = (d) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === name && (!best || statSync(p).mtimeMs > statSync(best).mtimeMs)) best = p;
    }
  };
  walk(dir);
  return best;
}
