# One image for both processes: `node --expose-gc dist/apps/api/src/main.js` or `… dist/apps/worker/src/main.js`.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
# MALLOC_TRIM_THRESHOLD_: see "Process flags" in the README.
ENV NODE_ENV=production PORT=8080 MALLOC_TRIM_THRESHOLD_=131072
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma ./prisma
USER node
EXPOSE 8080
CMD ["node", "--expose-gc", "dist/apps/api/src/main.js"]
