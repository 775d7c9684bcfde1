# The gateway image: built with the development tools, run with production's packages only.
#   docker build -t newsroom-gateway .
#   docker run -p 4000:4000 newsroom-gateway       # PGlite in /app/data, demo loaded; see compose.yaml for PostgreSQL
# The command-line tools are in the image too: node dist/scripts/db.js migrate | seed,
# node dist/scripts/apikey.js create --role ADMIN --name "Newsroom admin".

FROM node:24-bookworm-slim AS build
WORKDIR /app
# npm ci runs postinstall (`npm run generate`): the Prisma client and the codegen output are
# generated from these files into src/generated. Dependencies' own install scripts run only as
# package.json's allowScripts says (npm 11): none, so nothing downloads an engine.
COPY package.json package-lock.json codegen.ts tsconfig.json ./
COPY prisma/schema.prisma prisma/
COPY schema schema
RUN npm ci --no-audit --no-fund
COPY src src
COPY prisma prisma
COPY scripts scripts
# dist/: the compiled server and scripts (the generated client included), migrations, front page script.
RUN npm run build

FROM node:24-bookworm-slim
ENV NODE_ENV=production NODE_OPTIONS=--enable-source-maps PORT=4000
WORKDIR /app
COPY package.json package-lock.json ./
# Production's packages only. --ignore-scripts: postinstall's generation needs the development
# tools, and what it generates is compiled into dist already. --omit=optional also leaves out the
# optional peers @prisma/client would bring (the prisma CLI, typescript): nothing runs them here.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force \
  && mkdir data && chown node:node data
COPY --from=build /app/dist dist
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
