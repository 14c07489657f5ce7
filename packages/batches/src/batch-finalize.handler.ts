import { FINAL_BATCH_STATUSES, type BatchOutputLine } from '@imageforge/contracts';
import { ImagesExpiredError, jobEndedError, renderImagesResponse } from '@imageforge/image-service';
import { outcomeOf, type AnyImageJobRecord } from '@imageforge/jobs';
import { ObjectNotFoundError } from '@imageforge/storage';
import { DEFAULT_CHUNK_SIZE, type BatchFileRecord, type BatchPhaseDeps } from './batch-deps';
import { emitFinalEvent } from './batch-events';
import { batchFileId, lineJobId, lineRecordId, lineRequestId, rejectedChunkKey } from './batch-ids';
import { isReadyToFinalize, type BatchRecord } from './batch-record';
import { JsonlSink, objectLink, type RefusedLine } from './batch-output-files';
import { MAX_INPUT_LINE_BYTES, parseLine, type ParsedInputLine } from './input-file-scan';
import { jsonlLines } from './jsonl-lines';

/** Output files default to the input's 30 days. */
const DEFAULT_OUTPUT_EXPIRY_SECONDS = 30 * 24 * 3600;

/**
 * Phase 4: writes the output file (one line per succeeded request) and the error file
 * (everything else: refused, failed, cancelled or expired lines), each `custom_id` in
 * exactly one of them, in input order. Both stream to storage while the input is read
 * again chunk by chunk. File ids derive from the batch, so a finalize that crashed and
 * runs again replaces what it half wrote. The final status is set, then the event is
 * emitted; a re-run after that only emits again, which delivers nothing twice.
 */
export async function finalizeBatch(deps: BatchPhaseDeps, batchId: string): Promise<string> {
  const record = await deps.store.get(batchId);
  if (!record) return 'missing';
  if (FINAL_BATCH_STATUSES.has(record.status)) {
    await emitFinalEvent(deps, batchId);
    return 'already_final';
  }
  if (!isReadyToFinalize(record)) throw new Error(`batch ${batchId} was asked to finalize with lines still open`);
  const now = () => Math.floor((deps.now ?? Date.now)() / 1000);
  if (record.stop !== 'cancel') await deps.store.transition(batchId, ['in_progress'], { status: 'finalizing', finalizingAt: now() });

  const { output, errors } = await writeFiles(deps, record);
  const fileIds = { outputFileId: output?.id ?? null, errorFileId: errors?.id ?? null };
  const final =
    record.stop === 'cancel'
      ? { status: 'cancelled' as const, cancelledAt: now() }
      : record.stop === 'expire'
        ? { status: 'expired' as const, expiredAt: now() }
        : { status: 'completed' as const, completedAt: now() };
  await deps.store.transition(batchId, ['in_progress', 'finalizing', 'cancelling'], { ...final, ...fileIds });
  await emitFinalEvent(deps, batchId);
  // Final: a late tally of a line is a no-op (its batch is no longer open), so the bitmap has served.
  await deps.store.forgetSettled(batchId);
  await Promise.allSettled(chunkIndexes(record).map((chunk) => deps.storage.delete(rejectedChunkKey(batchId, chunk))));
  return final.status;
}

function chunkIndexes(record: BatchRecord): number[] {
  const size = record.chunkSize || DEFAULT_CHUNK_SIZE;
  return Array.from({ length: Math.ceil(record.linesExpanded / size) }, (_, index) => index);
}

