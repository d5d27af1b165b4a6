/**
 * user-metadata converts `auth0.users.update*Metadata` only when the rule does not declare an `auth0` of
 * its own anywhere. A plain scan now answers "declared?" before the scope analysis does: a declaration
 * it missed would turn the rule's own object into the Management API. Every way of binding the name,
 * even far from the call, must keep the call as the rule wrote it.
 */
import { describe, expect, it } from 'vitest';
import { migrate } from '../src/migrate.js';

const rule = (declaration: string) => `function (user, context, callback) {
  user.app_metadata = user.app_metadata || {};
  user.app_metadata.seen = true;
  ${declaration}
  auth0.users.updateAppMetadata(user.user_id, user.app_metadata)
    .then(function () { callback(null, user, context); })
    .catch(function (err) { callback(err); });
}`;

const codes = (declaration: string) => migrate(rule(declaration), { diff: false }).findings.map((f) => `${f.transform}:${f.code}`);

describe('a rule with its own auth0', () => {
  it('converts the update when nothing declares auth0', () => {
    const result = migrate(rule(''), { diff: false });
    expect(codes('')).toContain('user-metadata:update-converted');
    expect(result.code).toContain("api.user.setAppMetadata('seen', true)");
  });

  it.each([
    'var auth0 = makeClient();',
    'function helper(auth0) { return auth0; }',
    'try { x(); } catch ({ auth0 }) {}',
    'h(class auth0 {});',
    'h(function auth0() {});',
    'for (const [auth0] of pairs) {}',
    'if (x) { let { a: [auth0] } = x; }',
  ])('leaves the update alone when %s', (declaration) => {
    const result = migrate(rule(declaration), { diff: false });
    expect(codes(declaration)).not.toContain('user-metadata:update-converted');
    expect(result.code).toContain('auth0.users.updateAppMetadata(');
    expect(result.code).not.toContain('api.user.setAppMetadata');
  });
});
