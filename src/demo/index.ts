import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { signDemoToken } from '../http/auth/platform-token.ts';
import type { PageContext } from '../http/portal/context.ts';
import { translate } from '../http/portal/context.ts';
import { html, type SafeHtml } from '../http/portal/html.ts';
import { languageSwitcher, STYLESHEET_PATH } from '../http/portal/layout.ts';
import { Sealer } from '../http/portal/sealed.ts';
import { loadCatalogue } from '../i18n/catalogue.ts';
import { lookupLanguage, negotiateLanguage } from '../i18n/negotiate.ts';
import { DEMO_ACCOUNTS, DEMO_POSTS, type DemoAccount, demoAccount } from './accounts.ts';

/** The configuration keys the demo reads (a subset of src/config.ts). */
export interface DemoConfig {
  platformName: string;
  languages: string[];
  defaultLanguage: string;
  secret: string;
  publicUrl: string;
  /** The HS256 secret platform tokens are signed with; without it the banner links unsigned. */
  platformJwtSecret?: string | undefined;
}

export interface DemoOptions {
  config: DemoConfig;
  /** Where the portal is mounted (default: the root). */
  portalPath?: string;
}

const ACCOUNT_COOKIE = 'veto_demo_account';
const TOKEN_TTL_SECONDS = 10 * 60;

/**
 * A tiny fake social platform, mounted at /demo: a login switcher among fictional accounts
 * (French, English, a minor), the privacy notice banner linking to Veto with a signed session
 * token (as a real platform would), and posts by members that name a person with no account.
 */
