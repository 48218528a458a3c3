import type { StaffMember, StaffPermission } from '../../domain/console/staff.ts';
import { staffMay } from '../../domain/console/staff.ts';
import type { PageContext } from '../portal/context.ts';

/** A console page's context: the portal's (language, catalogue, CSRF) plus who is signed in. */
export interface ConsoleContext extends PageContext {
  staff: StaffMember | undefined;
  /** The navigation entry of the page being rendered. */
  nav?: ConsoleNav | undefined;
}

export type ConsoleNav =
  | 'overview'
  | 'reviews'
  | 'reports'
  | 'datasets'
  | 'recipients'
  | 'notices'
  | 'models'
  | 'records'
  | 'find'
  | 'exports';

export function may(ctx: ConsoleContext, permission: StaffPermission): boolean {
  return ctx.staff !== undefined && staffMay(ctx.staff.role, permission);
}
