/** Methods a bench child process serves: each takes one JSON-serialisable argument. */
export type RpcMethods = Record<string, (params: never) => Promise<unknown>>;

export interface RpcRequest {
  id: number;
  method: string;
  params: unknown;
}

export type RpcResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; message: string };

/** First message a child sends once its handlers are installed. */
export const RPC_READY = 'rpc-ready';
