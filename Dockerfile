# One image for the API and the worker; the compose file picks the entry point.
FROM node:20-bookworm-slim
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH ONNXRUNTIME_NODE_INSTALL=skip NODE_ENV=production
RUN npm install -g pnpm@10.34.8
WORKDIR /app
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./
COPY apps ./apps
COPY packages ./packages
COPY bench/package.json ./bench/package.json
COPY e2e/package.json ./e2e/package.json
RUN pnpm install --frozen-lockfile --prod=false
USER node
EXPOSE 8080
CMD ["node", "--import", "tsx", "apps/api/src/main.ts"]