export async function demoPlugin(app: FastifyInstance, options: DemoOptions): Promise<void> {
  const { config } = options;
  const portal = (options.portalPath ?? '').replace(/\/$/, '');
  const base = app.prefix === '/' ? '' : app.prefix;
  const catalogue = loadCatalogue({
    languages: config.languages,
    defaultLanguage: config.defaultLanguage,
  });
  const sealer = new Sealer(config.secret, 'demo');
  const secure = config.publicUrl.startsWith('https:');
  const cookiePath = base || '/';

  if (!app.hasRequestDecorator('cookies')) await app.register(fastifyCookie);
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
    await app.register(fastifyFormbody, { bodyLimit: 8 * 1024 });
  }
  await app.register(fastifyCsrf, {
    cookieKey: 'veto_demo_csrf',
    cookieOpts: { path: cookiePath, sameSite: 'lax', httpOnly: true, secure },
  });

  function current(req: FastifyRequest): DemoAccount | undefined {
    return demoAccount(sealer.open<{ id: string }>(req.cookies[ACCOUNT_COOKIE])?.id);
  }

  function context(req: FastifyRequest, reply: FastifyReply, account: DemoAccount | undefined) {
    const asked = (req.query as Record<string, string | undefined>).lang;
    const lang = negotiateLanguage(
      {
        chosen: asked ? lookupLanguage(asked, catalogue.languages) : undefined,
        account: account?.language,
        acceptLanguage: req.headers['accept-language'],
      },
      catalogue.languages,
      catalogue.defaultLanguage,
    );
    const ctx: PageContext = {
      lang,
      catalogue,
      platformName: config.platformName,
      base,
      here: { path: '/', query: new URLSearchParams() },
      csrf: reply.generateCsrf(),
      session: undefined,
      demo: true,
    };
    return ctx;
  }

  async function bannerLink(account: DemoAccount): Promise<string> {
    if (!config.platformJwtSecret) return `${portal}/`;
    const token = await signDemoToken(
      config.platformJwtSecret,
      { sub: account.id, lang: account.language, email: account.email, name: account.name },
      TOKEN_TTL_SECONDS,
    );
    return `${portal}/session?${new URLSearchParams({ token, next: '/' }).toString()}`;
  }

  async function banner(ctx: PageContext, account: DemoAccount | undefined): Promise<SafeHtml> {
    const t = (key: string) => translate(ctx, key);
    if (!account) {
      return html`<section class="demo-banner" aria-labelledby="banner-heading">
          <h2 id="banner-heading">${t('demo.banner.heading')}</h2>
          <p>${t('demo.banner.visitor')}</p>
          <p><a href="${portal}/">${t('demo.banner.link')}</a></p>
        </section>`;
    }
    return html`<section class="demo-banner" aria-labelledby="banner-heading">
        <h2 id="banner-heading">${t('demo.banner.heading')}</h2>
        <p>${t(account.minor ? 'demo.banner.minor' : 'demo.banner.text')}</p>
        <p><a class="button button-primary" href="${await bannerLink(account)}">${t('demo.banner.link')}</a></p>
      </section>`;
  }

  app.get('/', async (req, reply) => {
    const account = current(req);
    const ctx = context(req, reply, account);
    const t = (key: string, vars = {}) => translate(ctx, key, vars);
    const options = [
      html`<option value=""${account ? '' : html` selected`}>${t('demo.account.visitor')}</option>`,
      ...DEMO_ACCOUNTS.map(
        (a) =>
          html`<option value="${a.id}"${account?.id === a.id ? html` selected` : ''}>${
            a.minor ? t('demo.account.minor', { name: a.name }) : a.name
          }</option>`,
      ),
    ];
    const posts = DEMO_POSTS.map((p) => {
      const author = demoAccount(p.author);
      return html`<li class="demo-post">
          <p class="demo-post-author">${t('demo.feed.by', { name: author?.name ?? p.author })}</p>
          <p lang="${p.language}">${p.text}</p>
        </li>`;
    });
    const page = html`<!doctype html>
<html lang="${ctx.lang}" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${t('demo.title')}</title>
<link rel="stylesheet" href="${portal}${STYLESHEET_PATH}">
</head>
<body>
<a class="skip-link" href="#main">${t('layout.skip')}</a>
<header class="site-header demo-header">
  <div class="wrap header-inner">
    <a class="brand" href="${base}/">
      <span class="brand-name">${config.platformName}</span>
      <span class="brand-tagline">${t('demo.disclaimer')}</span>
    </a>
    ${languageSwitcher(ctx)}
  </div>
</header>
<main id="main" class="wrap" tabindex="-1">
  <h1>${t('demo.title')}</h1>
  <form method="post" action="${base}/login" class="demo-login">
    <input type="hidden" name="_csrf" value="${ctx.csrf}">
    <label for="account">${t('demo.account.label')}</label>
    <div class="actions">
      <select id="account" name="account">${options}</select>
      <button type="submit" class="button button-secondary">${t('demo.switch')}</button>
    </div>
  </form>
  ${account ? html`<p>${t('demo.signed-in', { name: account.name })}</p>` : ''}
  ${await banner(ctx, account)}
  <section aria-labelledby="feed-heading">
    <h2 id="feed-heading">${t('demo.feed.heading')}</h2>
    <ul class="demo-feed">${posts}</ul>
  </section>
  <section aria-labelledby="non-user-heading">
    <h2 id="non-user-heading">${t('demo.non-user.heading')}</h2>
    <p>${t('demo.non-user.text')}</p>
    <p><a href="${portal}/non-user">${t('demo.non-user.link')}</a></p>
  </section>
</main>
</body>
</html>
`;
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-language', ctx.lang)
      .send(page.value);
  });

  app.post('/login', { preHandler: app.csrfProtection }, async (req, reply) => {
    const id = (req.body as Record<string, unknown> | undefined)?.account;
    const account = typeof id === 'string' ? demoAccount(id) : undefined;
    if (account) {
      reply.setCookie(ACCOUNT_COOKIE, sealer.seal({ id: account.id }), {
        path: cookiePath,
        httpOnly: true,
        sameSite: 'lax',
        secure,
      });
    } else {
      reply.clearCookie(ACCOUNT_COOKIE, { path: cookiePath });
    }
    return reply.redirect(`${base}/`, 303);
  });
}
