# syntax=docker/dockerfile:1
# Single-container deploy: the API, the order worker and the background loops in one process
# (run a second container with `node dist/worker.js` to scale the worker out).
#
# NODE_IMAGE: the base of both stages, the official Node image by default. Any Debian-based image with Node
# 20.19+ and npm in /usr/local/bin and a `node` user will do: scripts/container.sh makes one on machines
# that cannot pull (`podman build --build-arg NODE_IMAGE=...`).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
# Marks this project's images and build layers, so scripts/container.sh prunes only its own.
LABEL io.flashsale.project=flashsale
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json prisma.config.ts ./
COPY prisma ./prisma
COPY src ./src
# After the build, production dependencies only. npm keeps some of our devDependencies because production
# packages name them, none loaded at run time: typescript (an optional peer of prisma and @prisma/client),
# prettier (nest-commander uses it only to print shell-completion specs, which our CLI does not offer) and
# @types/* (declarations for the compiler). The container test fails if any devDependency is in the image.
RUN npx prisma generate && npx tsc -p tsconfig.build.json \
  && npm prune --omit=dev \
  && rm -rf node_modules/typescript node_modules/prettier node_modules/@types \
    node_modules/.bin/tsc node_modules/.bin/tsserver node_modules/.bin/prettier

FROM ${NODE_IMAGE} AS runtime
LABEL io.flashsale.project=flashsale
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json prisma.config.ts ./
COPY --chown=node:node prisma ./prisma
COPY --chown=node:node scripts/lua ./scripts/lua
COPY --chown=node:node public ./public
COPY --chown=node:node scripts/docker-entrypoint.sh ./scripts/docker-entrypoint.sh
USER node
EXPOSE 3000
HEALTHCHECK --interval=5s --timeout=2s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/serving').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The entrypoint applies migrations, then execs node so SIGTERM reaches the app (graceful shutdown).
ENTRYPOINT ["./scripts/docker-entrypoint.sh"]
CMD ["node", "dist/main.js"]
