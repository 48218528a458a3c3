import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CrawlerHeaderMode, headersForMode } from './crawler-headers.ts';

/** Without options: the site-wide reservation; `perPerson` marks objectors' pages only. */
export type CrawlerHeadersMiddlewareOptions<Req extends IncomingMessage> = CrawlerHeaderMode<Req>;

/**
 * For a platform on Express, Connect or plain `node:http`: an `(req, res, next)` middleware
 * that adds the "do not train" headers to responses showing an objector's public page.
 *
 *   app.use('/u/:user', crawlerHeadersMiddleware({ source, accountOf: (req) => req.params.user }));
 *
 * It never calls `next(err)`: a failure emits the headers (the safe side, see
 * crawler-headers.ts) and the page is served as usual.
 */
export function crawlerHeadersMiddleware<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
>(
  options: CrawlerHeadersMiddlewareOptions<Req> = {},
): (req: Req, res: Res, next: (err?: unknown) => void) => void {
  return (req, res, next) => {
    headersForMode(options, req).then((headers) => {
      if (!res.headersSent) {
        for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      }
      next();
    }, next);
  };
}
