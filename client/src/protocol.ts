/**
 * The extension's own LSP messages, from the server's protocol module: a
 * leaf that imports nothing of the server, so no server code ends up in the
 * client bundle (test/architecture.test.ts keeps it so).
 */
export * from '../../server/src/protocol';
