import type { ServerResponse } from 'node:http';
import { constants as h2, type ClientHttp2Session } from 'node:http2';
import type { TargetState } from './balancer/balancer';
import { endToEndHeaders, upstreamHeaders } from './header-filter';
import { bodyTooLarge, maxBodyOf, watchBodySize } from '../admission/limits/body-limit';
import { sendRefusal } from '../http/pages';
import type { UpstreamContext } from './exchange-context';
import type { Admission } from '../model';

/** One request as a stream of the target's HTTP/2 session. */
export function sendHttp2(
  owner: UpstreamContext,
  admission: Admission,
  res: ServerResponse,
  picked: TargetState,
  retriable: boolean,
  session: ClientHttp2Session,
): void {
  const { req, resource } = admission;
  const headers = upstreamHeaders(admission);
  const authority = headers['host'];
  delete headers['host'];
  let stream: ReturnType<ClientHttp2Session['request']>;
  try {
    stream = session.request(
      {
        ...headers,
        [h2.HTTP2_HEADER_METHOD]: req.method ?? 'GET',
        [h2.HTTP2_HEADER_PATH]: admission.facts.target,
        [h2.HTTP2_HEADER_AUTHORITY]: authority,
        [h2.HTTP2_HEADER_SCHEME]: 'https',
      },
      { endStream: retriable },
    );
  } catch (error) {
    // The session went away between routing and now: like a failed connection.
    return owner.unreachable(admission, res, picked, retriable, error as Error);
  }
  owner.balancer.started(picked);
  let settled = false;
  let answered = false;
  stream.setTimeout(owner.settings.responseTimeoutMs, () => {
    if (settled) return;
    settled = true;
    stream.close(h2.NGHTTP2_CANCEL);
    if (!res.headersSent) owner.fail(admission, res, 504, owner.silent(admission, picked));
    else {
      admission.record.fail('target', `the target ${picked.target} stopped answering mid-response`);
      res.destroy();
    }
  });
  stream.once('response', (responseHeaders) => {
    answered = true;
    owner.balancer.succeeded(picked);
    const status = Number(responseHeaders[h2.HTTP2_HEADER_STATUS] ?? 502);
    const out = endToEndHeaders(responseHeaders);
    if (admission.responseHeaders) Object.assign(out, admission.responseHeaders);
    res.writeHead(status, out);
    stream.pipe(res);
  });
  stream.once('close', () => {
    owner.balancer.ended(picked);
    if (answered && stream.rstCode !== h2.NGHTTP2_NO_ERROR && !res.writableEnded) res.destroy();
    if (!answered && !settled && !res.headersSent) {
      settled = true;
      owner.fail(admission, res, 502, `The target ${picked.target} of ${resource.name} reset the request.`);
    }
  });
  res.once('close', () => {
    if (res.writableFinished || settled) return;
    settled = true;
    stream.close(h2.NGHTTP2_CANCEL);
  });
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (settled) return;
    settled = true;
    owner.logger.warn({ resource: resource.id, target: picked.target, err: error }, 'upstream stream failed');
    if (res.headersSent) {
      admission.record.fail('target', `the target ${picked.target} failed mid-response`);
      return void res.destroy();
    }
    owner.fail(admission, res, 502, owner.notAnswering(admission, picked, error));
  });
  if (retriable) return;
  req.pipe(stream);
  watchBodySize(req, maxBodyOf(resource), () => {
    if (settled) return;
    settled = true;
    req.unpipe(stream);
    stream.close(h2.NGHTTP2_CANCEL);
    const refusal = bodyTooLarge(resource, req);
    admission.record.refuse('size_limit', refusal.message, admission.caller);
    if (res.headersSent) res.destroy();
    else sendRefusal(res, refusal);
  });
}
