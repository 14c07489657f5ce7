import { estimateImageTokenUsage, inputImageTokens, outputImageTokens } from '../src';

describe('image token usage', () => {
  it('follows OpenAI\'s per-image table for square images at each quality', () => {
    expect(['low', 'medium', 'high'].map((q) => outputImageTokens(1024, 1024, q))).toEqual([272, 1056, 4160]);
    expect(outputImageTokens(1024, 1536, 'high')).toBe(6240);
  });

  it('maps dall-e qualities onto GPT levels and scales other sizes by area', () => {
    expect(outputImageTokens(1024, 1024, 'hd')).toBe(outputImageTokens(1024, 1024, 'high'));
    expect(outputImageTokens(1024, 1024, 'standard')).toBe(outputImageTokens(1024, 1024, 'medium'));
    expect(outputImageTokens(512, 512, 'medium')).toBe(outputImageTokens(1024, 1024, 'medium') / 4);
  });

  it('counts larger input images as more tiles', () => {
    expect(inputImageTokens(256, 256)).toBeLessThan(inputImageTokens(1024, 1024));
    expect(inputImageTokens(4096, 4096)).toBe(inputImageTokens(2048, 2048));
  });

  it('adds prompt text, input images and n output images into the totals', () => {
    const prompt = 'a watercolour fox';
    const one = estimateImageTokenUsage({ prompt, n: 1, width: 1024, height: 1024, quality: 'low' });
    const edit = estimateImageTokenUsage({
      prompt,
      n: 3,
      width: 1024,
      height: 1024,
      quality: 'low',
      inputImages: [{ width: 1024, height: 1024 }, { width: 512, height: 512 }],
    });
    expect(one.input_tokens_details).toEqual({ text_tokens: Math.ceil(prompt.length / 4), image_tokens: 0 });
    expect(edit.output_tokens).toBe(one.output_tokens * 3);
    // OpenAI's output split: every output token is an image token.
    expect(edit.output_tokens_details).toEqual({ image_tokens: edit.output_tokens, text_tokens: 0 });
    expect(edit.input_tokens_details.image_tokens).toBe(inputImageTokens(1024, 1024) + inputImageTokens(512, 512));
    expect(edit.total_tokens).toBe(edit.input_tokens + edit.output_tokens);
    expect(edit.input_tokens).toBe(edit.input_tokens_details.text_tokens + edit.input_tokens_details.image_tokens);
  });
});
