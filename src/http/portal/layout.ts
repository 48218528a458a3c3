import { href, type PageContext, timeZoneOf, translate } from './context.ts';
import { html, type SafeHtml } from './html.ts';

export const STYLESHEET_PATH = '/assets/portal.css';

/**
 * The language switcher: the same page and query in each language, so nobody loses their place.
 * With 24 languages a row of links would fill the header, so the list sits in a native
 * `<details>` disclosure (no JavaScript, keyboard and screen-reader operable). Its summary shows
 * a globe and the current language's own name, recognisable to someone who cannot read the
 * current page; each link is labelled in its own language (`lang`, `hreflang`).
 */
export function languageSwitcher(ctx: PageContext): SafeHtml {
  const items = ctx.catalogue.languages.map((lang) => {
    const query = new URLSearchParams(ctx.here.query);
    query.set('lang', lang);
    const link = `${ctx.base}${ctx.here.path}?${query.toString()}`;
    const current = lang === ctx.lang;
    return html`<li><a href="${link}" hreflang="${lang}" lang="${lang}"${
      current ? html` aria-current="true"` : ''
    }>${ctx.catalogue.autonym(lang)}</a></li>`;
  });
  const label = translate(ctx, 'layout.languages');
  return html`<details class="languages">
      <summary><svg class="globe" aria-hidden="true" focusable="false" width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"><circle cx="12" cy="12" r="10"/><path d="M2 12h20M12 2a15 15 0 0 1 0 20M12 2a15 15 0 0 0 0 20"/></svg>
        <span class="visually-hidden">${label}: </span>${ctx.catalogue.autonym(ctx.lang)}</summary>
      <nav aria-label="${label}">
        <ul>${items}</ul>
      </nav>
    </details>`;
}

function sessionBar(ctx: PageContext): SafeHtml | '' {
  const s = ctx.session;
  if (!s || (!s.account && !s.verifiedEmail)) return '';
  const who = s.account
    ? translate(ctx, 'layout.signed-in-as', { name: s.account.name ?? s.account.id })
    : translate(ctx, 'layout.signed-in-email', { email: s.verifiedEmail });
  return html`<div class="session-bar">
      <span>${who}</span>
      <form method="post" action="${href(ctx, '/logout')}">
        <input type="hidden" name="_csrf" value="${ctx.csrf}">
        <button type="submit" class="button-link">${translate(ctx, 'layout.sign-out')}</button>
      </form>
    </div>`;
}

/**
 * What the browser's Global Privacy Control signal did, on every page it reached:
 * recorded (and as what), not recordable for a visitor who is not signed in, ignored by this
 * deployment, or not recorded because of a failure.
 */
function signalPanel(ctx: PageContext): SafeHtml | '' {
  const s = ctx.signal;
  if (!s) return '';
  const t = (key: string) => translate(ctx, key);
  const message =
    s.kind === 'recorded'
      ? t(s.mode === 'object' ? 'signal.gpc.object' : 'signal.gpc.no-sharing')
      : t(`signal.gpc.${s.kind}`);
  return html`<div class="panel panel-signal" role="status">
      <p class="panel-heading"><strong>${t('signal.gpc.heading')}</strong></p>
      <p>${message}</p>
      ${s.kind === 'recorded' ? html`<p><a href="${href(ctx, '/status')}">${t('layout.nav.status')}</a></p>` : ''}
    </div>`;
}

export interface PageParts {
  title: string;
  body: SafeHtml;
}

export function layout(ctx: PageContext, page: PageParts): string {
  const t = (key: string) => translate(ctx, key);
  return `<!doctype html>\n${html`<html lang="${ctx.lang}" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${page.title} · ${ctx.platformName}</title>
<link rel="stylesheet" href="${ctx.base}${STYLESHEET_PATH}">
</head>
<body>
<a class="skip-link" href="#main">${t('layout.skip')}</a>
<header class="site-header">
  <div class="wrap header-inner">
    <a class="brand" href="${href(ctx, '/')}">
      <span class="brand-name">${ctx.platformName}</span>
      <span class="brand-tagline">${t('layout.tagline')}</span>
    </a>
    ${languageSwitcher(ctx)}
  </div>
  ${sessionBar(ctx) && html`<div class="wrap">${sessionBar(ctx)}</div>`}
</header>
<main id="main" class="wrap" tabindex="-1">
${signalPanel(ctx)}
${page.body}
</main>
<footer class="site-footer">
  <div class="wrap">
    <nav aria-label="${t('layout.footer-nav')}">
      <ul class="footer-links">
        <li><a href="${href(ctx, '/')}">${t('layout.nav.notice')}</a></li>
        <li><a href="${href(ctx, '/non-user')}">${t('layout.nav.non-user')}</a></li>
        <li><a href="${href(ctx, '/status')}">${t('layout.nav.status')}</a></li>
        <li><a href="${href(ctx, '/datasets')}">${t('layout.nav.datasets')}</a></li>
        <li><a href="${href(ctx, '/assessment')}">${t('layout.nav.assessment')}</a></li>
      </ul>
    </nav>
    <p>${t('layout.footer')}</p>
    <p>${t(timeZoneOf(ctx) ? 'layout.dates-zone' : 'layout.dates-utc')}</p>
  </div>
</footer>
</body>
</html>`}\n`;
}
