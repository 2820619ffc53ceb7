# Switchboard engine image (used by docker-compose.yml). Services come from REDIS_URL and MONGODB_URL.
# tests/e2e/production-install.test.ts does what this file does, without Docker: the same build, the
# same production-only install, the same entry point; keep the two in step.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# patches/: fixes to dependencies that patch-package applies at install (postinstall).
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm run build:ui

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# glibc: message buffers from its heaps, and freed ones kept for reuse up to a bound (README, Configuration).
ENV MALLOC_MMAP_THRESHOLD_=4194304 MALLOC_TRIM_THRESHOLD_=33554432
# Production dependencies only: whatever dist imports at run time must be in "dependencies".
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The console: console.routes.js (in dist/engine/http) serves ../../admin-ui/dist.
COPY --from=build /app/admin-ui/dist ./dist/admin-ui/dist
USER node
EXPOSE 2575 8080
CMD ["node", "dist/engine/main.js"]
