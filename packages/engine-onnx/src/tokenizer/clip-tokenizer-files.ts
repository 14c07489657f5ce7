import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The three files of a Stable Diffusion `tokenizer/` folder. Those folders ship the slow
 * CLIPTokenizer's files and no `tokenizer.json`, so the fast pipeline is rebuilt from these.
 */
export interface ClipTokenizerFiles {
  /** `vocab.json`: token string -> id. */
  vocab: Record<string, number>;
  /** `merges.txt` lines after the `#version` header, each "left right", in rank order. */
  merges: string[];
  /** `tokenizer_config.json`; may be empty. */
  config: ClipTokenizerConfig;
}

/** A special token as tokenizer_config.json writes it: a bare string or an AddedToken object. */
export type SpecialTokenValue = string | { content: string } | null | undefined;

export interface ClipTokenizerConfig {
  model_max_length?: number;
  bos_token?: SpecialTokenValue;
  eos_token?: SpecialTokenValue;
  unk_token?: SpecialTokenValue;
  pad_token?: SpecialTokenValue;
  added_tokens_decoder?: Record<string, { content: string; special?: boolean }>;
  [key: string]: unknown;
}

export async function readClipTokenizerFiles(tokenizerDir: string): Promise<ClipTokenizerFiles> {
  const [vocabText, mergesText, configText] = await Promise.all([
    readFile(join(tokenizerDir, 'vocab.json'), 'utf8'),
    readFile(join(tokenizerDir, 'merges.txt'), 'utf8'),
    readFile(join(tokenizerDir, 'tokenizer_config.json'), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '{}';
      throw error;
    }),
  ]);
  return {
    vocab: JSON.parse(vocabText) as Record<string, number>,
    merges: parseMerges(mergesText),
    config: JSON.parse(configText) as ClipTokenizerConfig,
  };
}

/** Drops the `#version` header and blank lines; CLIP's merges file ends with a newline. */
export function parseMerges(text: string): string[] {
  return text.split(/\r?\n/).filter((line, index) => line.length > 0 && !(index === 0 && line.startsWith('#version')));
}

export function specialTokenContent(value: SpecialTokenValue): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? value : value.content;
}
