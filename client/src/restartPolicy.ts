/**
 * When a crashed server is started again: at most `max` times within
 * `windowMs`, so that a server that dies on one bad input comes back, and one
 * that dies at every start is left stopped with a clear message instead of
 * flapping. No vscode import, so the policy is tested on its own.
 */
export interface RestartDecision {
  restart: boolean;
  /** What the user is told. */
  message: string;
}

export function createRestartPolicy(max = 3, windowMs = 3 * 60 * 1000, now: () => number = Date.now): () => RestartDecision {
  const crashes: number[] = [];
  return () => {
    const t = now();
    while (crashes.length && t - crashes[0] > windowMs) crashes.shift();
    crashes.push(t);
    if (crashes.length <= max) {
      return { restart: true, message: `The libvirt domain XML server stopped; restarting it (${crashes.length}/${max}).` };
    }
    return {
      restart: false,
      message: `The libvirt domain XML server stopped ${crashes.length} times in ${Math.round(windowMs / 60000)} minutes and will not be restarted. See the "Libvirt Domain XML" output for details.`,
    };
  };
}
