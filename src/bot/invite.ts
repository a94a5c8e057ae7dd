import { OAuth2Scopes, PermissionFlagsBits } from 'discord.js';
import { TapewatchError } from '../errors.ts';

/**
 * What the bot asks for when a server adds it. Slash commands, buttons and DMs need no channel
 * permission (Discord routes interactions to the bot); these four are for scheduled posts and their
 * announcement, which the bot sends to a channel itself.
 */
export const INVITE_PERMISSIONS: readonly {
  readonly flag: bigint;
  readonly name: string;
  readonly why: string;
}[] = [
  { flag: PermissionFlagsBits.ViewChannel, name: 'View Channel', why: 'see the channel a schedule posts to' },
  { flag: PermissionFlagsBits.SendMessages, name: 'Send Messages', why: 'post scheduled reports' },
  { flag: PermissionFlagsBits.EmbedLinks, name: 'Embed Links', why: 'show a report as an embed' },
  { flag: PermissionFlagsBits.AttachFiles, name: 'Attach Files', why: "attach the report's chart" },
];

export const INVITE_SCOPES = [OAuth2Scopes.Bot, OAuth2Scopes.ApplicationsCommands] as const;

export function invitePermissions(): bigint {
  return INVITE_PERMISSIONS.reduce((bits, permission) => bits | permission.flag, 0n);
}

/**
 * A bot token's first part is its user id in base64, and a bot's user id is its application's id: the
 * invite needs no extra setting.
 */
export function applicationIdOf(token: string): string {
  const id = Buffer.from(token.split('.')[0] ?? '', 'base64').toString('utf8');
  if (!/^\d{17,20}$/.test(id)) {
    throw new TapewatchError(
      'bad_config',
      'DISCORD_TOKEN does not start with an application id; copy the bot token from the Bot page of the developer portal.',
    );
  }
  return id;
}

export function inviteUrl(applicationId: string): string {
  const query = new URLSearchParams({
    client_id: applicationId,
    scope: INVITE_SCOPES.join(' '),
    permissions: invitePermissions().toString(),
  });
  return `https://discord.com/oauth2/authorize?${query.toString()}`;
}
