import { REST, Routes } from 'discord.js';
import { z } from 'zod';
import { parseConfig, requireDiscordToken, type Environment } from '../config/index.ts';
import { slashCommandDefinitions } from './definitions.ts';

const applicationSchema = z.object({ id: z.string(), name: z.string().optional() });

/**
 * Registers the slash commands: to one server when DISCORD_GUILD_ID is set (instant, for development),
 * globally otherwise (Discord may take up to an hour to show changes). Returns what to tell the user.
 */
export async function deployCommands(env: Environment): Promise<string> {
  const config = parseConfig(env);
  const rest = new REST({ api: config.discord.apiUrl }).setToken(requireDiscordToken(config));
  const application = applicationSchema.parse(await rest.get(Routes.currentApplication()));
  const commands = slashCommandDefinitions();
  const { guildId } = config.discord;
  const route =
    guildId === null
      ? Routes.applicationCommands(application.id)
      : Routes.applicationGuildCommands(application.id, guildId);
  await rest.put(route, { body: commands });
  const names = commands.map((c) => `/${c.name}`).join(', ');
  return guildId === null
    ? `Registered ${commands.length} commands globally for ${application.name ?? application.id}: ${names}. Discord may take up to an hour to show them everywhere.`
    : `Registered ${commands.length} commands in server ${guildId}: ${names}. They are available now.`;
}
