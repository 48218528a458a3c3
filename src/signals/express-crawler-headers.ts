import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AccountOf, type CrawlerHeaderSource, headersForRequest } from './crawler-headers.ts';

export interface CrawlerHeadersMiddlewareOptions<Req extends IncomingMessage> {
  /** Usually `createVetoHeaderSource({ vetoUrl, apiKey })`. */
  source: CrawlerHeaderSource;
  /** Whose public page this request shows, or undefined. */
  accountOf: AccountOf<Req>;
}

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
  options: CrawlerHeadersMiddlewareOptions<Req>,
): (req: Req, res: Res, next: (err?: unknown) => void) => void {
  return (req, res, next) => {
    headersForRequest(options.source, options.accountOf, req).then((headers) => {
      if (!res.headersSent) {
        for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      }
      next();
    }, next);
  };
}
