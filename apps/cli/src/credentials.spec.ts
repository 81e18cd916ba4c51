import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredentialStore, type Credentials } from './credentials';
import { CliError } from './errors';

const SESSION: Credentials = {
  console_url: 'https://console.example.com',
  email: 'ada@example.com',
  auth: { kind: 'session', access_token: 'eyJ.access', refresh_token: 'rt_1', expires_at: 1_700_000_000_000 },
};

describe('the credentials file', () => {
  let home: string;
  let sut: CredentialStore;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'rn-cli-creds-'));
    sut = new CredentialStore(join(home, 'rustronaut'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('is written readable by its owner only (0600) in a 0700 directory, and read back', () => {
    sut.save(SESSION);
    expect(statSync(sut.dir).mode & 0o777).toBe(0o700);
    expect(statSync(sut.file).mode & 0o777).toBe(0o600);
    expect(sut.load()).toEqual(SESSION);
    expect(JSON.parse(readFileSync(sut.file, 'utf8')).auth.refresh_token).toBe('rt_1');
  });

  it('narrows a directory someone created with wider permissions, and replaces the file whole', () => {
    mkdirSync(sut.dir, { mode: 0o755 });
    chmodSync(sut.dir, 0o755);
    writeFileSync(sut.file, 'old', { mode: 0o644 });
    sut.save({ console_url: 'http://127.0.0.1:3000', auth: { kind: 'api_key', api_key: 'rnk_abc' } });
    expect(statSync(sut.dir).mode & 0o777).toBe(0o700);
    expect(statSync(sut.file).mode & 0o777).toBe(0o600);
    expect(sut.load()?.auth).toEqual({ kind: 'api_key', api_key: 'rnk_abc' });
  });

  it('is undefined before anyone logged in, and gone after clear', () => {
    expect(sut.load()).toBeUndefined();
    sut.save(SESSION);
    sut.clear();
    expect(sut.load()).toBeUndefined();
  });

  it('refuses a damaged file with the path and what to do, and refuses to write invalid credentials', () => {
    mkdirSync(sut.dir, { recursive: true });
    writeFileSync(sut.file, '{"console_url":"https://c.example.com","auth":{"kind":"session"}}');
    expect(() => sut.load()).toThrow(CliError);
    expect(() => sut.load()).toThrow(`cannot read the credentials in ${sut.file}: auth.access_token`);
    writeFileSync(sut.file, 'not json');
    expect(() => sut.load()).toThrow(/it is not JSON/);
    expect(() => sut.save({ ...SESSION, console_url: 'nope' })).toThrow();
    expect(readFileSync(sut.file, 'utf8')).toBe('not json');
  });
});
