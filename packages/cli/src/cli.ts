import { mkdir, rm, stat } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import {
  type Accounts,
  type Cases,
  isAccordError,
  ORG_KINDS,
  type Reports,
  ROLES,
  type Witnesses,
} from '@accord/core';
import type { NodeConfig, RunningServer } from '@accord/server';
import { DEFAULTS, DEMO_PASSWORD } from '@accord/server/defaults';
import { Command, CommanderError, Option } from 'commander';
import { registerCaseCommands } from './case-commands.ts';
import { type EvidenceCommandContext, registerEvidenceCommands } from './evidence-commands.ts';
import { registerExportCommands } from './export-commands.ts';
import { registerLegalCommands } from './legal-commands.ts';
import { registerReportCommands } from './report-commands.ts';

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable;
  /** Called with the running server instead of waiting for a signal (tests). */
  readonly onServing?: (server: RunningServer) => Promise<void>;
}

/** Exit codes: 0 ok, 1 the operation failed, 2 the command line was wrong. */
export const runCli = async (argv: readonly string[], io: CliIo): Promise<number> => {
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const program = buildProgram(io, out);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed its message (unknown option, missing argument) or the help.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isAccordError(e)) {
      io.stderr.write(`accord: ${e.message}\n`);
      return 1;
    }
    // Unexpected: say so plainly; the stack is for developers who ask for it.
    io.stderr.write(`accord: unexpected error: ${(e as Error)?.message ?? String(e)}\n`);
    if (io.env.ACCORD_DEBUG === '1') io.stderr.write(`${(e as Error)?.stack ?? ''}\n`);
    return 1;
  }
};

/** The server package loads only for commands that use it (verify-bundle and --help do not). */
const server = () => import('@accord/server');

