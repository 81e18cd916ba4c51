import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { consoleRequest } from './console-request';

describe('consoleRequest', () => {
  let server: Server;
  let url: string;
  const received: { method?: string; type?: string; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ method: req.method, type: req.headers['content-type'], body });
        if (req.url === '/keys') return res.end(JSON.stringify({ keys: [{ id: 'k1', public_key: 'pem' }] }));
        if (req.url === '/enroll') {
          res.statusCode = 403;
          return res.end(JSON.stringify({ error: { message: 'token used' } }));
        }
        res.statusCode = 502;
        res.end('<html>bad gateway</html>');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('reads a JSON answer', async () => {
    expect(await consoleRequest(`${url}/keys`)).toEqual({
      status: 200,
      ok: true,
      body: { keys: [{ id: 'k1', public_key: 'pem' }] },
    });
    expect(received.at(-1)).toEqual({ method: 'GET', type: undefined, body: '' });
  });

  it('sends a JSON body and hands back a refusal with its reason', async () => {
    expect(await consoleRequest(`${url}/enroll`, { method: 'POST', json: { token: 't' } })).toEqual({
      status: 403,
      ok: false,
      body: { error: { message: 'token used' } },
    });
    expect(received.at(-1)).toEqual({ method: 'POST', type: 'application/json', body: '{"token":"t"}' });
  });

  it('gives no body for an answer that is not JSON, and fails when nothing listens', async () => {
    expect(await consoleRequest(`${url}/other`)).toEqual({ status: 502, ok: false, body: undefined });
    server.close();
    await expect(consoleRequest(`${url}/keys`)).rejects.toThrow(/ECONNREFUSED/);
  });
});
