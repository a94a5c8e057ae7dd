import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PermissionFlagsBits, PermissionsBitField } from 'discord.js';
import { canManageServer } from '../../../src/bot/handlers/schedule.ts';

describe('schedule permissions', () => {
  it('lets only Manage Server (or Administrator) change schedules', () => {
    assert.equal(canManageServer(new PermissionsBitField(PermissionFlagsBits.ManageGuild)), true);
    assert.equal(canManageServer(new PermissionsBitField(PermissionFlagsBits.Administrator)), true);
    assert.equal(
      canManageServer(
        new PermissionsBitField([PermissionFlagsBits.SendMessages, PermissionFlagsBits.ManageMessages]),
      ),
      false,
    );
    assert.equal(canManageServer(null), false);
  });
});
