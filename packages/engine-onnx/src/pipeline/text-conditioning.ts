import type { InferenceSession } from 'onnxruntime-node';
import { type HostTensor, outputMetadata, readFloat32, requireInput, toIntegerTensor } from '../sessions/session-tensors';
import { type PipelineTimingHook, timed } from './pipeline-timing';

/** What the UNet is conditioned on, one row per prompt encoded. */
export interface Conditioning {
  /** `encoder_hidden_states`, [prompts, tokens, hidden]. */
  hiddenStates: HostTensor;
  /** Further UNet inputs by name, batched like hiddenStates (SDXL: `text_embeds`, `time_ids`). */
  extras: Record<string, HostTensor>;
  /** CLIP tokens each prompt needs, BOS and EOS included. */
  tokenCounts: number[];
}

/**
 * Turns prompts into UNet conditioning. SD 1.x/2.x use one CLIP encoder; SDXL is another
 * strategy (two encoders, concatenated hidden states, pooled `text_embeds`, `time_ids`).
 */
export interface TextConditioning {
  encode(prompts: string[], timing?: PipelineTimingHook): Promise<Conditioning>;
}

/** The tokenizer side a text encoder needs: fixed-length ids plus the unpadded count. */
export interface PromptTokenizer {
  encodeWithCount(text: string): { ids: ArrayLike<number>; tokenCount: number };
}

/** One CLIP text encoder (`input_ids` → `last_hidden_state`), as in SD 1.x, 2.x and SD-Turbo. */
export class ClipTextConditioning implements TextConditioning {
  private readonly idsType;
  private readonly outputName;

  constructor(
    private readonly tokenizer: PromptTokenizer,
    private readonly session: InferenceSession,
  ) {
    this.idsType = requireInput(session, 'input_ids', 'text_encoder').type;
    this.outputName = outputMetadata(session, ['last_hidden_state'], 'text_encoder').name;
  }

  async encode(prompts: string[], timing?: PipelineTimingHook): Promise<Conditioning> {
    const encoded = await timed(timing, 'host', 'tokenizer', () => prompts.map((p) => this.tokenizer.encodeWithCount(p)));
    const length = encoded[0]?.ids.length ?? 0;
    const ids = new Array<number>();
    for (const e of encoded) for (let i = 0; i < e.ids.length; i++) ids.push(e.ids[i]!);
    const feeds = { input_ids: toIntegerTensor(ids, [prompts.length, length], this.idsType) };
    const outputs = await timed(timing, 'onnx', 'text_encoder', () => this.session.run(feeds));
    return {
      hiddenStates: readFloat32(outputs[this.outputName], `text_encoder ${this.outputName}`),
      extras: {},
      tokenCounts: encoded.map((e) => e.tokenCount),
    };
  }
}

/** Stacks rows of a [rows, …] tensor in the given order (e.g. uncond ×n then cond ×n). */
export function selectRows(tensor: HostTensor, rows: readonly number[]): HostTensor {
  const [, ...rest] = tensor.dims;
  const size = rest.reduce((a, b) => a * b, 1);
  const data = new Float32Array(rows.length * size);
  rows.forEach((row, i) => data.set(tensor.data.subarray(row * size, (row + 1) * size), i * size));
  return { data, dims: [rows.length, ...rest] };
}
