import { ApiError, type BatchOutputLine } from '@imageforge/contracts';
import type { ImageJobCatalog, EnqueueRequest } from '@imageforge/jobs';
import { DEFAULT_CHUNK_SIZE, type BatchPhaseDeps } from './batch-deps';
import { finalizeIfReady } from './batch-events';
import { lineJobId, lineRecordId, lineRequestId, rejectedChunkKey } from './batch-ids';
import type { BatchRecord } from './batch-record';
import type { RefusedLine } from './batch-output-files';
import { MAX_INPUT_LINE_BYTES, parseLine, type ParsedInputLine } from './input-file-scan';
import { jsonlLines } from './jsonl-lines';

/**
 * Finalize reads every line's job back, up to the end of the completion window and after:
 * kept by age alone, never trimmed by count (a 50,000-line batch outnumbers the catalog's cap).
 */
const LINE_JOB_RETENTION = {
  removeOnComplete: { age: 3 * 24 * 3600, count: Number.MAX_SAFE_INTEGER },
  removeOnFail: { age: 7 * 24 * 3600, count: Number.MAX_SAFE_INTEGER },
};

/** Lines of a chunk prepared at once (inputs inspected, data URLs stored). */
const PREPARE_CONCURRENCY = 16;

/**
 * Phase 2: turns lines into image jobs on the batch lane, a chunk at a time with one
 * `addBulk`. Each line's body goes through the same validation as the HTTP endpoint; a
 * line that fails it is not queued and its error waits in storage for finalize. Chunks
 * are fixed ranges of line numbers, and after each one the batch records how far it got,
 * so an expansion cut short resumes at the next chunk and a chunk done twice queues
 * nothing new (job ids derive from the line).
 */
export async function expandBatch(deps: BatchPhaseDeps, batchId: string): Promise<string> {
  const record = await deps.store.get(batchId);
  if (!record || record.expandDone) return 'skipped';
  const file = await deps.files.retrieve(record.owner, record.inputFileId);
  if (!file) throw new Error(`input file ${record.inputFileId} of ${batchId} is gone`);
  const size = record.chunkSize || DEFAULT_CHUNK_SIZE;
  let chunk: ParsedInputLine[] = [];
  let chunkIndex = Math.floor(record.linesExpanded / size);
  let model = record.model;
  const flush = async (): Promise<boolean> => {
    if ((await deps.store.get(batchId))?.stop) return false;
    model = await expandChunk(deps, record, chunk, chunkIndex, model);
    await deps.store.update(batchId, { linesExpanded: (chunkIndex + 1) * size, ...(model ? { model } : {}) });
    chunk = [];
    return true;
  };
  for await (const entry of jsonlLines(await deps.storage.getStream(file.key), MAX_INPUT_LINE_BYTES)) {
    if (entry.line <= record.linesExpanded) continue;
    const index = Math.floor((entry.line - 1) / size);
    if (index !== chunkIndex) {
      if (!(await flush())) return stopped(deps, batchId);
      chunkIndex = index;
    }
    const parsed = parseLine(entry, record.endpoint);
    // Validation passed on this file; a line that now fails to parse means the file changed under us.
    if ('error' in parsed) throw new Error(`line ${entry.line} of ${record.inputFileId} no longer parses: ${parsed.error.message}`);
    chunk.push(parsed);
  }
  if (chunk.length > 0 && !(await flush())) return stopped(deps, batchId);
  await deps.store.update(batchId, { expandDone: true });
  await finalizeIfReady(deps, batchId);
  return 'expanded';
}

async function stopped(deps: BatchPhaseDeps, batchId: string): Promise<string> {
  await deps.store.update(batchId, { expandDone: true });
  return 'stopped';
}

/** Queues a chunk's valid lines and files its refused ones; returns the batch's model once known. */
async function expandChunk(deps: BatchPhaseDeps, record: BatchRecord, lines: ParsedInputLine[], chunkIndex: number, model: string | null): Promise<string | null> {
  const jobs: EnqueueRequest<ImageJobCatalog>[] = [];
  const refused: RefusedLine[] = [];
  for (let start = 0; start < lines.length; start += PREPARE_CONCURRENCY) {
    const slice = lines.slice(start, start + PREPARE_CONCURRENCY);
    const prepared = await Promise.all(slice.map((line) => prepareLine(deps, record, line)));
    for (const outcome of prepared) {
      if ('refused' in outcome) refused.push(outcome.refused);
      else {
        jobs.push(outcome.job);
        model ??= outcome.model;
      }
    }
  }
  if (jobs.length > 0) await deps.lineJobs.enqueueBulk(jobs);
  if (refused.length > 0) {
    const body = refused.map((entry) => `${JSON.stringify(entry)}\n`).join('');
    await deps.storage.put(rejectedChunkKey(record.id, chunkIndex), Buffer.from(body), { contentType: 'application/jsonl' });
    const { readyToFinalize } = await deps.store.tally(record.id, refused.map((entry) => entry.line), 'failed');
    if (readyToFinalize) await deps.phases.finalize(record.id);
  }
  return model;
}

type PreparedLine = { job: EnqueueRequest<ImageJobCatalog>; model: string } | { refused: RefusedLine };

async function prepareLine(deps: BatchPhaseDeps, record: BatchRecord, line: ParsedInputLine): Promise<PreparedLine> {
  const requestId = lineRequestId(record.id, line.line);
  const jobId = lineJobId(record.id, line.line);
  try {
    const request = await deps.requests.fromJson(record.endpoint, line.body, record.owner);
    const prepared = await deps.preparer.prepare(
      jobId,
      request,
      { requestId, owner: record.owner, lane: 'batch', batch: { id: record.id, line: line.line, customId: line.customId } },
      [],
    );
    return { job: { ...prepared, jobId, lane: 'batch', owner: record.owner, retention: LINE_JOB_RETENTION }, model: request.entry.id };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    // Byte for byte what the endpoint would have answered this body.
    const refusal: BatchOutputLine = {
      id: lineRecordId(record.id, line.line),
      custom_id: line.customId,
      response: { status_code: error.status, request_id: requestId, body: error.toBody() },
      error: null,
    };
    return { refused: { line: line.line, record: refusal } };
  }
}
