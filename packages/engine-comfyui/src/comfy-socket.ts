import WebSocket from 'ws';

/** A JSON message of ComfyUI's `/ws` feed that concerns one prompt. */
export interface ComfyMessage {
  type: string;
  data: Record<string, unknown> & { prompt_id?: string };
}

export type ComfyPreviewFormat = 'jpeg' | 'png';

/** What one prompt's follower hears, in the order the socket delivered it. */
export interface PromptListener {
  message(message: ComfyMessage): void;
  preview(image: Buffer, format: ComfyPreviewFormat): void;
  /** The socket closed: nothing more will come for this prompt on it. */
  lost(reason: string): void;
}

/** Binary event types of ComfyUI's websocket (`BinaryEventTypes` in server.py). */
const PREVIEW_IMAGE = 1;
const PREVIEW_IMAGE_WITH_METADATA = 4;

/** Events of prompts nobody follows yet: `/prompt` may answer after the run has begun. */
const EARLY_EVENT_TTL_MS = 60_000;
const EARLY_EVENTS_PER_PROMPT = 256;

type PromptEvent = { kind: 'message'; message: ComfyMessage } | { kind: 'preview'; image: Buffer; format: ComfyPreviewFormat };

/**
 * One websocket per engine instance, shared by all its prompts and routed by prompt_id.
 * ComfyUI sends a prompt's progress and previews only to the client id that queued it, so
 * workers sharing a box each hear their own. Preview frames carry no prompt id: they belong
 * to the prompt that last reported executing on this client, as ComfyUI runs one at a time.
 */
export class ComfySocket {
  private socket: WebSocket | undefined;
  private opening: Promise<void> | undefined;
  private readonly listeners = new Map<string, PromptListener>();
  private readonly early = new Map<string, { at: number; events: PromptEvent[] }>();
  private executing: string | undefined;
  private closed = false;

  constructor(
    private readonly url: URL,
    private readonly timeoutMs: number,
  ) {}

  /** Opens the socket unless it is open; a prompt should be queued only after this resolves. */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('ComfyUI engine is closed'));
    if (this.socket?.readyState === WebSocket.OPEN) return Promise.resolve();
    this.opening ??= this.open().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  /** Starts routing a prompt's events to `listener`, first those that came before it asked. */
  follow(promptId: string, listener: PromptListener): () => void {
    this.listeners.set(promptId, listener);
    const early = this.early.get(promptId);
    this.early.delete(promptId);
    for (const event of early?.events ?? []) this.deliver(listener, event);
    if (this.socket?.readyState !== WebSocket.OPEN) listener.lost('ComfyUI websocket is not connected');
    return () => {
      if (this.listeners.get(promptId) === listener) this.listeners.delete(promptId);
    };
  }

  close(): void {
    this.closed = true;
    this.socket?.close();
  }

  private open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.url, { handshakeTimeout: this.timeoutMs });
      socket.binaryType = 'nodebuffer';
      socket.once('open', () => {
        this.socket = socket;
        resolve();
      });
      socket.on('message', (data: Buffer, isBinary: boolean) => (isBinary ? this.onBinary(data) : this.onText(data.toString('utf8'))));
      socket.once('close', (code, reason) => {
        if (this.socket === socket) this.socket = undefined;
        this.executing = undefined;
        const why = `ComfyUI websocket closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`;
        for (const listener of [...this.listeners.values()]) listener.lost(why);
        reject(new Error(why));
      });
      // An error is always followed by close, which settles the promise and the listeners.
      socket.on('error', (error) => reject(new Error(`ComfyUI websocket ${this.url.origin}: ${error.message}`, { cause: error })));
    });
  }

  private onText(text: string): void {
    let message: ComfyMessage;
    try {
      message = JSON.parse(text) as ComfyMessage;
    } catch {
      return; // Not ComfyUI's JSON: nothing in it can belong to a prompt.
    }
    const promptId = message.data?.prompt_id;
    if (typeof promptId !== 'string') return;
    if (message.type === 'execution_start' || message.type === 'progress' || (message.type === 'executing' && message.data.node != null)) {
      this.executing = promptId;
    } else if (message.type === 'executing' || /^execution_(success|error|interrupted)$/.test(message.type)) {
      if (this.executing === promptId) this.executing = undefined;
    }
    this.route(promptId, { kind: 'message', message });
  }

  private onBinary(frame: Buffer): void {
    if (frame.length < 8) return;
    const type = frame.readUInt32BE(0);
    if (type === PREVIEW_IMAGE) {
      const format = frame.readUInt32BE(4) === 2 ? 'png' : 'jpeg';
      if (this.executing) this.route(this.executing, { kind: 'preview', image: frame.subarray(8), format });
    } else if (type === PREVIEW_IMAGE_WITH_METADATA) {
      const length = frame.readUInt32BE(4);
      let metadata: { prompt_id?: string; image_type?: string };
      try {
        metadata = JSON.parse(frame.subarray(8, 8 + length).toString('utf8'));
      } catch {
        return;
      }
      const promptId = metadata.prompt_id ?? this.executing;
      const format = metadata.image_type === 'image/png' ? 'png' : 'jpeg';
      if (promptId) this.route(promptId, { kind: 'preview', image: frame.subarray(8 + length), format });
    }
  }

  private route(promptId: string, event: PromptEvent): void {
    const listener = this.listeners.get(promptId);
    if (listener) return this.deliver(listener, event);
    const now = Date.now();
    for (const [id, entry] of this.early) if (now - entry.at > EARLY_EVENT_TTL_MS) this.early.delete(id);
    const entry = this.early.get(promptId) ?? { at: now, events: [] };
    if (entry.events.length < EARLY_EVENTS_PER_PROMPT) entry.events.push(event);
    this.early.set(promptId, entry);
  }

  private deliver(listener: PromptListener, event: PromptEvent): void {
    if (event.kind === 'message') listener.message(event.message);
    else listener.preview(event.image, event.format);
  }
}
