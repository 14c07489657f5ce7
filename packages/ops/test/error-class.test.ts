import { deadlineExceededReason, expiredReason } from '@imageforge/jobs';
import { cancelledReason } from '@imageforge/queue';
import { classifyError, ERROR_CLASSES } from '../src';

describe('classifyError', () => {
  it.each([
    [cancelledReason(), 'cancelled'],
    [expiredReason({ queueWaitMs: 1000 }), 'expired'],
    [deadlineExceededReason(5000), 'timeout'],
    ['CUDA out of memory. Tried to allocate 2.00 GiB', 'out_of_memory'],
    ['upstream request timed out after 30000 ms', 'timeout'],
    ['storage put of jobs/x/output/0.png failed: ECONNREFUSED', 'storage_fault'],
    ['job input jobs/x/input/0.png is missing from storage', 'invalid_input'],
    ['job input jobs/x/input/0.png is not a usable image: unsupported image format', 'invalid_input'],
    ['engine returned 2 images, expected 1', 'engine_error'],
    ['something nobody foresaw', 'other'],
    ['', 'other'],
  ])('%s -> %s', (reason, expected) => {
    expect(classifyError(reason)).toBe(expected);
    expect(ERROR_CLASSES).toContain(expected);
  });
});
