import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PermissionFlagsBits } from 'discord.js';
import { slashCommandDefinitions } from '../../src/bot/definitions.ts';

describe('slash command definitions', () => {
  it('defines slash commands Discord accepts: names, option names and descriptions within limits', () => {
    const commands = slashCommandDefinitions();
    assert.deepEqual(
      commands.map((c) => c.name),
      [
        'momentum',
        'breadth',
        'rotation',
        'quote',
        'chart',
        'market',
        'schedule',
        'watchlist',
        'alert',
        'ask',
        'help',
      ],
    );
    const check = (option: { name: string; description: string; options?: unknown[] }) => {
      assert.match(option.name, /^[-_a-z0-9]{1,32}$/);
      assert.ok(option.description.length >= 1 && option.description.length <= 100, option.name);
      for (const child of (option.options ?? []) as (typeof option)[]) check(child);
    };
    for (const command of commands) check(command as Parameters<typeof check>[0]);
    const schedule = commands.find((c) => c.name === 'schedule');
    assert.equal(schedule?.default_member_permissions, String(PermissionFlagsBits.ManageGuild));
  });
});
