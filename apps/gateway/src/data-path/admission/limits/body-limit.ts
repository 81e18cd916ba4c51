import type { IncomingMessage } from 'node:http';
import { DEFAULT_MAX_BODY_BYTES } from '@rustronaut/contracts/edge';
import type { AdmissionStage, Refusal, RoutedResource } from '../../model';

/** A resource's body limit (older snapshots have none: the default, 100 MiB). */
export const maxBodyOf = (resource: RoutedResource): number =>
  resource.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

/**
 * 413. Over HTTP/1 the connection is closed (the rest of the body is not read); over HTTP/2 only
 * the stream ends (connection headers are not allowed there).
 */
export function bodyTooLarge(resource: RoutedResource, req: IncomingMessage): Refusal {
  return {
    status: 413,
    message: `The request body is larger than ${resource.name} accepts (${maxBodyOf(resource)} bytes).`,
    ...(req.httpVersionMajor === 2 ? {} : { headers: { connection: 'close' } }),
    by: 'size_limit',
  };
}

/** A declared Content-Length over the resource's limit is refused before the target is contacted. */
export const bodyLimitStage: AdmissionStage = (admission) => {
  const length = admission.req.headers['content-length'];
  if (length === undefined) return undefined;
  return Number(length) > maxBodyOf(admission.resource)
    ? bodyTooLarge(admission.resource, admission.req)
    : undefined;
};

/**
 * A body without a declared length (chunked, or HTTP/2) is counted while it streams; `exceeded` is called
 * once, as soon as it passes the limit. Declared lengths are left alone (the stage checked them and
 * Node's parser holds the client to them).
 */
export function watchBodySize(req: IncomingMessage, limit: number, exceeded: () => void): void {
  if (req.headers['content-length'] !== undefined) return;
  // HTTP/1 without Content-Length or Transfer-Encoding has no body; HTTP/2 streams one without either.
  if (req.headers['transfer-encoding'] === undefined && req.httpVersionMajor !== 2) return;
  let size = 0;
  const count = (chunk: Buffer) => {
    size += chunk.length;
    if (size <= limit) return;
    req.off('data', count);
    exceeded();
  };
  req.on('data', count);
}
