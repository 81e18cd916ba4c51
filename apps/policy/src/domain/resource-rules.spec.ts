import { ResourceDataSchema } from '@rustronaut/contracts';
import { checkResourceShape } from './resource-rules';

const resource = (over: object) =>
  ResourceDataSchema.parse({ siteId: 'st_1', name: 'app', protocol: 'http', ...over });

describe('checkResourceShape', () => {
  it('accepts an http resource with domains, and a tcp resource with a port, names, or both', () => {
    expect(() => checkResourceShape(resource({ domains: ['app.example.com'] }))).not.toThrow();
    expect(() => checkResourceShape(resource({ protocol: 'tcp', publicPort: 5432 }))).not.toThrow();
    // A private database, reached only by `rustronaut forward` under its name.
    expect(() =>
      checkResourceShape(resource({ protocol: 'tcp', domains: ['db.example.com'] })),
    ).not.toThrow();
    expect(() =>
      checkResourceShape(resource({ protocol: 'tcp', publicPort: 22, domains: ['x.example.com'] })),
    ).not.toThrow();
  });

  it.each([
    [{ domains: [] }, /needs at least one domain/],
    [{ domains: ['a.example.com'], publicPort: 80 }, /not a public_port/],
    [{ protocol: 'udp', domains: [] }, /needs a public_port/],
    [{ protocol: 'tcp', domains: [] }, /needs a public_port, or domains/],
    [{ protocol: 'udp', publicPort: 53, domains: ['x.example.com'] }, /has no domains/],
    [{ domains: ['a.example.com', 'A.example.com'] }, /listed twice/],
  ])('refuses %j', (over, message) => {
    expect(() => checkResourceShape(resource(over))).toThrow(message);
  });
});
