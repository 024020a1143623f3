/**
 * `libvirt-domain-xml check … | head -1`: once the reader has gone, the next
 * write fails with EPIPE. A classic Unix tool is ended by SIGPIPE there,
 * silently, and the shell reports status 141. Node ignores SIGPIPE and turns
 * the failed write into an unhandled 'error' event, that is a stack trace on
 * standard error; so the first EPIPE on either output ends the process the
 * way SIGPIPE ends any other tool.
 */
const SIGPIPE_STATUS = 128 + 13;

export function endQuietlyOnClosedPipe(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  const onError = (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') dieOfSigpipe();
    throw e;
  };
  for (const s of streams) s.on('error', onError);
}

function dieOfSigpipe(): never {
  // Node starts with SIGPIPE ignored. Adding a listener and removing it hands the
  // signal back to its default action, so the signal below ends the process (and
  // its worker threads) as it would end any tool; exit() is for where it cannot.
  const listener = () => undefined;
  process.on('SIGPIPE', listener);
  process.removeListener('SIGPIPE', listener);
  process.kill(process.pid, 'SIGPIPE');
  process.exit(SIGPIPE_STATUS);
}
