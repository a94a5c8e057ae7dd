# tapewatch, the Discord bot. Build: docker build -t tapewatch .
# Run:   docker compose up -d   (see compose.yaml and the README's "Run in production")
# test/dockerfile.test.ts runs this file's install, start and health-check commands in a clean folder, so
# it cannot drift from the code; teach that test any new RUN line.
FROM node:24-slim

ENV NODE_ENV=production
ENV TAPEWATCH_HOME=/data
ENV HEALTH_PORT=8080
ENV HEALTH_HOST=0.0.0.0

WORKDIR /app
COPY package.json package-lock.json .nvmrc ./
# The production install brings the project's pinned Node 24 (the "node" package), the same runtime the
# tests ran on; nothing is compiled.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY commands ./commands
COPY prompts ./prompts

# Schedules, budgets and the bar cache live in TAPEWATCH_HOME: a volume, written by the unprivileged user.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["node", "bin/tapewatch.js", "health"]
# The bot itself as PID 1 (what npm start runs), so docker stop's SIGTERM reaches it directly.
CMD ["node", "bin/bot.js"]