const buildProgram = (io: CliIo, out: (text: string) => void): Command => {
  const program = new Command('accord')
    .description(
      'Accord: joint investigations of human rights abuses — evidence, custody, cases and survivors.',
    )
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Environment:
  ACCORD_DATA            data folder (default ${DEFAULTS.dataDir}); --data overrides it
  ACCORD_DATABASE_URL    postgres://user:password@host:port/db to use PostgreSQL instead of
                         the embedded SQLite database in the data folder
  ACCORD_LOG_LEVEL       fatal, error, warn, info (default), debug or silent
  ACCORD_SECURE_COOKIES  1 when the node is reached over HTTPS (Secure cookies, HSTS)
  ACCORD_TRUST_PROXY     1 behind one reverse proxy that sets X-Forwarded-For
  ACCORD_KEK             base64 key-encryption key(s) for the vault, comma-separated, current
                         first (production); otherwise keys/kek/ in the data folder
  ACCORD_LOG_ORIGIN      the custody log's name in checkpoints (fixed at first start)
  ACCORD_MAP_TILES       folder of map tiles (<zoom>/<x>/<y>.png) to show item locations on;
                         served by the node itself, never fetched from elsewhere

Quick start:
  npx accord demo        create ./accord-data with demo data and serve it`,
    );

  const dataOption = () =>
    new Option('-d, --data <dir>', 'data folder').default(
      io.env.ACCORD_DATA || DEFAULTS.dataDir,
      'ACCORD_DATA or ./accord-data',
    );
  const withCommon = (cmd: Command) =>
    cmd.addOption(dataOption()).exitOverride().configureOutput(program.configureOutput());

  const databaseUrl = () =>
    io.env.ACCORD_DATABASE_URL?.trim() ? io.env.ACCORD_DATABASE_URL.trim() : undefined;
  /** Where the node's keys and log name come from, besides the data folder. */
  const nodeEnv = () => ({
    kek: io.env.ACCORD_KEK || undefined,
    logOrigin: io.env.ACCORD_LOG_ORIGIN || undefined,
  });

  /** Opens the node, runs `fn`, always closes it. */
  const withNode = async <T>(
    data: string,
    fn: (
      accounts: Accounts,
      node: { accounts: Accounts; cases: Cases; witnesses: Witnesses; reports: Reports },
    ) => Promise<T>,
  ): Promise<T> => {
    const node = await (await server()).openNode({ dataDir: data, databaseUrl: databaseUrl(), ...nodeEnv() });
    try {
      return await fn(node.accounts, node);
    } finally {
      await node.close();
    }
  };

  const serveConfig = async (opts: { data: string; port: string; host: string }): Promise<NodeConfig> => {
    const { parseHost, parseLogLevel, parsePort } = await server();
    return {
      dataDir: opts.data,
      databaseUrl: databaseUrl(),
      host: parseHost(opts.host),
      port: parsePort(opts.port),
      secureCookies: io.env.ACCORD_SECURE_COOKIES === '1',
      trustProxy: io.env.ACCORD_TRUST_PROXY === '1',
      logLevel: parseLogLevel(io.env.ACCORD_LOG_LEVEL),
      bodyLimitBytes: DEFAULTS.bodyLimitBytes,
      ...nodeEnv(),
    };
  };

  const serveUntilSignal = async (config: NodeConfig, banner: (server: RunningServer) => void) => {
    const running = await (await server()).startServer(config);
    banner(running);
    if (io.onServing) {
      try {
        await io.onServing(running);
      } finally {
        await running.stop();
      }
      return;
    }
    await new Promise<void>((resolve) => {
      const shutdown = (signal: string) => {
        io.stderr.write(`accord: ${signal} received, finishing requests and closing the database…\n`);
        process.off('SIGTERM', onTerm);
        process.off('SIGINT', onInt);
        running.stop().then(resolve, (e) => {
          io.stderr.write(`accord: error while stopping: ${(e as Error).message}\n`);
          resolve();
        });
      };
      const onTerm = () => shutdown('SIGTERM');
      const onInt = () => shutdown('SIGINT');
      process.on('SIGTERM', onTerm);
      process.on('SIGINT', onInt);
    });
  };

  const addServeOptions = (cmd: Command) =>
    cmd
      .option('-p, --port <port>', 'TCP port to listen on', String(DEFAULTS.port))
      .option('-H, --host <host>', 'address to listen on (0.0.0.0 for every interface)', DEFAULTS.host);

  withCommon(
    program
      .command('init')
      .description('create a new data folder: database, blob folder, node keys and identity')
      .addHelpText('after', '\nRefuses to touch a folder that already exists and is not empty.'),
  ).action(async (opts: { data: string }) => {
    const existed = await stat(opts.data).then(
      () => true,
      () => false,
    );
    const folder = await (await server()).initDataFolder(opts.data, {
      kekFromEnvironment: Boolean(io.env.ACCORD_KEK),
    });
    try {
      const node = await (await server()).openNode({
        dataDir: folder.dir,
        databaseUrl: databaseUrl(),
        ...nodeEnv(),
      });
      await node.close();
    } catch (e) {
      // The database cannot be reached or set up: take back the folder made a moment ago, so that
      // init can simply run again instead of finding "already an Accord data folder".
      await rm(folder.dir, { recursive: true, force: true });
      if (existed) await mkdir(folder.dir);
      throw e;
    }
    out(`created Accord data folder ${folder.dir}`);
    out(`node id ${folder.identity.nodeId}`);
    out(
      'next: create an organisation and an admin with "accord org add" and "accord user add", then "accord serve"',
    );
  });

  addServeOptions(
    withCommon(
      program.command('serve').description('serve the web interface and API (stops cleanly on SIGTERM)'),
    ),
  ).action(async (opts: { data: string; port: string; host: string }) => {
    const config = await serveConfig(opts);
    await serveUntilSignal(config, (server) => {
      out(
        `Accord is serving ${server.node.folder.dir} (${server.node.database.description.startsWith('sqlite:') ? 'embedded database' : 'PostgreSQL'})`,
      );
      out(`open ${server.url}/`);
    });
  });

  addServeOptions(
    withCommon(
      program
        .command('demo')
        .description('create the data folder if needed, add demo organisations, users and a case, and serve')
        .addHelpText(
          'after',
          `\nDemo users share the password "${DEMO_PASSWORD}" and enrol TOTP at first sign-in.`,
        ),
    ),
  ).action(async (opts: { data: string; port: string; host: string }) => {
    const config = await serveConfig(opts);
    if (!(await (await server()).isDataFolder(opts.data))) {
      const folder = await (await server()).initDataFolder(opts.data, {
        kekFromEnvironment: Boolean(io.env.ACCORD_KEK),
      });
      out(`created Accord data folder ${folder.dir}`);
    }
    const { seedDemo } = await server();
    const seeded = await withNode(opts.data, (_, node) => seedDemo(node));
    await serveUntilSignal(config, (server) => {
      out('');
      out(`Accord demo is running: ${server.url}/`);
      out(seeded.created ? 'demo data added.' : 'demo data was already there.');
      out(`demo logins (password for all: ${DEMO_PASSWORD}; you will set up TOTP at first sign-in):`);
      for (const l of seeded.logins) out(`  ${l.username.padEnd(20)} ${l.role}`);
      out('stop with Ctrl+C.');
    });
  });

  withCommon(
    program.command('migrate').description('bring the database schema up to date (also done on every start)'),
  ).action(async (opts: { data: string }) => {
    const node = await (await server()).openNode({
      dataDir: opts.data,
      databaseUrl: databaseUrl(),
      ...nodeEnv(),
    });
    await node.close();
    const { applied, current } = node.migrations;
    out(
      applied.length === 0
        ? `database is up to date (${current ?? 'empty'})`
        : `applied ${applied.join(', ')}`,
    );
  });

  const org = program.command('org').description('manage organisations').exitOverride();
  withCommon(
    org
      .command('add')
      .description('add an organisation')
      .requiredOption('--name <name>', 'organisation name')
      .requiredOption('--country <code>', 'ISO 3166-1 two-letter country code, e.g. UA')
      .addOption(
        new Option('--kind <kind>', 'kind of organisation').choices(ORG_KINDS).makeOptionMandatory(),
      ),
  ).action(async (opts: { data: string; name: string; country: string; kind: string }) => {
    const created = await withNode(opts.data, (a) =>
      a.createOrganisation({ operator: true }, { name: opts.name, country: opts.country, kind: opts.kind }),
    );
    out(`added organisation "${created.name}"`);
    out(created.id);
  });
  withCommon(org.command('list').description('list organisations')).action(async (opts: { data: string }) => {
    const orgs = await withNode(opts.data, (a) => a.listOrganisations({ operator: true }));
    if (orgs.length === 0) out('no organisations yet; add one with "accord org add"');
    for (const o of orgs) out(`${o.id}  ${o.country}  ${o.kind.padEnd(12)}  ${o.name}`);
  });

  const user = program.command('user').description('manage user accounts').exitOverride();
  withCommon(
    user
      .command('add')
      .description('add a user; prints a one-time password to change at first sign-in')
      .requiredOption('--username <name>', 'login name: 3–64 of a-z 0-9 . _ -')
      .requiredOption('--name <full name>', 'display name')
      .requiredOption('--org <id or name>', 'organisation the user belongs to')
      .addOption(new Option('--role <role>', 'role').choices(ROLES).makeOptionMandatory()),
  ).action(async (opts: { data: string; username: string; name: string; org: string; role: string }) => {
    const result = await withNode(opts.data, async (a) => {
      const organisation = await a.resolveOrganisation(opts.org);
      return a.createUser(
        { operator: true },
        { orgId: organisation.id, username: opts.username, displayName: opts.name, role: opts.role },
      );
    });
    out(`added ${result.user.username} (${result.user.role})`);
    out('one-time password (shown only once; the user must change it and enrol TOTP at first sign-in):');
    out(result.initialPassword ?? '');
  });
  withCommon(
    user
      .command('reset-password')
      .description('give a user a new one-time password, unlock the account and end their sessions')
      .argument('<username>', 'the user')
      .option('--keep-totp', 'keep the current authenticator (default: the user enrols again)'),
  ).action(async (username: string, opts: { data: string; keepTotp?: boolean }) => {
    const result = await withNode(opts.data, async (a) => {
      const target = await a.findUserByUsername(username);
      return a.resetCredentials({ operator: true }, target.id, { resetTotp: !opts.keepTotp });
    });
    out(`reset ${result.user.username}${opts.keepTotp ? '' : '; they will enrol TOTP again'}`);
    out('one-time password (shown only once):');
    out(result.password);
  });
  withCommon(user.command('list').description('list users')).action(async (opts: { data: string }) => {
    const users = await withNode(opts.data, (a) => a.listUsers({ operator: true }));
    for (const u of users) {
      out(
        `${u.username.padEnd(24)} ${u.role.padEnd(20)} ${u.totpEnrolled ? 'totp' : 'no-totp'} ${u.disabled ? 'disabled' : 'active'}`,
      );
    }
  });

  const evidenceContext: EvidenceCommandContext = {
    out,
    stderr: io.stderr,
    stdin: io.stdin,
    env: io.env,
    withCommon,
    withOpenNode: async (data, fn) => {
      const node = await (await server()).openNode({
        dataDir: data,
        databaseUrl: databaseUrl(),
        ...nodeEnv(),
      });
      try {
        return await fn(node);
      } finally {
        await node.close();
      }
    },
  };
  registerCaseCommands(program, evidenceContext);
  registerEvidenceCommands(program, evidenceContext);
  registerExportCommands(program, evidenceContext);
  registerLegalCommands(program, evidenceContext);
  registerReportCommands(program, evidenceContext);

  return program;
};
