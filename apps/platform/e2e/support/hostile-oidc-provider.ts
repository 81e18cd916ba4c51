import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** How the next ID token is made: its header, its claims, and the key (or none) that signs it. */
export interface IdTokenRecipe {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signer: 'provider' | 'stranger' | 'none' | { hmac: string } | 'garbage' | 'tampered';
}

/**
 * An OpenID provider that answers whatever ID token the test tells it to: discovery, JWKS, and a
 * token endpoint returning the recipe's token for any code. The console must refuse every token
 * but a correct one.
 */
export class HostileOidcProvider {
  recipe: IdTokenRecipe | undefined;
  tokenRequests = 0;
  readonly #key: KeyObject;
  readonly #stranger: KeyObject;

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    keys: { provider: KeyObject; stranger: KeyObject; publicJwk: Record<string, unknown> },
  ) {
    this.#key = keys.provider;
    this.#stranger = keys.stranger;
  }

  static async start(): Promise<HostileOidcProvider> {
    const provider = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const publicJwk = {
      ...provider.publicKey.export({ format: 'jwk' }),
      kid: 'k1',
      use: 'sig',
      alg: 'RS256',
    };
    // eslint-disable-next-line prefer-const -- assigned once the server it answers for listens
    let sut!: HostileOidcProvider;
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', sut.issuer);
      const json = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (url.pathname === '/.well-known/openid-configuration')
        return json(200, {
          issuer: sut.issuer,
          authorization_endpoint: `${sut.issuer}/authorize`,
          token_endpoint: `${sut.issuer}/token`,
          jwks_uri: `${sut.issuer}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
        });
      if (url.pathname === '/jwks') return json(200, { keys: [publicJwk] });
      if (url.pathname === '/token' && req.method === 'POST') {
        sut.tokenRequests++;
        req.resume();
        return req.on('end', () =>
          json(200, { access_token: 'at', token_type: 'Bearer', expires_in: 60, id_token: sut.#idToken() }),
        );
      }
      return json(404, { error: 'not_found' });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    sut = new HostileOidcProvider(server, issuer, { provider: provider.privateKey, stranger, publicJwk });
    return sut;
  }

  #idToken(): string {
    const recipe = this.recipe;
    if (!recipe) throw new Error('no recipe');
    const input = `${b64(recipe.header)}.${b64(recipe.claims)}`;
    const signer = recipe.signer;
    if (signer === 'none') return `${input}.`;
    if (signer === 'garbage') return 'not.a.jwt';
    if (typeof signer === 'object')
      return `${input}.${createHmac('sha256', signer.hmac).update(input).digest('base64url')}`;
    if (signer === 'tampered') {
      const signature = sign('sha256', Buffer.from(input), this.#key).toString('base64url');
      return `${b64(recipe.header)}.${b64({ ...recipe.claims, sub: 'someone-else' })}.${signature}`;
    }
    const key = signer === 'provider' ? this.#key : this.#stranger;
    return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
  }

  close(): void {
    this.server.close();
  }
}
