import { Tokenizer } from '@huggingface/tokenizers';
import {
  readClipTokenizerFiles,
  specialTokenContent,
  type ClipTokenizerConfig,
  type ClipTokenizerFiles,
} from './clip-tokenizer-files';

/** CLIP's text encoder has 77 positions; tokenizer_config.json normally says so too. */
const CLIP_MAX_LENGTH = 77;
const DEFAULT_BOS = '<|startoftext|>';
const DEFAULT_EOS = '<|endoftext|>';

/**
 * CLIP's own pre-tokenizer: contractions, runs of letters, single digits, runs of other
 * non-space characters. Whitespace matches nothing and so disappears.
 */
const CLIP_SPLIT_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

export interface ClipEncoding {
  /** Exactly `maxLength` ids: BOS, tokens, EOS, then padding. */
  ids: Int32Array;
  /** Positions before the padding (BOS through EOS), at most `maxLength`. */
  length: number;
  /** Tokens the prompt needs including BOS and EOS, before truncation: the usage count. */
  tokenCount: number;
  truncated: boolean;
}

/**
 * The tokenizer of Stable Diffusion's CLIP text encoders, rebuilt from `vocab.json` +
 * `merges.txt` the way transformers converts CLIPTokenizer to its fast form: NFC, whitespace
 * runs to one space, lowercase; CLIP's regex split; byte-level BPE with `</w>` word ends.
 * BPE itself runs in `@huggingface/tokenizers`: pure JS with a CommonJS build (jest and tsx
 * load it as is), no native binary and nothing fetched at install or run time.
 */
export class ClipTokenizer {
  readonly maxLength: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;

  private constructor(
    private readonly tokenizer: Tokenizer,
    ids: { bos: number; eos: number; pad: number },
    maxLength: number,
  ) {
    this.bosId = ids.bos;
    this.eosId = ids.eos;
    this.padId = ids.pad;
    this.maxLength = maxLength;
  }

  /** Reads a diffusers `tokenizer/` (or `tokenizer_2/`) folder. */
  static async fromModelDir(tokenizerDir: string): Promise<ClipTokenizer> {
    return ClipTokenizer.fromFiles(await readClipTokenizerFiles(tokenizerDir));
  }

  static fromFiles({ vocab, merges, config }: ClipTokenizerFiles): ClipTokenizer {
    const bos = specialTokenContent(config.bos_token) ?? DEFAULT_BOS;
    const eos = specialTokenContent(config.eos_token) ?? DEFAULT_EOS;
    const unk = specialTokenContent(config.unk_token) ?? eos;
    // SD 1.x names no pad token (or <|endoftext|>); SD 2.x and SDXL's second encoder pad with "!".
    const pad = specialTokenContent(config.pad_token) ?? eos;
    const idOf = (token: string): number => {
      const id = vocab[token];
      if (id === undefined) throw new Error(`CLIP vocab.json has no id for special token ${JSON.stringify(token)}`);
      return id;
    };
    const tokenizer = new Tokenizer(
      {
        normalizer: {
          type: 'Sequence',
          normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
        },
        pre_tokenizer: {
          type: 'Sequence',
          pretokenizers: [
            { type: 'Split', pattern: { Regex: CLIP_SPLIT_PATTERN }, behavior: 'Removed', invert: true },
            // The slow CLIPTokenizer byte-encodes each CLIP piece whole, without GPT-2's regex.
            { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
          ],
        },
        model: { type: 'BPE', vocab, merges, end_of_word_suffix: '</w>', continuing_subword_prefix: '', unk_token: unk, fuse_unk: false },
        post_processor: null,
        decoder: { type: 'ByteLevel' },
        added_tokens: addedTokens(config, [bos, eos, unk, pad], idOf),
      },
      {},
    );
    const maxLength = Math.min(config.model_max_length ?? CLIP_MAX_LENGTH, CLIP_MAX_LENGTH);
    return new ClipTokenizer(tokenizer, { bos: idOf(bos), eos: idOf(eos), pad: idOf(pad) }, maxLength);
  }

  /** Ids ready for the text encoder: `maxLength` of them. */
  encode(text: string): Int32Array {
    return this.encodeWithCount(text).ids;
  }

  /** Truncates to keep EOS last, as transformers does with `truncation=True`. */
  encodeWithCount(text: string): ClipEncoding {
    const tokens = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
    const ids = new Int32Array(this.maxLength).fill(this.padId);
    const kept = Math.min(tokens.length, this.maxLength - 2);
    ids[0] = this.bosId;
    for (let i = 0; i < kept; i++) ids[i + 1] = tokens[i]!;
    ids[kept + 1] = this.eosId;
    return { ids, length: kept + 2, tokenCount: tokens.length + 2, truncated: kept < tokens.length };
  }

  /** Text of the tokens between BOS and the first EOS, `</w>` read as a space. For logs and tests. */
  decode(ids: ArrayLike<number>): string {
    const list: number[] = [];
    for (let i = ids[0] === this.bosId ? 1 : 0; i < ids.length && ids[i] !== this.eosId; i++) list.push(ids[i]!);
    return list.length === 0 ? '' : this.tokenizer.decode(list, { clean_up_tokenization_spaces: false }).trim();
  }
}

/**
 * transformers never splits its special tokens, so SD 2.x's "!" pad token stays a token of
 * its own even inside "!!" (it then maps to the bare "!" entry, not "!</w>").
 */
function addedTokens(config: ClipTokenizerConfig, specials: string[], idOf: (token: string) => number) {
  const ids = new Map(specials.map((content) => [content, idOf(content)]));
  for (const [id, entry] of Object.entries(config.added_tokens_decoder ?? {})) {
    if (entry.special !== false) ids.set(entry.content, Number(id));
  }
  return [...ids].map(([content, id]) => ({ id, content, special: true, normalized: false, lstrip: false, rstrip: false, single_word: false }));
}
