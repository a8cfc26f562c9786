# syntax=docker/dockerfile:1
# vrms-backend: the API alone (npm run serve), as an image. Build: docker build -t vrms-backend .
# Configuration comes from the environment at run time (README "Configuration"); nothing secret is
# copied into a layer (see .dockerignore).

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.mjs scripts/
COPY src/ src/
RUN npm run build

FROM node:24-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    PORT=8000 \
    HOST=0.0.0.0
WORKDIR /app
# Owned by root and not writable by the server's user: the app directory is read-only to it.
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json LICENSE ./
USER node
EXPOSE 8000
# SIGTERM drains (SHUTDOWN_DELAY_SECONDS, then in-flight requests): give it
# SHUTDOWN_DELAY_SECONDS + SHUTDOWN_TIMEOUT_SECONDS before a SIGKILL (docker stop -t 45).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node itself is PID 1's child of nothing: run with `docker run --init` (or compose's init: true)
# so that zombies are reaped; the server handles SIGTERM itself.
CMD ["node", "--enable-source-maps", "--max-semi-space-size=4", "dist/main.js"]
