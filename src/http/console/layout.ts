import { href, translate } from '../portal/context.ts';
import { html, type SafeHtml } from '../portal/html.ts';
import { languageSwitcher, STYLESHEET_PATH } from '../portal/layout.ts';
import type { ConsoleContext, ConsoleNav } from './context.ts';

export const CONSOLE_STYLESHEET_PATH = '/console/assets/console.css';

export interface ConsolePage {
  title: string;
  body: SafeHtml;
  /** The navigation entry to mark as current. */
  nav?: ConsoleNav;
}

const NAV: { id: ConsoleNav; path: string }[] = [
  { id: 'overview', path: '/console' },
  { id: 'reviews', path: '/console/reviews' },
  { id: 'reports', path: '/console/memorisation' },
  { id: 'datasets', path: '/console/datasets' },
  { id: 'recipients', path: '/console/recipients' },
  { id: 'notices', path: '/console/notices' },
  { id: 'models', path: '/console/models' },
  { id: 'records', path: '/console/records/art30' },
  { id: 'find', path: '/console/objections' },
  { id: 'exports', path: '/console/exports' },
];

function staffBar(ctx: ConsoleContext): SafeHtml | '' {
  const staff = ctx.staff;
  if (!staff) return '';
  const t = (key: string, vars = {}) => translate(ctx, key, vars);
  return html`<div class="session-bar">
      <span>${t('console.signed-in-as', { name: staff.name ?? staff.sub, role: t(`console.role.${staff.role}`) })}</span>
      <form method="post" action="${href(ctx, '/console/logout')}">
        <input type="hidden" name="_csrf" value="${ctx.csrf}">
        <button type="submit" class="button-link">${t('layout.sign-out')}</button>
      </form>
    </div>
    <nav class="console-nav" aria-label="${t('console.nav.label')}">
      <ul>${NAV.map(
        (n) =>
          html`<li><a href="${href(ctx, n.path)}"${n.id === ctx.nav ? html` aria-current="page"` : ''}>${t(`console.nav.${n.id}`)}</a></li>`,
      )}</ul>
    </nav>`;
}

/** The console's pages: the portal's look, the staff member and the console's navigation. */
export function consoleLayout(ctx: ConsoleContext, page: ConsolePage): string {
  const t = (key: string) => translate(ctx, key);
  const withNav = { ...ctx, nav: page.nav };
  return `<!doctype html>\n${html`<html lang="${ctx.lang}" dir="ltr" class="console">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${page.title} · ${t('console.title')} · ${ctx.platformName}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
<link rel="stylesheet" href="${CONSOLE_STYLESHEET_PATH}">
</head>
<body>
<a class="skip-link" href="#main">${t('layout.skip')}</a>
<header class="site-header">
  <div class="wrap header-inner">
    <a class="brand" href="${href(ctx, '/console')}">
      <span class="brand-name">${ctx.platformName}</span>
      <span class="brand-tagline">${t('console.title')}</span>
    </a>
    ${languageSwitcher(ctx)}
  </div>
  <div class="wrap">${staffBar(withNav)}</div>
</header>
<main id="main" class="wrap" tabindex="-1">
${page.body}
</main>
<footer class="site-footer">
  <div class="wrap">
    <p>${t('console.footer')}</p>
    <p>${t('layout.dates-utc')}</p>
  </div>
</footer>
</body>
</html>`}\n`;
}
