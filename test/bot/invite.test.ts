import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applicationIdOf, INVITE_PERMISSIONS, invitePermissions, inviteUrl } from '../../src/bot/invite.ts';

describe('invite URL', () => {
  it('asks for View Channel, Send Messages, Embed Links and Attach Files: 1024 + 2048 + 16384 + 32768', () => {
    assert.equal(invitePermissions(), 52224n);
    assert.deepEqual(
      INVITE_PERMISSIONS.map((p) => p.name),
      ['View Channel', 'Send Messages', 'Embed Links', 'Attach Files'],
    );
  });

  it("reads the application id from the token's first part and builds Discord's authorize link", () => {
    const token = `${Buffer.from('123456789012345678').toString('base64')}.GhIjKl.mnopqrstuvwxyz`;
    assert.equal(applicationIdOf(token), '123456789012345678');
    assert.equal(
      inviteUrl('123456789012345678'),
      'https://discord.com/oauth2/authorize?client_id=123456789012345678&scope=bot+applications.commands&permissions=52224',
    );
    assert.throws(
      () => applicationIdOf('not-base64-of-an-id.a.b'),
      /DISCORD_TOKEN does not start with an application id/,
    );
  });
});
