import type { Catalogue, MessageVars } from '../../i18n/catalogue.ts';
import type { GpcOutcome } from '../../signals/gpc.ts';
import type { PortalSession } from './session.ts';

/** Everything a page renderer needs to know about the request it answers. */
export interface PageContext {
  lang: string;
  catalogue: Catalogue;
  platformName: string;
  /** Where the portal is mounted ("" at the root). */
  base: string;
  /** The current path relative to `base`, with its query minus `lang`: the switcher keeps it. */
  here: { path: string; query: URLSearchParams };
  /** CSRF token for the forms on the page. */
  csrf: string;
  session: PortalSession | undefined;
  demo: boolean;
  /** What this request's Global Privacy Control signal did, when it carried one. */
  signal?: GpcOutcome | undefined;
}

/** Translates with the platform name always available to messages. */
export function translate(ctx: PageContext, key: string, vars: MessageVars = {}): string {
  const timeZone = timeZoneOf(ctx);
  return ctx.catalogue.t(ctx.lang, key, { platformName: ctx.platformName, ...vars }, { timeZone });
}

/** The signed-in person's time zone, when their platform gave it; else times are in UTC. */
export function timeZoneOf(ctx: PageContext): string | undefined {
  return ctx.session?.account?.timeZone;
}

/** A link inside the portal, with optional query parameters. */
export function href(ctx: PageContext, path: string, query: Record<string, string> = {}): string {
  const qs = new URLSearchParams(query).toString();
  return `${ctx.base}${path}${qs ? `?${qs}` : ''}`;
}

/** The label of a purpose; a deployment-specific purpose without a message shows its id. */
export function purposeLabel(ctx: PageContext, purpose: string): string {
  const key = `purpose.${purpose}`;
  const known =
    ctx.catalogue.source(ctx.lang, key) ?? ctx.catalogue.source(ctx.catalogue.defaultLanguage, key);
  return known === undefined ? purpose : translate(ctx, key);
}

/**
 * `<key>.<purpose>` when the catalogue has a message for that purpose (what an objection to
 * sharing with third parties means differs from one to AI training), else `key` itself.
 */
export function purposeKey(ctx: PageContext, key: string, purpose: string): string {
  const specific = `${key}.${purpose}`;
  return ctx.catalogue.source(ctx.catalogue.defaultLanguage, specific) === undefined
    ? key
    : specific;
}

/** The message for an error key, or the generic one when the catalogue lacks that key. */
export function errorMessage(ctx: PageContext, messageKey: string): string {
  const known =
    ctx.catalogue.source(ctx.lang, messageKey) ??
    ctx.catalogue.source(ctx.catalogue.defaultLanguage, messageKey);
  return translate(ctx, known === undefined ? 'error.generic' : messageKey);
}
