import Fastify from 'fastify';

/*
 * The yardstick: the same Fastify version as the app, one route answering a small JSON, nothing else (no
 * Nest, no validation, no Redis). The bench reports every scenario as a fraction of this route's
 * requests/s, which cancels out much of the noise of a shared machine.
 */
const app = Fastify({ logger: false });
app.get('/bare', async () => ({ ok: true, service: 'bare-fastify' }));

app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) }).then(
  (address) => console.log(`bare fastify listening on ${address}`),
  (e: Error) => {
    console.error(e);
    process.exit(1);
  },
);
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
