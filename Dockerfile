# The app image: Node 24 LTS for the api and web build, Python 3.11 for the sidecar (bookworm's).
# In docker-compose.yml it is the `api` service (api + web app) and talks to the GPU sidecar of
# inference/Dockerfile (INFERENCE_URL=inference:50051); run alone, it spawns the inflate sidecar.
# .dockerignore keeps .env, static/, logs/, models/, node_modules/, venvs and builds of this
# checkout out of the image: everything below is installed and built here.
FROM node:24-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv python3-dev build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The JS dependencies first: this layer only changes with the lock file.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The same steps `node scripts/start.mjs` takes before it starts the api (scripts/lib/ensure.mjs),
# so their stamps (node_modules/.package-lock.json, inference/.venv/.kiln3d-installed,
# dist/.stamps/api and web) are newer than every input and a container starts without installing
# or building anything. Whatever COPY made stale (an older cached npm ci layer) is redone here.
RUN node --input-type=module -e "const e = await import('./scripts/lib/ensure.mjs'); e.checkNode(); await e.ensureNodeModules(); await e.ensurePython(); await e.ensureApiBuild(); await e.ensureWebBuild();"
EXPOSE 8000
CMD ["node", "scripts/start.mjs"]
