import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ClientRequestError } from '@imageforge/contracts';

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_REQUEST_TIMEOUT: 408,
};

/**
 * Node's HTTP parser rejects some requests before express sees them (bad framing,
 * headers over the limit). Its default answer has no body; this one is OpenAI's,
 * written straight to the socket while it is still writable, then the socket closes.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable || socket.destroyed || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const status = (error.code && STATUS_BY_CODE[error.code]) || 400;
  const body = JSON.stringify(
    new ClientRequestError(status, `The request could not be parsed as HTTP (${error.code ?? error.message}).`, { code: 'invalid_http_request' }).toBody(),
  );
  socket.end(
    [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}`,
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      `x-request-id: req_${randomUUID().replaceAll('-', '')}`,
      'Connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}
