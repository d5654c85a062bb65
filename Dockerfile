# contrail worker image: compiled TypeScript plus a pre-built workflow bundle.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/bundle-workflows.ts scripts/bundle-dashboard.ts ./scripts/
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# git: an analysis reads its configs as of the commit it is pinned to, from the config repos'
# history. The repos are the operator's checkouts mounted into the container, owned by a host
# user: git refuses to read another user's repository unless it is declared safe, and
# contrail's git calls take no GIT_* settings from the environment, so it is declared here.
RUN apt-get update \
  && apt-get install -y --no-install-recommends git \
  && rm -rf /var/lib/apt/lists/* \
  && git config --system --add safe.directory '*'
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
# `contrail` on PATH, as the commands the CLI's messages suggest name it (`docker compose exec
# contrail-worker contrail status <id>`); the entrypoint runs the same program.
ENV PATH=/app/bin:$PATH
# The demo experiments and configs, read where neither an experiment source nor config repos
# are set (as in the npm package): `contrail sample`, and `contrail preview` against a Temporal
# cluster (TEMPORAL_ADDRESS), work in the image; it holds no Temporal CLI to start one of its own.
COPY src/sample/experiments.json ./src/sample/
COPY src/sample/metric-hub ./src/sample/metric-hub
# The release manifest: this build's version and whether it is breaking (src/versions/manifest.ts).
COPY releases.json ./
# The build id names this exact image: with it the worker joins the Worker Deployment as this
# build, and analyses pinned to it run only here (README: deploying a new version). Give every
# image its own, e.g. --build-arg CONTRAIL_BUILD_ID=$(git rev-parse --short=12 HEAD); without
# one the worker is unversioned.
ARG CONTRAIL_BUILD_ID=
ENV CONTRAIL_BUILD_ID=${CONTRAIL_BUILD_ID}
ENV CONTRAIL_HOME=/var/lib/contrail
# The data directory belongs to the user the worker runs as: a volume mounted there (compose's
# contrail-data) takes the ownership it has in the image, and a missing one would be root's.
RUN mkdir -p /var/lib/contrail && chown node:node /var/lib/contrail
USER node
ENTRYPOINT ["node", "dist/client/cli.js"]
CMD ["worker"]
