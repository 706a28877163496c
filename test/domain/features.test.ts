import { describe, expect, it } from 'vitest';
import {
  FEATURES,
  feature,
  notAvailableMessage,
  publicRouteKeys,
  routeKey,
  splitRoute,
} from '../../src/domain/features.js';

describe('feature catalogue', () => {
  it('ids are unique and every route is well formed', () => {
    const ids = FEATURES.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const f of FEATURES) {
      expect(f.routes.length).toBeGreaterThan(0);
      for (const r of f.routes) expect(r).toMatch(/^(GET|POST|PUT|PATCH|DELETE) \/v1\//);
      if (f.fields) expect(f.routes).toContain(f.fields.route);
    }
  });

  it('matches routes whatever the parameter is called', () => {
    expect(routeKey('delete', '/v1/admin/groups/{id}')).toBe(
      routeKey('DELETE', '/v1/admin/groups/:group_id'),
    );
    expect(routeKey('GET', '/v1/admin/users/')).toBe('GET /v1/admin/users');
  });

  it('names the feature, not the endpoint, with the right verb', () => {
    expect(notAvailableMessage('keys.restrict')).toBe('restricted keys are not available on this server');
    expect(notAvailableMessage('activity')).toBe('the activity log is not available on this server');
  });

  it('the public routes are exactly the confirmed ones', () => {
    const keys = publicRouteKeys();
    expect(keys.has('GET /v1/admin/me')).toBe(true);
    expect(keys.has('POST /v1/admin/groups/{}/api-keys')).toBe(true);
    expect(keys.has('DELETE /v1/admin/groups/{}')).toBe(true);
    expect(keys.has('GET /v1/nodes')).toBe(true);
    expect(keys.has('GET /v1/admin/permissions')).toBe(false);
    expect(keys.has('PUT /v1/admin/groups/{}/members/{}')).toBe(false);
    expect(keys.has('POST /v1/admin/users')).toBe(false);
    // A public feature's routes are all public; an extension has at least one non-public route or field.
    for (const f of FEATURES) {
      const allPublic = f.routes.every((r) => {
        const { method, path } = splitRoute(r);
        return keys.has(routeKey(method, path));
      });
      if (f.public) expect(allPublic, f.id).toBe(true);
      else expect(!allPublic || f.fields !== undefined, f.id).toBe(true);
    }
    expect(feature('keys.create').public).toBe(true);
  });
});
