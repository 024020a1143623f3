/**
 * Node options the language server is started with. The extension and the
 * test client (test/lspClient.ts) both use these, so tests and the benchmark
 * measure the server as users run it.
 *
 * - --max-semi-space-size=2: V8's young generation grows to 3 × 16 MB by
 *   default. The server's young objects are small and short-lived, and a
 *   smaller young generation saved about 20 MB of resident memory with a
 *   5 MB document open, with no measurable cost to an edit's analysis.
 * - --expose-gc: lets the server collect garbage once analyses of a large
 *   document pause (server/src/session/idleCollector.ts).
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--expose-gc'];
