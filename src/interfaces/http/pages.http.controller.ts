import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Access } from './access/access.decorator';
import { sendProblem } from './problem-details';

/** public/ at the project root, from src/ (tests) and dist/ (production) alike. */
export const PUBLIC_DIR = path.resolve(__dirname, '..', '..', '..', 'public');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

/** Every file under public/, read once at start: a handful of small files. */
function loadAssets(dir: string, prefix = ''): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return assets;
  }
  for (const name of names) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) {
      for (const [k, v] of loadAssets(full, `${prefix}${name}/`)) assets.set(k, v);
      continue;
    }
    const body = readFileSync(full);
    const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
    assets.set(prefix + name, { body, type: TYPES[path.extname(name)] ?? 'application/octet-stream', etag });
  }
  return assets;
}

/**
 * The pages load only their own scripts, styles and images (no inline script or style attribute), and talk
 * only to this origin: a strict policy costs them nothing and takes injected markup's teeth. Nobody may frame
 * them (clickjacking a "Buy now" button).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The pages the app serves itself: the storefront at /, its waiting room at /line and the operator dashboard
 * at /admin, plus their assets under /assets/. No separate web server; files are held in memory and
 * revalidated by ETag.
 */
@Controller()
@Access({ group: null, caller: 'none' })
export class PagesHttpController {
  private readonly assets = loadAssets(PUBLIC_DIR);

  @Get()
  storefront(@Headers('if-none-match') etag: string | undefined, @Res() reply: FastifyReply): FastifyReply {
    return this.serve('index.html', etag, reply);
  }

  /** The waiting room's page: /line?sale=<id> (the storefront sends buyers here when checkout needs an admission). */
  @Get('line')
  waitingRoom(@Headers('if-none-match') etag: string | undefined, @Res() reply: FastifyReply): FastifyReply {
    return this.serve('line.html', etag, reply);
  }

  @Get('admin')
  dashboard(@Headers('if-none-match') etag: string | undefined, @Res() reply: FastifyReply): FastifyReply {
    return this.serve('admin.html', etag, reply);
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Headers('if-none-match') etag: string | undefined, @Res() reply: FastifyReply): FastifyReply {
    return this.serve(`assets/${file}`, etag, reply);
  }

  private serve(name: string, ifNoneMatch: string | undefined, reply: FastifyReply): FastifyReply {
    const asset = this.assets.get(name);
    if (!asset) return sendProblem(reply, 'not_found', `There is no /${name}.`);
    reply
      .header('etag', asset.etag)
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('referrer-policy', 'same-origin')
      .header('x-frame-options', 'DENY');
    if (ifNoneMatch === asset.etag) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  }
}
