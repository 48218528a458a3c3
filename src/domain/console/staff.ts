import type { Clock } from '../../lib/clock.ts';
import type { RegistryStore } from '../../store/registry-store.ts';

/**
 * Staff of the platform who use the console, as their identity provider vouches for them.
 * Roles are cumulative: a reviewer can do what a viewer can, an admin what a reviewer can.
 */
export const STAFF_ROLES = ['viewer', 'reviewer', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export interface StaffMember {
  /** The provider's issuer and subject: together they name one person for good. */
  issuer: string;
  sub: string;
  name?: string;
  role: StaffRole;
}

/**
 * What each role may do. A viewer reads figures and looks up one objection at a time (each
 * lookup audited); deciding, and exporting lists that name people, need a reviewer.
 */
export type StaffPermission =
  | 'read-figures'
  | 'read-objection'
  | 'decide'
  | 'export-personal'
  | 'answer-reports'
  | 'keep-records';

const GRANTED: Record<StaffRole, readonly StaffPermission[]> = {
  viewer: ['read-figures', 'read-objection'],
  reviewer: ['read-figures', 'read-objection', 'decide', 'export-personal', 'answer-reports'],
  // Keeping a version of the record of processing is the controller's formal act: admins only.
  admin: [
    'read-figures',
    'read-objection',
    'decide',
    'export-personal',
    'answer-reports',
    'keep-records',
  ],
};

export function staffMay(role: StaffRole, permission: StaffPermission): boolean {
  return GRANTED[role].includes(permission);
}

/**
 * The role a claim value grants: a string or a list of strings, the highest known role wins.
 * Anything else (missing, unknown, another type) grants nothing: the console fails closed.
 */
export function roleFromClaim(value: unknown): StaffRole | undefined {
  const values = Array.isArray(value) ? value : [value];
  let best = -1;
  for (const v of values) {
    if (typeof v !== 'string') continue;
    best = Math.max(best, STAFF_ROLES.indexOf(v.trim().toLowerCase() as StaffRole));
  }
  return best < 0 ? undefined : STAFF_ROLES[best];
}

/** The name staff decisions are recorded under (`decided_by`, the decision's audit event). */
export function staffActor(staff: StaffMember): string {
  return `staff:${staff.sub}`;
}

/**
 * Every staff action that reads or changes personal data is an event in the registry's
 * tamper-evident audit log, with the staff member's identity (issuer, subject, role). The event
 * names the objection or list concerned in `data`, never the person's contact details.
 */
export class StaffAudit {
  constructor(
    private readonly store: RegistryStore,
    private readonly clock: Clock,
  ) {}

  async record(
    staff: StaffMember,
    action: StaffAction,
    detail: Record<string, string | number | boolean | null> = {},
  ): Promise<void> {
    const at = this.clock();
    await this.store.transaction((tx) =>
      tx.appendEvents([
        {
          at,
          type: `staff.${action}`,
          // Not the objection's own event: audit verify compares objection events with rows.
          objectionId: null,
          subjectKey: null,
          data: {
            staff: {
              issuer: staff.issuer,
              sub: staff.sub,
              role: staff.role,
              ...(staff.name ? { name: staff.name } : {}),
            },
            ...detail,
          },
        },
      ]),
    );
  }
}

export type StaffAction =
  | 'signed-in'
  | 'read-objection'
  | 'read-review-queue'
  | 'export'
  | 'decided'
  | 'extended'
  | 'read-reports'
  | 'read-report'
  | 'answered-report'
  | 'kept-art30';
