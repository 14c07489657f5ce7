export { ClipTokenizer, type ClipEncoding } from './clip-tokenizer';
export {
  readClipTokenizerFiles,
  parseMerges,
  type ClipTokenizerFiles,
  type ClipTokenizerConfig,
  type SpecialTokenValue,
} from './clip-tokenizer-files';
