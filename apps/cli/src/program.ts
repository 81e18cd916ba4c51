import { Command, CommanderError } from 'commander';
import { ConfigError, loadCliConfig } from '@rustronaut/config';
import type { ConnectOptions } from './commands/connect';
import type { ConnectorOptions } from './commands/connector';
import type { ExposeOptions } from './commands/expose';
import type { ForwardOptions } from './commands/forward';
import type { LoginOptions } from './commands/login';
import { CommandContext, type CliIo } from './context';
import { CliError, CliErrorCode } from './errors';
import { Output } from './output';
import { VERSION } from './version';

// Each command's module is loaded when it runs: `discover` does not pay for the tunnel's HTTP/2.
const commands = {
  login: () => import('./commands/login'),
  status: () => import('./commands/status'),
  services: () => import('./commands/services'),
  discover: () => import('./commands/discover'),
  expose: () => import('./commands/expose'),
  forward: () => import('./commands/forward'),
  connector: () => import('./commands/connector'),
  connect: () => import('./commands/connect'),
};

/**
 * Runs one `rustronaut …` command line and answers its exit code: 0 done, 1 failed, 2 bad usage.
 * Every command takes `--json`; errors say what happened and what to do next.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const fail = (error: unknown, json: boolean) => {
    const cliError =
      error instanceof CliError
        ? error
        : error instanceof ConfigError
          ? new CliError(CliErrorCode.Usage, error.message)
          : new CliError(
              CliErrorCode.Internal,
              `unexpected failure: ${(error as Error)?.stack ?? String(error)}`,
              'please report this',
            );
    new Output(json, io.stdout, io.stderr).error(cliError);
    exitCode = cliError.exitCode;
  };
  const run =
    <A extends unknown[]>(action: (ctx: CommandContext, ...args: A) => Promise<void> | void) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const json = Boolean(command.opts()['json']);
      try {
        const ctx = new CommandContext(io, loadCliConfig(io.env), json);
        await action(ctx, ...(args.slice(0, -1) as A));
      } catch (error) {
        fail(error, json);
      }
    };

  const program = new Command('rustronaut')
    .description('Expose local services through a Rustronaut gateway, with zero trust applied.')
    .version(VERSION, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride();

  const command = (name: string, description: string) =>
    program.command(name).description(description).option('--json', 'print JSON for scripts');

  command('login', 'log in to a console and store the credentials (mode 0600)')
    .option('--console <url>', "the console's address, e.g. https://console.example.com")
    .option('--email <email>', 'log in with email and password (asked, or RN_PASSWORD)')
    .option('--api-key <key>', 'log in with an API key (rnk_…)')
    .option('--sso', "sign in through your organisation's identity provider, in a browser")
    .option('--provider <name>', 'with --sso: which identity provider, when there are several')
    .option('--org <slug>', "with --sso: your organisation's slug (default organisation otherwise)")
    .option('--manual', 'with --sso: no redirect to this machine; paste the code the sign-in page shows')
    .option('--no-browser', 'with --sso: print the address instead of opening a browser')
    .action(run(async (ctx, options: LoginOptions) => (await commands.login()).login(ctx, options)));
  command('logout', 'forget the stored credentials').action(
    run(async (ctx) => (await commands.login()).logout(ctx)),
  );
  command('status', 'who you are, whether the console answers, how many services are exposed').action(
    run(async (ctx) => (await commands.status()).status(ctx)),
  );
  command('services', 'list the exposed services').action(
    run(async (ctx) => (await commands.services()).services(ctx)),
  );
  command('unexpose', 'stop exposing a service (its public address stops working)')
    .argument('<id>', 'the service id (see `rustronaut services`)')
    .action(run(async (ctx, id: string) => (await commands.services()).unexpose(ctx, id)));
  command('discover', 'list the services listening on this machine, with their processes').action(
    run(async (ctx) => (await commands.discover()).discover(ctx)),
  );
  command('expose', 'expose a local service through the gateway until Ctrl-C')
    .argument('<local-address>', 'where the service listens: localhost:3000, 127.0.0.1:22, or a port')
    .argument('<protocol>', 'http, tcp or udp')
    .option('--subdomain <name>', 'ask for this name instead of a random one')
    .option('--auth', 'visitors must log in (http only)')
    .option('--site <id>', "the site whose gateways serve it (default: the organisation's first)")
    .option('--console <url>', 'the console to use (default: the one you logged in to)')
    .option(
      '--ca <file>',
      "a PEM file of CAs to trust for the gateway's tunnel endpoint (or RN_CA_FILE; default: the CA pinned at login)",
    )
    .action(
      run(async (ctx, address: string, protocol: string, options: ExposeOptions) =>
        (await commands.expose()).expose(ctx, address, protocol, options),
      ),
    );

  command('forward', "forward a local port to a site's TCP resource through the gateway, until Ctrl-C")
    .argument('<remote-address>', "the resource's host:port, e.g. remote-db.company.com:5432")
    .argument('<local-address>', 'where to listen here: localhost:5432, or a port')
    .option('--gateway <host:port>', "the gateway's HTTPS address (default: the console's tunnel endpoint)")
    .option(
      '--ca <file>',
      'a PEM file of CAs to trust for the gateway (or RN_CA_FILE; default: the CA pinned at login)',
    )
    .action(
      run(async (ctx, remote: string, local: string, options: ForwardOptions) =>
        (await commands.forward()).forward(ctx, remote, local, options),
      ),
    );
  command('connector', "serve a site's targets through one outbound tunnel, until Ctrl-C")
    .requiredOption('--token <token>', "the site's connector token (rnc_…)")
    .option('--gateway <host:port>', "the gateway's tunnel endpoint (default: the console's, when logged in)")
    .option(
      '--ca <file>',
      'a PEM file of CAs to trust for the gateway (or RN_CA_FILE; default: the CA pinned at login)',
    )
    .option('--allow <cidr...>', 'only reach targets in these networks (default: whatever the gateway names)')
    .action(
      run(async (ctx, options: ConnectorOptions) => (await commands.connector()).connector(ctx, options)),
    );

  command('connect', "join a site's VPN (WireGuard): keys made here, device registered, tunnel up (root)")
    .argument('<site>', 'the site, by name or id')
    .option('--config-only', 'write the wg-quick config (0600) instead of bringing the tunnel up')
    .option('--out <file>', 'with --config-only: where to write it')
    .option('--qr', 'print the config as a QR code for the WireGuard phone app')
    .option('--name <name>', "the device's name (default: this machine's host name)")
    .action(
      run(async (ctx, site: string, options: ConnectOptions) =>
        (await commands.connect()).connect(ctx, site, options),
      ),
    );
  command('disconnect', 'take the VPN tunnel down (all sites, or one)')
    .argument('[site]', 'the site, by name or id')
    .option('--revoke', 'also delete the device in the console')
    .action(
      run(async (ctx, site: string | undefined, options: { revoke?: boolean }) =>
        (await commands.connect()).disconnect(ctx, site, options),
      ),
    );
  command('devices', 'list your VPN devices and when they were last seen').action(
    run(async (ctx) => (await commands.connect()).devices(ctx)),
  );

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // Help and version exit 0; a usage error (already printed by commander) exits 2.
    return error.exitCode === 0 ? 0 : 2;
  }
  return exitCode;
}
