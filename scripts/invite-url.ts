import { loadDotEnv, parseConfig, processEnvironment, requireDiscordToken } from '../src/config/index.ts';
import { applicationIdOf, INVITE_PERMISSIONS, invitePermissions, inviteUrl } from '../src/bot/invite.ts';
import { describeError } from '../src/errors.ts';

// `npm run invite-url`: the link a server owner opens to add the bot, for the configured token's application.
try {
  loadDotEnv();
  const id = applicationIdOf(requireDiscordToken(parseConfig(processEnvironment())));
  const lines = [
    inviteUrl(id),
    '',
    `Scopes: bot, applications.commands. Permissions ${invitePermissions()}:`,
    ...INVITE_PERMISSIONS.map((p) => `  ${p.name}: ${p.why}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} catch (error) {
  process.stderr.write(`invite-url: ${describeError(error)}\n`);
  process.exitCode = 1;
}
