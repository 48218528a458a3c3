import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/**
 * A minimal browser over Fastify `inject`: keeps cookies between requests, reads the CSRF
 * token of the last page, and posts forms the way a browser does (urlencoded).
 */
export class InjectBrowser {
  readonly cookies = new Map<string, string>();
  last: LightMyRequestResponse | undefined;

  constructor(
    private readonly app: FastifyInstance,
    private readonly headers: Record<string, string> = {},
  ) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(res: LightMyRequestResponse): void {
    for (const c of res.cookies as {
      name: string;
      value: string;
      maxAge?: number;
      expires?: Date;
    }[]) {
      const expired =
        c.maxAge === 0 || (c.expires && c.expires.getTime() < Date.now()) || c.value === '';
      if (expired) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    this.last = res;
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({
      method: 'GET',
      url,
      headers: { ...this.headers, ...headers, cookie: this.cookieHeader() },
    });
    this.remember(res);
    return res;
  }

  async post(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
    const res = await this.app.inject({
      method: 'POST',
      url,
      payload: new URLSearchParams(form).toString(),
      headers: {
        ...this.headers,
        ...headers,
        'content-type': 'application/x-www-form-urlencoded',
        cookie: this.cookieHeader(),
      },
    });
    this.remember(res);
    return res;
  }

  /** GET, then follow 30x redirects within the app. */
  async follow(res: LightMyRequestResponse): Promise<LightMyRequestResponse> {
    let current = res;
    for (let i = 0; i < 5 && current.statusCode >= 300 && current.statusCode < 400; i++) {
      current = await this.get(String(current.headers.location));
    }
    return current;
  }

  csrf(body = this.last?.body ?? ''): string {
    const m = body.match(/name="_csrf" value="([^"]+)"/);
    if (!m) throw new Error('no CSRF token on the page');
    return m[1]!;
  }
}

/** The visible text of a page plus the attributes people perceive (alt, aria-label, title...). */
export function visibleText(html: string): string {
  const attrs = [...html.matchAll(/\s(?:aria-label|title|alt|placeholder)="([^"]*)"/g)].map(
    (m) => m[1],
  );
  const text = html
    .replace(/<head>[\s\S]*?<\/head>/, (head) => head.match(/<title>[\s\S]*?<\/title>/)?.[0] ?? '')
    .replace(/<[^>]+>/g, ' ');
  return decode(`${text} ${attrs.join(' ')}`).replace(/\s+/g, ' ');
}

function decode(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}
