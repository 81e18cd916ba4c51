import type { IncomingMessage } from 'node:http';
import { DEFAULT_MAX_BODY_BYTES } from '@rustronaut/contracts';
import type { AdmissionStage } from '../admission';
import type { Refusal } from '../pages';
import type { RoutedResource } from '../route-table';

/** A resource's body limit (older snapshots have none: the default, 100 MiB). */
export const maxBodyOf = (resource: RoutedResource): number =>
  resource.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

/** 413, and the connection is closed: the rest of the body is not read. */
export function bodyTooLarge(resource: RoutedResource): Refusal {
  return {
    status: 413,
    message: `The request body is larger than ${resource.name} accepts (${maxBodyOf(resource)} bytes).`,
    headers: { connection: 'close' },
    by: 'size_limit',
  };
}

/** A declared Content-Length over the resource's limit is refused before the target is contacted. */
export const bodyLimitStage: AdmissionStage = (admission) => {
  const length = admission.req.headers['content-length'];
  if (length === undefined) return undefined;
  return Number(length) > maxBodyOf(admission.resource) ? bodyTooLarge(admission.resource) : undefined;
};

/**
 * A body without a declared length (chunked) is counted while it streams; `exceeded` is called
 * once, as soon as it passes the limit. Declared lengths are left alone (the stage checked them and
 * Node's parser holds the client to them).
 */
export function watchBodySize(req: IncomingMessage, limit: number, exceeded: () => void): void {
  if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] === undefined) return;
  let size = 0;
  const count = (chunk: Buffer) => {
    size += chunk.length;
    if (size <= limit) return;
    req.off('data', count);
    exceeded();
  };
  req.on('data', count);
}
