import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClipTokenizer, type ClipTokenizerConfig } from '../src/tokenizer';

/** GPT-2/CLIP's reversible byte -> printable character table, written out independently of the library. */
function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
  return table;
}

const BYTE_CHARS = bytesToUnicode();
/** Ranked as CLIP's merges.txt: "c a" outranks "a t</w>", so "cat" must not become c + at</w>. */
const MERGES = ['c a', 'a t</w>', 'ca t</w>', 'ca t', 'p h', 'ph o', 'pho t', 'phot o</w>', 'o f</w>', '! !</w>'];

/** Laid out like CLIP's vocab.json: the 256 byte characters, their `</w>` forms, merges, specials. */
function buildVocab(): Record<string, number> {
  const tokens = [...BYTE_CHARS, ...BYTE_CHARS.map((c) => `${c}</w>`), ...MERGES.map((m) => m.replace(' ', ''))];
  tokens.push('<|startoftext|>', '<|endoftext|>');
  return Object.fromEntries(tokens.map((token, id) => [token, id]));
}

const vocab = buildVocab();
const id = (token: string): number => {
  const value = vocab[token];
  if (value === undefined) throw new Error(`test vocab lacks ${token}`);
  return value;
};
const BOS = id('<|startoftext|>');
const EOS = id('<|endoftext|>');

const sd1Config: ClipTokenizerConfig = {
  model_max_length: 77,
  bos_token: { content: '<|startoftext|>' },
  eos_token: { content: '<|endoftext|>' },
  unk_token: { content: '<|endoftext|>' },
  pad_token: '<|endoftext|>',
};
const sd1 = ClipTokenizer.fromFiles({ vocab, merges: MERGES, config: sd1Config });

function padded(head: number[], pad: number): number[] {
  return [...head, ...new Array<number>(77 - head.length).fill(pad)];
}

describe(ClipTokenizer.name, () => {
  it('encodes a prompt as BOS, merged word tokens, EOS and end-of-text padding to 77 ids', () => {
    const ids = sd1.encode('a photo of a cat');
    expect(ids).toBeInstanceOf(Int32Array);
    expect(Array.from(ids)).toEqual(
      padded([BOS, id('a</w>'), id('photo</w>'), id('of</w>'), id('a</w>'), id('cat</w>'), EOS], EOS),
    );
  });

  it('applies merges by rank and leaves a word unmerged where no merge applies', () => {
    expect(Array.from(sd1.encode('cat at cats tac').subarray(0, 9))).toEqual([
      BOS,
      id('cat</w>'),
      id('at</w>'),
      id('cat'),
      id('s</w>'),
      id('t'),
      id('a'),
      id('c</w>'),
      EOS,
    ]);
  });

  it('lowercases and collapses whitespace before splitting', () => {
    expect(sd1.encode('  A \t PHOTO\n\nOf   a Cat ')).toEqual(sd1.encode('a photo of a cat'));
  });

  it('splits punctuation and single digits from words as CLIP does', () => {
    const head = Array.from(sd1.encode("cat's 42,photo").subarray(0, 9));
    expect(head).toEqual([BOS, id('cat</w>'), id("'"), id('s</w>'), id('4</w>'), id('2</w>'), id(',</w>'), id('photo</w>'), EOS]);
  });

  it('encodes characters outside the vocabulary through their UTF-8 bytes, one word per letter run', () => {
    // "é" is a letter and the emoji is not, so CLIP's split makes them two words.
    const wordIds = (word: string): number[] => {
      const bytes = Array.from(new TextEncoder().encode(word));
      return bytes.map((b, i) => id(BYTE_CHARS[b]! + (i === bytes.length - 1 ? '</w>' : '')));
    };
    const expected = [BOS, ...wordIds('é'), ...wordIds('🐱'), EOS];
    const encoding = sd1.encodeWithCount('É🐱');
    expect(Array.from(encoding.ids.subarray(0, expected.length))).toEqual(expected);
    expect(encoding.ids[expected.length]).toBe(EOS);
    expect(sd1.decode(encoding.ids)).toBe('é 🐱');
  });

  it('truncates to 77 ids keeping EOS last and reports the untruncated token count', () => {
    const encoding = sd1.encodeWithCount(new Array(100).fill('cat').join(' '));
    expect(encoding.ids).toHaveLength(77);
    expect(encoding.ids[0]).toBe(BOS);
    expect(encoding.ids[76]).toBe(EOS);
    expect(Array.from(encoding.ids.subarray(1, 76)).every((v) => v === id('cat</w>'))).toBe(true);
    expect(encoding).toMatchObject({ length: 77, tokenCount: 102, truncated: true });
  });

  it('counts BOS and EOS in the token count of a short prompt', () => {
    expect(sd1.encodeWithCount('a photo of a cat')).toMatchObject({ length: 7, tokenCount: 7, truncated: false });
    expect(sd1.encodeWithCount('   ')).toMatchObject({ length: 2, tokenCount: 2 });
    expect(Array.from(sd1.encode('').subarray(0, 3))).toEqual([BOS, EOS, EOS]);
  });

  it.each([
    ['a string', '!'],
    ['an AddedToken object', { content: '!', lstrip: false }],
  ])('pads with "!" when tokenizer_config.json names it as %s (SD 2.x)', (_style, padToken) => {
    const sd2 = ClipTokenizer.fromFiles({ vocab, merges: MERGES, config: { ...sd1Config, pad_token: padToken } });
    expect(sd2.padId).toBe(id('!'));
    expect(Array.from(sd2.encode('a cat'))).toEqual(padded([BOS, id('a</w>'), id('cat</w>'), EOS], id('!')));
  });

  it('keeps a "!" pad token unsplit inside text, while SD 1.x merges "!!"', () => {
    const sd2 = ClipTokenizer.fromFiles({ vocab, merges: MERGES, config: { ...sd1Config, pad_token: '!' } });
    expect(Array.from(sd2.encode('cat!!').subarray(0, 5))).toEqual([BOS, id('cat</w>'), id('!'), id('!'), EOS]);
    expect(Array.from(sd1.encode('cat!!').subarray(0, 4))).toEqual([BOS, id('cat</w>'), id('!!</w>'), EOS]);
  });

  it('reads vocab.json, merges.txt and tokenizer_config.json from a model folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clip-tokenizer-'));
    try {
      await writeFile(join(dir, 'vocab.json'), JSON.stringify(vocab));
      await writeFile(join(dir, 'merges.txt'), `#version: 0.2\n${MERGES.join('\n')}\n`);
      await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify({ ...sd1Config, model_max_length: 16, pad_token: '!' }));
      const tokenizer = await ClipTokenizer.fromModelDir(dir);
      expect(tokenizer.maxLength).toBe(16);
      expect(Array.from(tokenizer.encode('a photo'))).toEqual([BOS, id('a</w>'), id('photo</w>'), EOS, ...new Array(12).fill(id('!'))]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
