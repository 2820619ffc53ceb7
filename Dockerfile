# Switchboard engine image (used by docker-compose.yml). Services come from REDIS_URL and MONGODB_URL.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm run build:ui && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# glibc: message buffers from its heaps, and freed ones kept for reuse up to a bound (README, Configuration).
ENV MALLOC_MMAP_THRESHOLD_=4194304 MALLOC_TRIM_THRESHOLD_=33554432
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The console: console.routes.js (in dist/engine/http) serves ../../admin-ui/dist.
COPY --from=build /app/admin-ui/dist ./dist/admin-ui/dist
COPY package.json ./
USER node
EXPOSE 2575 8080
CMD ["node", "dist/engine/main.js"]
