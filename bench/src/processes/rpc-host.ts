import { RPC_READY, type RpcMethods, type RpcRequest, type RpcResponse } from './rpc-protocol';

/**
 * Child side of the bench's IPC: answers calls from the driver and exits when the
 * driver goes away, so a crashed driver never leaves load running on the machine.
 */
export function serveRpc(methods: RpcMethods, onShutdown: () => Promise<void> = async () => undefined): void {
  if (!process.send) throw new Error('bench child processes must be started with an IPC channel (fork)');
  const send = (message: RpcResponse | string) => process.send?.(message);
  process.on('message', (message: RpcRequest) => {
    const method = methods[message.method];
    if (!method) {
      send({ id: message.id, ok: false, message: `unknown method ${message.method}` });
      return;
    }
    method(message.params as never).then(
      (result) => send({ id: message.id, ok: true, result }),
      (error: unknown) => send({ id: message.id, ok: false, message: error instanceof Error ? error.stack ?? error.message : String(error) }),
    );
  });
  process.once('disconnect', () => {
    const deadline = setTimeout(() => process.exit(0), 5_000);
    deadline.unref();
    onShutdown().finally(() => process.exit(0));
  });
  send(RPC_READY);
}
