// The sandbox's organization model: every state change, its validation, and its activity entry, in
// one transaction each. Routes authorize the caller and translate HTTP; the aggregates under model/
// own the rules. This facade keeps one object for routes to hold and one clock for all of them.

import { type Clock, systemClock } from './clock.js';

import { ActivityLog } from './model/activity.js';
import { Invitations } from './model/invitations.js';
import { Keys } from './model/keys.js';
import { Resources } from './model/resources.js';
import { Roles } from './model/roles.js';
import type { ModelOptions } from './model/types.js';
import { Users } from './model/users.js';
import { Workspaces } from './model/workspaces.js';
import type { Store } from './store.js';

export type { Actor, InvitationMail, Mailer, ModelOptions } from './model/types.js';

export class Model {
  readonly store: Store;
  readonly opts: ModelOptions;
  readonly clock: Clock;
  readonly activityLog: ActivityLog;
  readonly roles: Roles;
  readonly users: Users;
  readonly invitations: Invitations;
  readonly workspaces: Workspaces;
  readonly keys: Keys;
  readonly resources: Resources;

  constructor(store: Store, opts: ModelOptions) {
    this.store = store;
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.activityLog = new ActivityLog(this);
    this.roles = new Roles(this);
    this.users = new Users(this);
    this.invitations = new Invitations(this);
    this.workspaces = new Workspaces(this);
    this.keys = new Keys(this);
    this.resources = new Resources(this);
  }

  /** The current time as stored: ISO 8601 UTC, so comparisons as text are comparisons in time. */
  now(): string {
    return this.clock().toISOString();
  }

  organizationName(): string {
    return this.store.meta('organization') ?? 'Noxus Sandbox';
  }

  // ---- activity ----
  readonly audit: ActivityLog['audit'] = (...a) => this.activityLog.audit(...a);
  readonly activity: ActivityLog['activity'] = (...a) => this.activityLog.activity(...a);

  // ---- roles ----
  readonly findRole: Roles['findRole'] = (...a) => this.roles.findRole(...a);
  readonly roleView: Roles['roleView'] = (...a) => this.roles.roleView(...a);
  readonly createRole: Roles['createRole'] = (...a) => this.roles.createRole(...a);
  readonly deleteRole: Roles['deleteRole'] = (...a) => this.roles.deleteRole(...a);
  readonly updateRole: Roles['updateRole'] = (...a) => this.roles.updateRole(...a);

  // ---- users ----
  readonly findUser: Users['findUser'] = (...a) => this.users.findUser(...a);
  readonly requireUser: Users['requireUser'] = (...a) => this.users.requireUser(...a);
  readonly isOrgAdmin: Users['isOrgAdmin'] = (...a) => this.users.isOrgAdmin(...a);
  readonly holderView: Users['holderView'] = (...a) => this.users.holderView(...a);
  readonly userPermissionsIn: Users['userPermissionsIn'] = (...a) => this.users.userPermissionsIn(...a);
  readonly userView: Users['userView'] = (...a) => this.users.userView(...a);
  readonly listUsers: Users['listUsers'] = (...a) => this.users.listUsers(...a);
  readonly createUser: Users['createUser'] = (...a) => this.users.createUser(...a);
  readonly resendInvitation: Users['resendInvitation'] = (...a) => this.users.resendInvitation(...a);
  readonly invitationByToken: Users['invitationByToken'] = (...a) => this.users.invitationByToken(...a);
  readonly acceptInvitation: Users['acceptInvitation'] = (...a) => this.users.acceptInvitation(...a);
  readonly updateUser: Users['updateUser'] = (...a) => this.users.updateUser(...a);
  readonly suspendUser: Users['suspendUser'] = (...a) => this.users.suspendUser(...a);
  readonly reactivateUser: Users['reactivateUser'] = (...a) => this.users.reactivateUser(...a);
  readonly removeUser: Users['removeUser'] = (...a) => this.users.removeUser(...a);
  readonly markTourDone: Users['markTourDone'] = (...a) => this.users.markTourDone(...a);
  readonly onboarding: Users['onboarding'] = (...a) => this.users.onboarding(...a);
  readonly access: Users['access'] = (...a) => this.users.access(...a);
  readonly touchUser: Users['touchUser'] = (...a) => this.users.touchUser(...a);

  // ---- workspaces ----
  readonly findGroup: Workspaces['findGroup'] = (...a) => this.workspaces.findGroup(...a);
  readonly requireGroup: Workspaces['requireGroup'] = (...a) => this.workspaces.requireGroup(...a);
  readonly groupView: Workspaces['groupView'] = (...a) => this.workspaces.groupView(...a);
  readonly createGroup: Workspaces['createGroup'] = (...a) => this.workspaces.createGroup(...a);
  readonly updateGroup: Workspaces['updateGroup'] = (...a) => this.workspaces.updateGroup(...a);
  readonly deleteGroup: Workspaces['deleteGroup'] = (...a) => this.workspaces.deleteGroup(...a);
  readonly members: Workspaces['members'] = (...a) => this.workspaces.members(...a);
  readonly setMember: Workspaces['setMember'] = (...a) => this.workspaces.setMember(...a);
  readonly removeMember: Workspaces['removeMember'] = (...a) => this.workspaces.removeMember(...a);

  // ---- keys ----
  readonly keyHolder: Keys['keyHolder'] = (...a) => this.keys.keyHolder(...a);
  readonly keyStatus: Keys['keyStatus'] = (...a) => this.keys.keyStatus(...a);
  readonly keyEffective: Keys['keyEffective'] = (...a) => this.keys.keyEffective(...a);
  readonly keyView: Keys['keyView'] = (...a) => this.keys.keyView(...a);
  readonly createWorkspaceKey: Keys['createWorkspaceKey'] = (...a) => this.keys.createWorkspaceKey(...a);
  readonly createSystemKey: Keys['createSystemKey'] = (...a) => this.keys.createSystemKey(...a);
  readonly listKeys: Keys['listKeys'] = (...a) => this.keys.listKeys(...a);
  readonly revokeKey: Keys['revokeKey'] = (...a) => this.keys.revokeKey(...a);
  readonly rotateKey: Keys['rotateKey'] = (...a) => this.keys.rotateKey(...a);
  readonly recordExposure: Keys['recordExposure'] = (...a) => this.keys.recordExposure(...a);
  readonly exposuresOf: Keys['exposuresOf'] = (...a) => this.keys.exposuresOf(...a);

  // ---- resources ----
  readonly resourceView: Resources['resourceView'] = (...a) => this.resources.resourceView(...a);
  readonly createResource: Resources['createResource'] = (...a) => this.resources.createResource(...a);
  readonly updateResource: Resources['updateResource'] = (...a) => this.resources.updateResource(...a);
  readonly deleteResource: Resources['deleteResource'] = (...a) => this.resources.deleteResource(...a);
  readonly listResources: Resources['listResources'] = (...a) => this.resources.listResources(...a);
  readonly transfer: Resources['transfer'] = (...a) => this.resources.transfer(...a);
}