async function writeFiles(deps: BatchPhaseDeps, record: BatchRecord): Promise<{ output: BatchFileRecord | null; errors: BatchFileRecord | null }> {
  const input = await deps.files.retrieve(record.owner, record.inputFileId);
  const outputSink = new JsonlSink();
  const errorSink = new JsonlSink();
  const expiresAfterSeconds = record.outputExpiresAfterSeconds ?? DEFAULT_OUTPUT_EXPIRY_SECONDS;
  const create = (kind: 'output' | 'error', sink: JsonlSink) =>
    deps.files.create({
      id: batchFileId(record.id, kind),
      owner: record.owner,
      purpose: 'batch_output',
      filename: `${record.id}_${kind}.jsonl`,
      body: sink.stream,
      expiresAfterSeconds,
    });
  const uploads = Promise.all([create('output', outputSink), create('error', errorSink)]);
  uploads.catch(() => undefined);
  try {
    if (input) {
      const size = record.chunkSize || DEFAULT_CHUNK_SIZE;
      let chunk: ParsedInputLine[] = [];
      let chunkIndex = 0;
      for await (const entry of jsonlLines(await deps.storage.getStream(input.key), MAX_INPUT_LINE_BYTES)) {
        const index = Math.floor((entry.line - 1) / size);
        if (index !== chunkIndex && chunk.length > 0) {
          await writeChunk(deps, record, chunk, chunkIndex, outputSink, errorSink);
          chunk = [];
        }
        chunkIndex = index;
        const parsed = parseLine(entry, record.endpoint);
        if (!('error' in parsed)) chunk.push(parsed);
      }
      if (chunk.length > 0) await writeChunk(deps, record, chunk, chunkIndex, outputSink, errorSink);
    }
    outputSink.end();
    errorSink.end();
  } catch (error) {
    outputSink.fail(error as Error);
    errorSink.fail(error as Error);
    throw error;
  }
  const [output, errors] = await uploads;
  // A file with no lines is not handed out, as OpenAI leaves the id null.
  const keep = async (file: BatchFileRecord, lines: number) => (lines > 0 ? file : (await deps.files.delete(record.owner, file.id), null));
  return { output: await keep(output, outputSink.lines), errors: await keep(errors, errorSink.lines) };
}

async function writeChunk(deps: BatchPhaseDeps, record: BatchRecord, lines: ParsedInputLine[], chunkIndex: number, output: JsonlSink, errors: JsonlSink): Promise<void> {
  const refused = await readRefused(deps, record.id, chunkIndex);
  const jobs = await Promise.all(lines.map((line) => (refused.has(line.line) ? null : deps.lineJobs.read(lineJobId(record.id, line.line)))));
  for (const [index, line] of lines.entries()) {
    const refusal = refused.get(line.line);
    if (refusal) {
      await errors.write(refusal);
      continue;
    }
    const rendered = await renderLine(deps, record, line, jobs[index] ?? null);
    await (rendered.response?.status_code === 200 ? output : errors).write(rendered);
  }
}

async function readRefused(deps: BatchPhaseDeps, batchId: string, chunkIndex: number): Promise<Map<number, BatchOutputLine>> {
  const refused = new Map<number, BatchOutputLine>();
  let body: Buffer;
  try {
    body = await deps.storage.get(rejectedChunkKey(batchId, chunkIndex));
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return refused;
    throw error;
  }
  for (const text of body.toString('utf8').split('\n')) {
    if (!text) continue;
    const entry = JSON.parse(text) as RefusedLine;
    refused.set(entry.line, entry.record);
  }
  return refused;
}

async function renderLine(deps: BatchPhaseDeps, record: BatchRecord, line: ParsedInputLine, job: AnyImageJobRecord | null): Promise<BatchOutputLine> {
  const base = { id: lineRecordId(record.id, line.line), custom_id: line.customId };
  const requestId = lineRequestId(record.id, line.line);
  const outcome = job && outcomeOf(job);
  if (!job || !outcome || outcome.status === 'cancelled') {
    return record.stop === 'expire'
      ? { ...base, response: null, error: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' } }
      : { ...base, response: null, error: { code: 'batch_cancelled', message: 'This request was cancelled before it ran.' } };
  }
  if (outcome.status === 'failed' || outcome.status === 'expired') {
    const error = jobEndedError(job.id, outcome);
    return { ...base, response: { status_code: error.status, request_id: requestId, body: error.toBody() }, error: null };
  }
  // Links are written unsigned (a TTL of 0 is never used) and signed whenever the file is read.
  try {
    const body = await renderImagesResponse(job.payload, outcome.result, deps.storage, 0, objectLink);
    return { ...base, response: { status_code: 200, request_id: requestId, body }, error: null };
  } catch (error) {
    // A b64_json line whose images retention deleted before finalize read them answers as a poll would.
    if (!(error instanceof ImagesExpiredError)) throw error;
    return { ...base, response: { status_code: error.status, request_id: requestId, body: error.toBody() }, error: null };
  }
}
